"""Which numbers in a text count something: "28 rapid reviews", not "section 17".

The answer-type check (``kb.retrieve.answertype``) asks of a "how many ..."
question whether any top passage gives a number of the thing counted. Most
numbers in these documents label rather than count: years, section, paragraph
and page numbers, footnote markers, phone numbers, days of the month, lengths
of time. ``counts`` passes over those and looks for the counted noun within a
few words of the number that is left.
"""

from __future__ import annotations

import re

from kb.text.terms import words

ASKS_COUNT = re.compile(r"\bhow many\b", re.IGNORECASE)

# Ends the counted phrase after "how many": "how many [local practice reviews] were".
_PHRASE_END = frozenset(
    re.findall(
        r"\w+",
        "are is was were did do does have has had can could should must will would"
        " may might in of on at for from per each a an the to by with that"
        " who which there it they we you i under over about between among across during",
    )
)

_NUMBER_WORDS = (
    "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty"
    "|forty|fifty|sixty|seventy|eighty|ninety|hundred|hundreds|thousand|thousands"
    "|dozen|dozens|million|millions"
)
NUMBER_WORD = re.compile(rf"(?:one|{_NUMBER_WORDS})", re.IGNORECASE)
_COUNT = re.compile(
    rf"(?<![\w.,£$:])(?:\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?)(?![\w%:])|\b(?:{_NUMBER_WORDS})\b",
    re.IGNORECASE,
)
# Numbers that label rather than count: "section 17", "paragraph 5", "Phase 9".
_LABEL_BEFORE = re.compile(
    r"\b(?:section|sections|paragraphs?|para|page|pages|pp?|regulations?|annex|chapter|phase"
    r"|figure|table|step|level|version|outcome|enabler|part|schedule|article|standard"
    r"|appendix|tier|stage|child|year|aged?|under|over|no|number)\.?\s*$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
# Words either side of a number that may name what it counts: "28 rapid
# reviews", "2.6 million initial contacts", "reviews (n = 28)".
COUNT_WINDOW_AFTER = 3
COUNT_WINDOW_BEFORE = 2
# "343. The safeguarding partners ...", "... the rapid review 343.", a page number
# ending a contents line, "1 September": a label or a day of the month, not a count.
_PARAGRAPH_AFTER = re.compile(
    r"^\.(?:\s+[A-Z])|^\.?\s*$|^\s+(?:January|February|March|April|May|June|July|August"
    r"|September|October|November|December)\b"
)
_TIME_UNIT_AFTER = re.compile(
    r"^[\s-]+(?:(?:working|calendar|school)[\s-]+)?(?:hours?|days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
# "49 In maintained schools ...": a footnote number opening a sentence.
_FOOTNOTE_AT_START = re.compile(r"^\s+[A-Z][a-z]")
# "... serious case reviews 208 President of ...": a note number between words.
_NOTE_NUMBER = re.compile(r"^\d{3,}$")


def _noun(word: str) -> str:
    """A word's singular, lower-cased ("reviews" -> "review"); "called" stays itself,
    so that "so-called" is no count of calls."""
    w = word.lower().replace("\u2019", "'").removesuffix("'s")
    return w[:-1] if w.endswith("s") and not w.endswith("ss") and len(w) > 3 else w


def counted_phrase(question: str) -> list[str]:
    """The words naming what "how many" counts ("local child safeguarding practice
    reviews"), up to the verb or preposition that ends them; [] when there is none."""
    match = ASKS_COUNT.search(question)
    if match is None:
        return []
    phrase: list[str] = []
    for word in words(question[match.end() :]):
        text = word.group(0)
        # A verb ends the phrase: "how many homes [closed]", "children [died]".
        if text.lower() in _PHRASE_END or (phrase and text.endswith("ed") and len(text) > 4):
            break
        phrase.append(text)
    return phrase


def counted_term(question: str) -> str:
    """What "how many" counts, as ``_noun`` ("reviews" -> "review"); "" when the
    question does not say, or says it as an acronym (which the passage may spell out)."""
    phrase = counted_phrase(question)
    if not phrase or phrase[-1].isupper():
        return ""
    return _noun(phrase[-1])


def _footnote(sentence: str, match: re.Match[str]) -> bool:
    """A note or paragraph number: opening the sentence, or a bare three-digit one,
    before a capitalised word."""
    if not _FOOTNOTE_AT_START.match(sentence[match.end() :]):
        return False
    return not sentence[: match.start()].strip() or bool(_NOTE_NUMBER.match(match.group(0)))


# "How many times ..." is answered by "twice" as well as by "eleven times".
_TIMES = re.compile(r"\b(?:once|twice|thrice)\b", re.IGNORECASE)


def counts(sentence: str, counted: str) -> bool:
    """Whether ``sentence`` gives a number of ``counted`` ("" for any count), not
    a year or a label such as "section 17" or a paragraph number."""
    if counted == "time" and _TIMES.search(sentence):
        return True
    tokens = [(m.start(), _noun(m.group(0))) for m in words(sentence)]
    for match in _COUNT.finditer(sentence):
        if (
            _YEAR.match(match.group(0))
            or _LABEL_BEFORE.search(sentence[: match.start()])
            or _PARAGRAPH_AFTER.match(sentence[match.end() :])
            or _footnote(sentence, match)
            or match.group(0).startswith("0")  # "0800 028 0285", "08:00"
            or _TIME_UNIT_AFTER.match(sentence[match.end() :])  # "within 72 hours"
        ):
            continue
        if not counted:
            return True
        at = next((i for i, (start, _) in enumerate(tokens) if start >= match.end()), len(tokens))
        near = tokens[max(0, at - 1 - COUNT_WINDOW_BEFORE) : at + COUNT_WINDOW_AFTER]
        if any(w == counted for _, w in near):
            return True
    return False
