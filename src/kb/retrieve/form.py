"""Broad or narrow: does a question ask for a theme across documents, or for one fact?

A narrow question ("within how many days must ...", "who chairs ...") is
answered by one passage, and search ranks the best passages first whichever
document they come from. A broad question ("what have reviews found about
...", "themes in ...", a bare topic such as "information sharing between
agencies") is answered by what several documents say, so search spreads its
top passages across documents and the answer becomes a summary of findings
(``kb.answer.findings``).

The decision reads the question's form first; a question whose form says
neither is broad when it is a bare topic phrase (no question word, a few
words) or when its best passages already spread over many documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

BROAD = "broad"
NARROW = "narrow"

# Phrasings that ask across documents: what reviews found, themes, learning,
# what is known, what goes wrong or helps, the main risks or pressures.
_BROAD = re.compile(
    r"\bwhat (?:have|do|did|does) (?:the )?(?:\w+ ){0,2}"
    r"(?:reviews?|inspections?|reports?|guidance|studies|evaluations?|research|analys[ei]s)"
    r"\b.{0,40}\b(?:found|find|finds|say|said|says|show|shown|tell|learn|learned|learnt)\b"
    r"|\bthemes?\b|\blearning (?:about|from|is there|on)\b|\blessons?\b"
    r"|\bwhat is known\b|\bwhat (?:went|goes|is going) wrong\b|\bwhat gets in the way\b"
    r"|\bwhat makes\b.{0,60}\b(?:effective|work|works|successful)\b"
    r"|\bwhat (?:are|were) (?:the )?(?:main |key |common )?"
    r"(?:risks|pressures|issues|challenges|barriers|problems|factors|findings)\b"
    r"|\b(?:pressures|risks) (?:are there|on|facing)\b"
    r"|\bwhat (?:main |key )?(?:pressures|risks|themes|issues|challenges|barriers)\b"
    r"|\bwhat do (?:\w+ ){1,4}(?:say|tell us|want)\b"
    r"|\bcommon (?:issues|themes|findings|failings|problems)\b",
    re.IGNORECASE,
)
# Phrasings that ask for one fact: a time, a number, a name, a yes or no.
_NARROW = re.compile(
    r"^(?:when|who|which|where|within|how (?:many|much|long|quickly|soon|often|old|large)"
    r"|is|are|can|could|do|does|did|should i|must|may|if)\b"
    r"|\bstand for\b|\bdeadline\b|\bhow (?:many|much|long|quickly|soon|often)\b",
    re.IGNORECASE,
)
_QUESTION_WORD = re.compile(
    r"^(?:what|how|why|when|who|which|where|whose|is|are|can|do|does)\b", re.IGNORECASE
)
# A bare topic is short: "bruising in non-mobile babies".
TOPIC_WORDS = 8
# Without a telling form, a question is broad when its top passages come from
# at least this many different documents (of the first ``SPREAD_OF``).
SPREAD_DOCS = 9
SPREAD_OF = 10


def question_form(question: str) -> str | None:
    """``BROAD`` or ``NARROW`` when the wording says so, else None."""
    text = " ".join(question.split())
    if _BROAD.search(text):
        return BROAD
    if _NARROW.search(text):
        return NARROW
    if not _QUESTION_WORD.match(text) and "?" not in text and len(text.split()) <= TOPIC_WORDS:
        return BROAD
    return None


def spread(docs: Sequence[str], of: int = SPREAD_OF) -> int:
    """How many different documents the first ``of`` passages come from."""
    return len(set(docs[:of]))


def decide(question: str, docs: Sequence[str]) -> str:
    """The form to answer in: the question's wording, else the spread of ``docs``
    (the document of each top passage, best first)."""
    said = question_form(question)
    if said is not None:
        return said
    return BROAD if spread(docs) >= SPREAD_DOCS else NARROW
