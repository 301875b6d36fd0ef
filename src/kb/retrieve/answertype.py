"""Answer-type check: a question asking for a kind of fact needs a passage that states one.

Similarity alone cannot tell "on topic" from "answers it": a question about
the deadline for an EHC plan lands close to passages about EHC plans whether
or not any of them gives the deadline. For some kinds of question the gap can
be checked without a reader model, by the kind of fact the answer must hold:

- a time limit ("deadline", "how soon", "within how many days"): a length of
  time ("within 20 weeks", "one working day", "immediately");
- a number ("how many reviews", "what percentage", "how much"): a count of the
  thing asked about ("28 rapid reviews"), or a percentage or sum of money;
- an age ("at what age", "how old"): an age ("aged 16", "a 15-year-old");
- a date ("when was it published", "in what year"): a year or a date;
- a named person ("who is the current chair", "the name of the"): a name.

When none of the top passages states one, kb says "no good match" and shows
them as related reading only, with a reason naming the missing kind of fact.

The check is deliberately one-sided and wide: any stated value of the kind in
any of the top passages lets the answer through. Durations count anywhere in a
passage (as since the check began); a count must sit within a few words of the
thing counted, and an age, date, name or percentage in a sentence sharing a
content word with the question, because numbers, years and capitalised names
are everywhere in these documents and would otherwise let everything through
(docs/quality.md, "No good match", has what it caught and what it let pass).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from kb.retrieve.counts import ASKS_COUNT, NUMBER_WORD, counted_phrase, counted_term, counts
from kb.retrieve.period import PERIOD_KINDS, same_period
from kb.text.sentences import sentence_texts
from kb.text.terms import content_terms, stem, words

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
_AGE_YEARS_AFTER = re.compile(r"^\s*(?:and|or) (?:over|under|above|older|younger)\b", re.IGNORECASE)


_ASKS_UNIT = re.compile(
    r"\bhow many (?:(?:working|calendar|school) )?(hours|days|weeks|months|years)\b", re.IGNORECASE
)


def asked_unit(question: str) -> str:
    """The unit a "how many hours / days ..." question names ("hour"), else ""."""
    match = _ASKS_UNIT.search(question)
    return match.group(1).lower().rstrip("s") if match else ""


def states_duration(text: str, unit: str = "") -> bool:
    """Whether ``text`` states a length of time (or "immediately"); ages do not count.
    With ``unit`` ("hour"), only a length in that unit counts: "how many hours"
    is not answered by "within three months"."""
    for match in _DURATION.finditer(text):
        if match.group(1) is None:  # "immediately", "same day"...
            if unit:
                continue
            return True
        if unit and not match.group(1).lower().startswith(unit):
            continue
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


# -- numbers, ages, dates, names

# Said after "no good match" when the check for each kind of fact made the call.
NO_NUMBER_STATED = "The nearest passages state no number or amount of what is asked."
NO_AGE_STATED = "The nearest passages state no age."
NO_DATE_STATED = "The nearest passages state no date or year for it."
NO_PERSON_NAMED = "The nearest passages name no person for it."

_ASKS_AGE = re.compile(
    r"\b(?:(?:at|from|to|until|by) what age|what age|how old|(?:minimum|maximum|legal) age"
    r"|age limit|age of consent)\b",
    re.IGNORECASE,
)
# "When was it published / did it start", "in what year": a date in the past.
# "When must / should ..." asks for timing, which the duration check covers.
_ASKS_DATE = re.compile(
    r"\b(?:when (?:was|were|did)|(?:in|since) (?:what|which) year|what year|(?:on )?what date"
    r"|since when)\b",
    re.IGNORECASE,
)
# A named person, not a role: "who is the current chair", "who wrote", "the name
# of the". "Who is responsible / who chairs / who decides" ask for a role and are
# answered by one ("the designated safeguarding lead"), so they are not checked.
_ASKS_PERSON = re.compile(
    r"\bwho (?:is|was) (?:the )?(?:current|present|first|former|then|new|named)\b"
    r"|\bwho (?:is|was) the (?:chair|head|author|director|leader|commissioner|minister"
    r"|president|secretary of state|chief)\b"
    r"|\bwho (?:wrote|authored|founded|commissioned|chaired|led)\b|\bname of the\b|\bby name\b",
    re.IGNORECASE,
)
_ASKS_MONEY = re.compile(
    r"\bhow much\b.*\b(?:cost|costs|paid|pay|spend|spent|funding|fund|allowance|fee|fees"
    r"|charge|worth|money|budget|grant|compensation)\b|\bwhat (?:is|was) the cost\b",
    re.IGNORECASE,
)
_ASKS_AMOUNT = re.compile(
    r"\b(?:what|which) (?:percentage|proportion|share|fraction)\b|\bhow much\b"
    r"|\bwhat (?:is|was) the (?:cost|number|total|rate)\b",
    re.IGNORECASE,
)

# Words too common in these documents to show a sentence is about the question.
_GENERIC = frozenset(
    stem(w)
    for w in re.findall(
        r"\w+",
        "child children young people person england english uk law legally legal year"
        " years age old number percentage proportion total average current first name date"
        " safeguarding local national time",
    )
)
_PERCENT = re.compile(r"\d\s?%|\d\s?per ?cent\b", re.IGNORECASE)
_AMOUNT = re.compile(
    r"\d\s?%|\bper ?cent\b|£\s?\d|\d\s?(?:million|billion|bn|m)\b"
    r"|\b(?:one|two|three|four|five|a) (?:in|out of) (?:every )?\w+\b"
    r"|\b(?:half|a third|a quarter|two[- ]thirds|three[- ]quarters|majority|minority)\b",
    re.IGNORECASE,
)
_AGE = re.compile(
    r"\baged?\s+(?:\d+|under|over|between)|\bage of \d+|\bage of [\w ]{3,30}? (?:is|was) \d+"
    r"|\b\d+[\s-]+years?[\s-]+olds?\b"
    r"|\b\d+\s+(?:years? )?(?:old|of age)\b|\b(?:under|over|above|below)[\s-]+\d+s?\b"
    r"|\b\d+\s*(?:and|or) (?:over|under|older|above)\b|\bunder[- ]age\b",
    re.IGNORECASE,
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# Month names capitalised only: "may" is mostly a verb.
_MONEY = re.compile(r"£\s?\d|\d\s?(?:pounds|million|billion|bn)\b", re.IGNORECASE)
_MONTH = re.compile(rf"\b(?:{_MONTHS.title()})\b")
_YEAR_IN_TEXT = re.compile(r"\b(?:19|20)\d\d\b")
# A year is a date when it is written as one: "in 2023", "(2011)", "March 2025",
# "2022-23"; not as part of a name: "Education Act 2002", "Keeping children safe
# in education 2023" (the year of a title dates the title, not what is asked).
_DATE_CONTEXT = re.compile(
    r"(?:\b(?:in|since|from|by|until|of|on|during|between|and|to|published|updated|issued"
    r"|before|after|early|late|mid|spring|summer|autumn|winter|year|the|at|dated|\d{1,2})\s+"
    r"|[(\u2013\u2014-]\s*|,\s*)$",
    re.IGNORECASE,
)
_CAPITALISED = r"[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?"  # also "MacAlister"
# Authors cited as "(Ofsted, 2024)" that are not people.
_ORGANISATIONS = (
    r"(?:Ofsted|Department|Government|Council|Commissioner|Panel|Partnership|Board|Office"
    r"|Agency|Authority|Association|Inspectorate|Unit|Services?|Trust|Foundation|Library"
    r"|Education|Health|Parliament|Nagalro|Barnardo)\b"
)
# A name: with a title ("Dame Rachel de Souza", "Professor Munro"), as an
# author ("Eileen Munro, 2011", "(MacAlister, 2022)"), or as someone's role
# ("chaired by Annie Hudson").
_PERSON = re.compile(
    rf"\b(?:Sir|Dame|Lord|Lady|Baroness|Baron|Professor|Prof|Dr|Mr|Mrs|Ms|Miss|Judge)\.?"
    rf" {_CAPITALISED}"
    rf"|\((?!{_ORGANISATIONS}){_CAPITALISED}(?: et al\.?)?,? (?:19|20)\d\d"
    rf"|\b(?:chaired|led|written|authored) by {_CAPITALISED} {_CAPITALISED}\b"
)


def asked_type(question: str) -> str:
    """The kind of fact ``question`` asks for: "duration", "age", "date",
    "person", "count", "amount", or "" for none the check knows."""
    for kind, pattern in (
        ("duration", _ASKS_DURATION),
        ("age", _ASKS_AGE),
        ("date", _ASKS_DATE),
        ("person", _ASKS_PERSON),
        ("money", _ASKS_MONEY),
        ("amount", _ASKS_AMOUNT),
        ("count", ASKS_COUNT),
    ):
        if pattern.search(question):
            return kind
    return ""


def _states_date(sentence: str) -> bool:
    if _MONTH.search(sentence):
        return True
    return any(
        _DATE_CONTEXT.search(sentence[max(0, m.start() - 12) : m.start()])
        for m in _YEAR_IN_TEXT.finditer(sentence)
    )


def key_terms(question: str) -> set[str]:
    """The question's content stems that can show a sentence is about it (not
    numbers: "in 2023" would make every sentence naming 2023 on topic)."""
    terms = {t.lower() for t in content_terms(question)} - _GENERIC
    return {t for t in terms if not t.isdigit() and not NUMBER_WORD.fullmatch(t)}


def _on_topic(sentence: str, terms: set[str], least: int = 2) -> bool:
    """Whether ``sentence`` shares key terms with the question: two of them when
    the question has two or more, since one ("home", "left") is often incidental."""
    if not terms:
        return True
    shared = terms & {stem(m.group(0)).lower() for m in words(sentence)}
    return len(shared) >= min(least, len(terms))


def _counts_what_is_asked(sentence: str, question: str, terms: set[str]) -> bool:
    """Whether ``sentence`` gives a number of what a "how many" question counts,
    about what the question says of it."""
    counted = counted_term(question)
    # On topic too: "79 reviews" across London does not count Lambeth's reviews.
    # Unless the question names what it counts only by an acronym ("how many
    # UASC"), which the passage may spell out: then any count will do.
    if counts(sentence, counted) and (not counted or _on_topic(sentence, terms)):
        return _about_the_rest(sentence, question, terms)
    # "How many were absent" is answered by "30%" too (not by "half", which
    # is as often a figure of speech).
    return (
        _PERCENT.search(sentence) is not None
        and _on_topic(sentence, terms)
        and _about_the_rest(sentence, question, terms)
    )


def _about_the_rest(sentence: str, question: str, terms: set[str]) -> bool:
    """Whether ``sentence`` shares a key term of the question beyond the words
    naming what is counted: "how many reviews were published" is not answered by
    "38% of the rapid reviews recommended a review", which only names reviews."""
    named = {stem(w).lower() for w in counted_phrase(question)}
    rest = terms - named
    return not rest or _on_topic(sentence, rest, least=1)


def _states_in_sentence(kind: str, sentence: str, question: str) -> bool:
    terms = key_terms(question)
    if kind in PERIOD_KINDS and not same_period(question, sentence):
        return False  # "16 homes have closed since 2002" gives no figure for 2023
    if kind == "count":
        return _counts_what_is_asked(sentence, question, terms)
    if kind == "date":
        return _states_date(sentence) and _on_topic(sentence, terms)
    pattern = {"money": _MONEY, "amount": _AMOUNT, "age": _AGE}.get(kind, _PERSON)
    return pattern.search(sentence) is not None and _on_topic(sentence, terms)


def states_answer_type(kind: str, text: str, question: str = "") -> bool:
    """Whether ``text`` states the kind of fact ``kind`` that ``question`` asks for
    (``asked_type``): a duration anywhere, the others in one sentence on topic."""
    if kind == "duration":
        unit = asked_unit(question)
        if not unit:
            return states_duration(text)
        # "How many hours of training must a childminder complete" is not answered
        # by "Red 4 hours" in a missing-children protocol: a length in the unit
        # asked, in a sentence about the question.
        terms = {t for t in key_terms(question) if not t.startswith(unit)}
        return any(states_duration(s, unit) and _on_topic(s, terms) for s in sentence_texts(text))
    if kind not in _REASONS:
        return True
    return any(_states_in_sentence(kind, s, question) for s in sentence_texts(text))


_REASONS = {
    "duration": NO_TIME_STATED,
    "count": NO_NUMBER_STATED,
    "amount": NO_NUMBER_STATED,
    "money": NO_NUMBER_STATED,
    "age": NO_AGE_STATED,
    "date": NO_DATE_STATED,
    "person": NO_PERSON_NAMED,
}


def missing_answer_type(question: str, passages: Iterable[str]) -> str:
    """Why ``passages`` cannot answer ``question`` (a ``NO_…`` reason), or "" when
    the question asks for no kind of fact the check knows, or one of them states it."""
    kind = asked_type(question)
    if not kind or any(states_answer_type(kind, t, question) for t in passages):
        return ""
    return _REASONS[kind]


def stating_asked_type(question: str, sentences: Sequence[str]) -> list[bool]:
    """For each of ``sentences``, whether it states the kind of fact ``question``
    asks for; all False when the question asks for no kind the check knows."""
    kind = asked_type(question)
    return [bool(kind) and states_answer_type(kind, s, question) for s in sentences]


def lacks_answer_type(question: str, passages: Iterable[str]) -> bool:
    """True when ``question`` asks for a kind of fact that no passage states."""
    return bool(missing_answer_type(question, passages))
