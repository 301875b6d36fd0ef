"""Unknown focal terms: does the library know what the question is about?

A similarity floor cannot tell "on topic" from "about something this library
never discusses" when the question is near the library's subject: "what have
reviews found about children injured by dogs" lands close to passages about
injured children in the family home whether or not any passage mentions a
dog, and a larger library lifts every question's best similarity. The library
itself can say more: its BM25 index knows which of the question's terms it
holds, and how often.

A question term is *unknown* when the searched part of the library never uses
it, or uses it so rarely (in at most ``rare`` of its passages) that the
passages that best match the question do not. An unknown term may still be
harmless: a filler word ("roughly", "sort of") or a synonym of what the
library says ("naked" for "nude"). So two checks, both on the dense model's
own vectors and needing one model call, made only when a question has an
unknown term:

- covered: the term embedded on its own is close (``cover``) to a sentence of
  the top passages: the library says it in other words;
- focal: dropping the uncovered terms from the question moves its vector by
  at least ``focal`` (one minus cosine): they carry what is asked.

A question with focal, uncovered, unknown terms gets "no good match", with a
reason naming them. The rule counts terms in this library (its size sets what
is rare); the cosines are the model's scale, not one corpus's
(docs/quality.md, "No good match across libraries", has the measurements).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from kb.config import SearchSettings
from kb.embed.bm25 import Bm25Encoder
from kb.records import Filters
from kb.store.contract import Store, StoreQuery
from kb.text.terms import words

# A text with more indexed words than this is a pasted passage, not a question:
# no one word of it is focal, and counting them all would cost a query each.
MAX_TERMS = 30
# From this count limit (``unknown_rare_share`` of the library plus one: 201 at
# 100k passages), about where a common term's count (a few ms, growing with the
# library) costs more than a model call for the question's words.
COUNT_LAST_FROM = 201
# (BM25 tokens, limit) -> in how many passages the tokens appear, counted up to limit.
Counter = Callable[[list[int], int], int]
# Texts in, one unit-length row per text out.
EmbedFunc = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Term:
    """One word of the question as BM25 sees it, with where it sits in the text."""

    word: str
    start: int
    end: int
    tokens: tuple[int, ...]


def question_terms(question: str, bm25: Bm25Encoder) -> list[Term]:
    """The question's words that BM25 indexes (stop words left out), first use only."""
    seen: set[tuple[int, ...]] = set()
    terms: list[Term] = []
    for m in words(question):
        tokens = tuple(bm25.query(m.group(0))[0])
        if tokens and tokens not in seen:
            seen.add(tokens)
            terms.append(Term(m.group(0), m.start(), m.end(), tokens))
    return terms


def absent(terms: Sequence[Term], top: set[int]) -> list[Term]:
    """The terms no top passage uses (``top``: the top passages' BM25 tokens).

    A term a top passage uses is known, whatever its count. That a top passage's
    text holds it means the library holds it: a passage's indexed tokens are
    those of its text and its context header (``kb.ingest.run``)."""
    return [t for t in terms if not set(t.tokens) <= top]


def rare_terms(terms: Sequence[Term], count: Counter, rare: int) -> list[Term]:
    """The terms with a token in at most ``rare`` passages (``count(tokens, limit)``
    counts up to ``limit``)."""
    return [t for t in terms if any(count([token], rare + 1) <= rare for token in t.tokens)]


def without(question: str, terms: Sequence[Term]) -> str:
    """``question`` with ``terms`` cut out."""
    out, last = [], 0
    for term in sorted(terms, key=lambda t: t.start):
        out.append(question[last : term.start])
        last = term.end
    out.append(question[last:])
    return " ".join("".join(out).split())


def uncovered(
    terms: Sequence[Term], top_sentences: np.ndarray, embed: EmbedFunc, settings: SearchSettings
) -> list[Term]:
    """The terms no top sentence says in other words (each embedded on its own)."""
    if not terms:
        return []
    rows = embed([t.word for t in terms])
    near = rows @ top_sentences.T if len(top_sentences) else np.zeros((len(terms), 1))
    best = near.max(axis=1)
    return [t for t, sim in zip(terms, best, strict=True) if sim < settings.unknown_cover]


def focal(
    question: str,
    query: np.ndarray,
    terms: Sequence[Term],
    embed: EmbedFunc,
    settings: SearchSettings,
) -> list[Term]:
    """``terms`` when dropping them moves the question's vector by ``unknown_focal``, else []."""
    if not terms:
        return []
    moved = 1.0 - float(np.dot(query, embed([without(question, terms)])[0]))
    return list(terms) if moved >= settings.unknown_focal else []


def unknown_reason(terms: Sequence[Term]) -> str:
    """Said after "no good match" when this check made the call."""
    names = ", ".join(f"\u201c{t.word}\u201d" for t in terms)
    return f"The nearest passages never mention {names}."


@dataclass(frozen=True)
class Evidence:
    """What search hands the check: the question, its vector, the top passages'
    texts and sentence vectors, and where to count terms."""

    question: str
    query: np.ndarray
    top_texts: Sequence[str]
    top_sentences: np.ndarray
    store: Store
    filters: Filters


def unknown_focal_terms(
    evidence: Evidence,
    bm25: Bm25Encoder,
    embed: EmbedFunc,
    settings: SearchSettings,
    count_last_from: int = COUNT_LAST_FROM,
) -> str:
    """Why the library cannot answer the question (``unknown_reason``), or "" when
    every term that carries it is known to the library or said in other words.

    Both orders of the checks find the same terms. A count is a BM25 search over
    all of a term's passages, which grows with the library (25 ms a term at 1M
    passages, bench/scale.py); the words' vectors are one model call, mostly
    cached. So from ``count_last_from`` (the count limit) only the terms the top
    sentences do not say in other words are counted."""
    terms = question_terms(evidence.question, bm25)
    if not terms or len(terms) > MAX_TERMS:
        return ""
    store, flt = evidence.store, evidence.filters
    candidates = absent(terms, {t for x in evidence.top_texts for t in bm25.document(x)[0]})
    if not candidates:
        return ""
    rare = int(settings.unknown_rare_share * store.count(flt))

    def count(tokens: list[int], limit: int) -> int:
        # No payloads: ``limit`` grows with the library (2,001 at 1M passages), and
        # reading that many cost seconds a question there (bench/scale.py).
        query = StoreQuery(sparse=(tokens, [1.0] * len(tokens)), filters=flt, limit=limit)
        return store.nearest_count(query)

    top = evidence.top_sentences
    if rare + 1 >= count_last_from:
        unknown = rare_terms(uncovered(candidates, top, embed, settings), count, rare)
    else:
        unknown = uncovered(rare_terms(candidates, count, rare), top, embed, settings)
    found = focal(evidence.question, evidence.query, unknown, embed, settings)
    return unknown_reason(found) if found else ""
