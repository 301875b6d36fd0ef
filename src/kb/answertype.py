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
_UNIT = r"(?:hours?|days?|weeks?|months?|years?)"
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


def asks_for_duration(question: str) -> bool:
    """Whether ``question`` asks for a time limit or how long something takes."""
    return _ASKS_DURATION.search(question) is not None


def states_duration(text: str) -> bool:
    """Whether ``text`` states a length of time (or "immediately")."""
    return _DURATION.search(text) is not None


def lacks_answer_type(question: str, passages: Iterable[str]) -> bool:
    """True when ``question`` asks for a time limit and no passage states any."""
    return asks_for_duration(question) and not any(states_duration(t) for t in passages)
