"""Words and terms: the one tokeniser, stemmer and stop-word list for matching.

Answer extraction scores sentences by the question's content terms, and the
web layer highlights the same terms, so both use these helpers.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['\u2019][A-Za-z]+)?")

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing done down during
    each either else ever few for from further get gets got had has have having he her here
    hers him his how i if in into is it its itself just least less let like made make many
    may me might more most much must my need needs no nor not now of off on once one only or
    other our ours out over own per please said same shall she should so some such than that
    the their theirs them then there these they this those through to too under until up
    upon us use used using very was we were what when where whether which while who whom
    whose why will with within without would yes yet you your yours
    tell know want way ways thing things happen happens
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def stem(word: str) -> str:
    """A deliberately crude stem, enough to match "notify"/"notified"/"notifying"
    and "share"/"shared"/"sharing" (used for overlap and highlighting only)."""
    w = word.lower().replace("\u2019", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for suffix, keep in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("ly", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)] + keep
            break
    else:
        if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 4:
            w = w[:-1]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def words(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def content_terms(text: str) -> list[str]:
    """The question's meaningful words, stemmed, in order, without repeats."""
    seen: dict[str, None] = {}
    for m in words(text):
        w = m.group(0)
        # Two-letter acronyms (LA, GP) count; single letters ("Child R") and short
        # lowercase words are noise.
        if w.lower() in STOPWORDS or len(w) < 2 or (len(w) < 3 and not w.isupper()):
            continue
        seen.setdefault(stem(w), None)
    return list(seen)
