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


def unknown_terms(
    terms: Sequence[Term],
    count: Counter,
    top: set[int],
    rare: int,
) -> list[Term]:
    """Terms the library never uses, or uses in at most ``rare`` passages none of
    which is among the top ones (``top``: the top passages' BM25 tokens).

    A term a top passage uses is known whatever its count, so only the others
    are counted. Those are the rare ones, with short postings: a common term's
    count (one BM25 search over all its passages) cost tens of ms at 1M
    passages (bench/scale.py). That a top passage's text holds a term means the
    library holds it: a passage's indexed tokens are those of its text and its
    context header (``kb.ingest.run``)."""
    return [
        term
        for term in terms
        if not set(term.tokens) <= top
        and any(count([token], rare + 1) <= rare for token in term.tokens)
    ]


def without(question: str, terms: Sequence[Term]) -> str:
    """``question`` with ``terms`` cut out."""
    out, last = [], 0
    for term in sorted(terms, key=lambda t: t.start):
        out.append(question[last : term.start])
        last = term.end
    out.append(question[last:])
    return " ".join("".join(out).split())


def focal_unknown(
    question: str,
    query: np.ndarray,
    unknown: Sequence[Term],
    top_sentences: np.ndarray,
    embed: EmbedFunc,
    settings: SearchSettings,
) -> list[Term]:
    """The unknown terms that are neither said in other words by the top
    sentences nor incidental to the question ([] when there are none)."""
    if not unknown:
        return []
    rows = embed([t.word for t in unknown] + [without(question, unknown)])
    near = (
        (rows[:-1] @ top_sentences.T).max(axis=1) if len(top_sentences) else np.zeros(len(unknown))
    )
    uncovered = [t for t, sim in zip(unknown, near, strict=True) if sim < settings.unknown_cover]
    if not uncovered:
        return []
    rest = rows[-1] if len(uncovered) == len(unknown) else embed([without(question, uncovered)])[0]
    moved = 1.0 - float(np.dot(query, rest))
    return uncovered if moved >= settings.unknown_focal else []


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
    evidence: Evidence, bm25: Bm25Encoder, embed: EmbedFunc, settings: SearchSettings
) -> str:
    """Why the library cannot answer the question (``unknown_reason``), or "" when
    every term that carries it is known to the library or said in other words."""
    terms = question_terms(evidence.question, bm25)
    if not terms or len(terms) > MAX_TERMS:
        return ""
    store, flt = evidence.store, evidence.filters
    rare = int(settings.unknown_rare_share * store.count(flt))

    def count(tokens: list[int], limit: int) -> int:
        # No payloads: ``limit`` grows with the library (2,000 at 1M passages), and
        # reading that many cost seconds a question there (bench/scale.py).
        query = StoreQuery(sparse=(tokens, [1.0] * len(tokens)), filters=flt, limit=limit)
        return store.nearest_count(query)

    top = {t for text in evidence.top_texts for t in bm25.document(text)[0]}
    unknown = unknown_terms(terms, count, top, rare)
    focal = focal_unknown(
        evidence.question, evidence.query, unknown, evidence.top_sentences, embed, settings
    )
    return unknown_reason(focal) if focal else ""
