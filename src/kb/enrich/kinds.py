"""Recognise recommendation and learning passages, so they can be stored as typed chunks.

A passage is a recommendation when it says so in its own words ("Recommendation 3:",
"learning point", "the partnership should ...", "the Department for Education
should ...") or when it sits under a "Recommendations" / "Key learning" heading and
asks someone to act. Statutory guidance is full of "local authorities should", so
"should" alone never makes a recommendation: the subject has to be a partnership,
board or national body, or the heading has to name the section.

Measured on the hand-labelled chunks in ``tests/data/theme_labels.jsonl``
(``bench/themes.py`` prints precision and recall).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PASSAGE = "passage"
RECOMMENDATION = "recommendation"

# Explicit markers: enough on their own.
_MARKERS = re.compile(
    r"\brecommendation\s*(?:\d+[a-z]?\b|[:.\-\u2013]\s)"  # "Recommendation 3", "Recommendation:"
    r"|\blearning points?\s*(?:\d+|:)"  # "Learning point 2", "Learning point:", not a mention
    r"|\bkey learning\s*:"
    r"|\blearning for (?:the )?(?:partnership|agencies|practitioners|practice)\b"
    # ("it is recommended that" is left out: guidance uses it for its own advice.)
    r"|\b(?:this|the) (?:review|panel|analysis|report) recommends\b",
    re.IGNORECASE,
)

# A recommending subject followed by "should" / "must" / "needs to".
_SUBJECTS = (
    r"(?:the |this |each |all |every )?(?:local )?(?:safeguarding )?(?:children )?"
    r"(?:partnership|partnerships|board|lscp|lscps|scp|lscb|executive)"
    r"|(?:the )?(?:department for education|dfe|government|ministry of justice|home office"
    r"|department of health and social care|nhs england|ofsted|secretary of state)"
)
_ASKS = re.compile(
    rf"\b(?:{_SUBJECTS})\s+(?:should|must|needs? to|is asked to)\b"
    # "the Home Office should be informed" is a procedure step, not a recommendation.
    r"(?!\s+be\s+(?:informed|notified|told|contacted|consulted|made aware))",
    re.IGNORECASE,
)

# Headings that name a recommendations or learning section.
_HEADING = re.compile(
    r"\brecommendations?\b|\bkey learning|\blearning points?\b|\blessons? (?:for|from)\b"
    r"|\bsummary of learning\b|\bimplications for practice\b",
    re.IGNORECASE,
)
# ... but a heading match still needs the passage to ask for something.
_DIRECTIVE = re.compile(
    r"\bshould\b|\bmust\b|\bneeds? to\b|\brecommend|\bensure\b|\bfor [\w\s,]{3,60}? to\b",
    re.IGNORECASE,
)
# A contents page lists the recommendations heading without being one.
_CONTENTS_LINE = re.compile(r"\.{4,}|\s\d{1,3}\s*$")


def detect_kind(text: str, heading_path: Sequence[str] = ()) -> str:
    """``"recommendation"`` for a recommendation or learning passage, else ``"passage"``."""
    if _MARKERS.search(text) or _ASKS.search(text):
        return RECOMMENDATION
    in_section = any(_HEADING.search(h) for h in heading_path)
    if in_section and _DIRECTIVE.search(text) and not _looks_like_contents(text):
        return RECOMMENDATION
    return PASSAGE


def _looks_like_contents(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return True
    dotted = sum(1 for line in lines if _CONTENTS_LINE.search(line))
    return dotted >= max(2, len(lines) // 2)
