"""Which part of a review's anatomy a heading opens, and the section a block sits in.

Reviews are written in fixed parts: background, key practice episodes, findings,
good practice, recommendations and reflective questions. A heading names its part
in general words ("Findings", "What we found", "Learning point 2: ...", "Questions
for reflection", "National recommendations"); a heading that names none
("4.2 The school's referral") is a sub-section and inherits its parent's part, so
a passage whose own words are neutral takes its section's role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from kb.enrich.addressee import audience_of

FINDING = "finding"
RECOMMENDATION = "recommendation"
REFLECTIVE_QUESTION = "reflective_question"
PRACTICE_EPISODE = "practice_episode"
GOOD_PRACTICE = "good_practice"
BACKGROUND = "background"
OTHER = "other"
LEARNING_ROLES = (FINDING, RECOMMENDATION, REFLECTIVE_QUESTION, PRACTICE_EPISODE, GOOD_PRACTICE)
ROLES = (*LEARNING_ROLES, BACKGROUND, OTHER)

# Each part and the general words its headings use.
_HEADING_WORDS: tuple[tuple[str, str], ...] = (
    (
        REFLECTIVE_QUESTION,
        r"reflective\s+questions?|questions?\s+(?:for|to)\s+(?:reflect|consider|practitioners"
        r"|leaders|managers|partnerships?|boards?|discussion|ask)|reflection\s+questions"
        r"|questions?\s+for\s+reflection|points?\s+for\s+reflection|prompts?\s+for\s+reflection"
        r"|reflective\s+prompts|things\s+to\s+(?:consider|think\s+about)",
    ),
    (
        GOOD_PRACTICE,
        r"good\s+practice|positive\s+practice|effective\s+practice|notable\s+practice"
        r"|what\s+(?:worked|went)\s+well|^(?:[\d.]+\s+)?strengths\b|practice\s+that\s+helped",
    ),
    (
        RECOMMENDATION,
        r"recommendations?\b|what\s+needs\s+to\s+(?:happen|change)|actions?\s+(?:for|required)"
        r"|we\s+recommend",
    ),
    (
        FINDING,
        r"findings?\b|what\s+(?:we|the\s+(?:review|panel))\s+(?:found|learned|learnt)"
        r"|key\s+(?:learning|issues|themes)|learning\s+points?|lessons?\s+(?:learn|for|from)"
        r"|analysis\s+of\s+practice|appraisal\s+of\s+practice|summary\s+of\s+learning"
        r"|learning\s+(?:for|from|themes)|themes?\s+(?:from|arising)",
    ),
    (
        PRACTICE_EPISODE,
        r"practice\s+episodes?|key\s+episodes?|episodes?\s+of\s+practice|key\s+events"
        r"|summary\s+of\s+(?:events|involvement)|what\s+happened",
    ),
    (
        OTHER,
        r"contents|references|bibliography|appendi(?:x|ces)|annex|glossary|acknowledg"
        r"|abbreviations|further\s+reading|resources\b|endnotes|footnotes",
    ),
    (
        BACKGROUND,
        # Anchored at the heading's start (after its number): "The children and their
        # families" is background, "3.1 Ms S's admissions and the children at home" is not.
        r"^(?:[\d.]+\s+|[a-z]\.\s+)?(?:introduction|background|foreword|preface|context|scope"
        r"|method(?:ology)?\b|(?:our\s+|the\s+)?approach\b|(?:executive\s+)?summary\b|purpose"
        r"|conclusions?\b|the\s+(?:child|children|family|families|young\s+person)\b"
        r"|family\s+(?:context|background|history))"
        r"|terms\s+of\s+reference|the\s+review\s+process|about\s+(?:this|the)\s+review"
        r"|why\s+the\s+\w+\s+(?:undertook|commissioned)|\bcontext$|\bmethodology\b|\bbackground$",
    ),
)
# One pattern: the leftmost match wins, and at one place the part listed first.
_HEADING = re.compile(
    "|".join(f"(?P<{role}>{words})" for role, words in _HEADING_WORDS), re.IGNORECASE
)


# A heading that ends in a page number is a contents entry ("Find out more 28").
# (Not after a section number: "3.2 The new birth visit on day 19" is a heading.)
_CONTENTS_ENTRY = re.compile(r"^(?![\d.]+\s).*[A-Za-z)]\s+\d{1,3}$")


@lru_cache(maxsize=4096)
def heading_role(heading: str) -> str | None:
    """The part of a review ``heading`` opens, or None for a neutral heading."""
    m = _HEADING.search(heading)
    return m.lastgroup if m else None


@dataclass(frozen=True)
class Section:
    """Where a block sits: its part's role, the heading that opened the part, the
    nearest heading, and the audience its questions are for, if stated."""

    role: str = OTHER
    anchor: str = ""  # the heading that named the part
    heading: str = ""  # the nearest heading (a neutral sub-section's, or the anchor)
    headings: tuple[str, ...] = ()  # from the part's top, for the recommendation level
    audience: str | None = None

    @property
    def under_anchor(self) -> bool:
        """A block straight under the heading that named the part (an introduction,
        when the part has sub-sections or numbered items)."""
        return self.heading == self.anchor


def enter(section: Section, heading: str, *, known_child: bool = False) -> Section:
    """The section after ``heading``. ``known_child``: the parser placed the
    heading below the current one, so a neutral heading is surely a sub-section."""
    if _CONTENTS_ENTRY.search(heading):
        return Section(OTHER, heading, heading, (heading,))  # a contents page's line
    role = heading_role(heading)
    sub = known_child or _is_sub_section(heading, section.anchor)
    if role in (BACKGROUND, OTHER) and sub and section.role in LEARNING_ROLES:
        role = None  # "4.3 The family's context" inside key practice episodes
    if role is not None:
        if role == section.role and role in LEARNING_ROLES:
            # "Reflective questions for leaders" under "Reflective questions".
            audience = audience_of(heading) or (
                section.audience if role == REFLECTIVE_QUESTION else None
            )
            return replace(
                section,
                anchor=heading,
                heading=heading,
                headings=(*section.headings, heading),
                audience=audience,
            )
        return Section(role, heading, heading, (heading,), audience_of(heading))
    if sub:
        return replace(section, heading=heading, headings=(*section.headings, heading))
    return Section(OTHER, heading, heading, (heading,))


def _is_sub_section(heading: str, anchor: str) -> bool:
    """Numbered deeper than the anchor ("4.2" under "4."), or unnumbered."""
    mine, parent = numbering(heading), numbering(anchor)
    if not mine:
        return True
    return bool(parent) and len(mine) > len(parent) and mine[: len(parent)] == parent


def section_of_path(path: tuple[str, ...]) -> Section:
    """The section a passage starts in, from the parser's heading path."""
    section = Section()
    for i, heading in enumerate(path):
        section = enter(section, heading, known_child=i > 0)
    return section


def numbering(heading: str) -> tuple[int, ...]:
    """The section number a heading starts with ("4.2 ..." -> (4, 2)), or ()."""
    m = re.match(r"^\s*(\d{1,2}(?:\.\d{1,2})*)\.?\s", heading)
    return tuple(int(p) for p in m.group(1).split(".")) if m else ()
