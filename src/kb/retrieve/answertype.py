"""Answer-type check: a question asking for a time limit needs a passage that states one.

Similarity alone cannot tell "on topic" from "answers it": a question about
the deadline for an EHC plan lands close to passages about EHC plans whether
or not any of them gives the deadline. For one kind of question the gap can be
checked without a reader model: a question asking how quickly something must
happen ("deadline", "how soon", "within how many days") is answered only by a
passage that states a length of time ("within 20 weeks", "one working day",
"immediately"). When none of the top passages states one, kb says "no good
match" and shows them as related reading only.

The check is deliberately one-sided and wide: any stated duration in any of
the top passages lets the answer through (docs/quality.md, "No good match",
has what it caught and what it let pass).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NUMBER = (
    r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|fifteen|twenty|thirty|forty|forty-five|fifty|sixty|ninety|a few|several)"
)
_UNIT = r"(hours?|days?|weeks?|months?|years?)"
# "within 20 weeks", "one working day", "15 school days", "6-month", "immediately".
_DURATION = re.compile(
    rf"\b{_NUMBER}[\s-]+(?:(?:working|calendar|school|clear|business)[\s-]+)?{_UNIT}\b"
    r"|\b(?:immediately|without delay|same day|next working day)\b",
    re.IGNORECASE,
)
# Questions about how fast or by when, not how often ("how often" has its own
# kinds of answer: "annually", "at each review").
_ASKS_DURATION = re.compile(
    r"\b(?:deadlines?|time ?limits?|timescales?|timeframes?|how (?:quickly|soon|long)"
    r"|within how (?:many|long)|by when"
    r"|how many (?:(?:working|calendar|school) )?(?:hours|days|weeks|months))\b",
    re.IGNORECASE,
)


# Said after "no good match" when this check made the call.
NO_TIME_STATED = "The nearest passages state no time limit or length of time."


def asks_for_duration(question: str) -> bool:
    """Whether ``question`` asks for a time limit or how long something takes."""
    return _ASKS_DURATION.search(question) is not None


# Ages look like lengths of time: "aged 6 months", "a 15-year-old", "up to the age
# of 25 years" for any unit, and for years also ranges and bounds ("0-19 years",
# "under 18 years", "16 years and over"), which in these documents are nearly
# always ages.
_AGE_BEFORE = re.compile(r"(?:\baged?|\bage of)\s*$", re.IGNORECASE)
_AGE_AFTER = re.compile(r"^[\s-]*(?:old|of age)\b", re.IGNORECASE)
_AGE_YEARS_BEFORE = re.compile(
    r"(?:\bunder|\bover|\bbetween|\bto|\band|\d\s*[-–—])\s*$", re.IGNORECASE
)
_AGE_YEARS_AFTER = re.compile(
    r"^\s*(?:and|or) (?:over|under|above|older|younger)\b", re.IGNORECASE
)


def states_duration(text: str) -> bool:
    """Whether ``text`` states a length of time (or "immediately"); ages do not count."""
    for match in _DURATION.finditer(text):
        if match.group(1) is None:  # "immediately", "same day"...
            return True
        before = text[max(0, match.start() - 16) : match.start()]
        after = text[match.end() : match.end() + 16]
        if _AGE_BEFORE.search(before) or _AGE_AFTER.search(after):
            continue
        if match.group(1).lower().startswith("year") and (
            _AGE_YEARS_BEFORE.search(before) or _AGE_YEARS_AFTER.search(after)
        ):
            continue
        return True
    return False


def lacks_answer_type(question: str, passages: Iterable[str]) -> bool:
    """True when ``question`` asks for a time limit and no passage states any."""
    return asks_for_duration(question) and not any(states_duration(t) for t in passages)
