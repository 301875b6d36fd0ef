"""The period a figure is for: "how many homes closed in 2023" asks about 2023.

The answer-type check (``kb.retrieve.answertype``) lets a "how many / what
percentage / how much" question through when a top passage states a figure of
what is asked. A question that names its period (a year, "2022-23", "March
2024") is not answered by a figure given for another one: "16 secure children's
homes have closed since 2002" gives no number for 2023, however on topic it is.
A sentence that names no period is given the benefit of the doubt (it often
takes its period from the sentences around it), so the check stays one-sided.

Years count only where they are written as a time ("in 2023", "since 2002",
"2022-23", "(2011)"), not as part of a name ("Children Act 2004", "Keeping
children safe in education 2023"), which dates the title rather than the figure.
"""

from __future__ import annotations

import re

# A year, or a span of years: "2023", "2022-23", "2022/2023", "2023–24".
_YEARS = re.compile(r"\b((?:19|20)\d\d)(?:\s?[-\u2013/]\s?((?:19|20)?\d\d))?\b")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# What before a year shows it is written as a time.
_TIME_BEFORE = re.compile(
    rf"(?:\b(?:in|since|from|by|until|of|on|during|between|and|to|for|published|updated"
    rf"|before|after|early|late|mid|spring|summer|autumn|winter|year|the|at|dated|\d{{1,2}}"
    rf"|{_MONTHS})\s+|[(\u2013\u2014-]\s*|,\s*)$",
    re.IGNORECASE,
)
# Kinds of answer (``kb.retrieve.answertype.asked_type``) that are figures for a period.
PERIOD_KINDS = frozenset({"count", "amount", "money"})


def period_years(text: str) -> set[int]:
    """The years ``text`` gives as times, spans filled in ("2022-23": 2022 and 2023)."""
    out: set[int] = set()
    for m in _YEARS.finditer(text):
        if not _TIME_BEFORE.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        first = int(m.group(1))
        last = first
        if m.group(2):
            tail = int(m.group(2))
            last = tail if tail >= 1900 else first // 100 * 100 + tail
        out.update(range(first, last + 1) if first <= last <= first + 10 else (first,))
    return out


def same_period(question: str, sentence: str) -> bool:
    """False when ``question`` names years and ``sentence`` names only others."""
    asked = period_years(question)
    if not asked:
        return True
    given = period_years(sentence)
    return not given or bool(asked & given)
