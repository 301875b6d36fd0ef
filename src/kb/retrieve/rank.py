"""Pure ranking functions behind ``kb.retrieve.search``: fusion, sentence matching, page repeats.

Each function works on plain ids, vectors and page sets, so it can be tested on
hand-made inputs without a model or a store. What each step is for, and what
it measured on the dev questions, is in docs/quality.md ("Retrieval quality").

- ``weighted_rrf``: reciprocal rank fusion with a weight per ranked list.
- ``expanded_query_terms``: the BM25 query plus glossary expansions at a lower
  weight, so an added synonym can help a passage but never outweigh what the
  person typed.
- ``best_match`` / ``best_sentences``: a passage scored by its best-matching
  sentence. A 256-token passage embeds as the average of everything it says;
  the question usually matches one sentence of it, and MiniLM compares a
  question with a sentence far more sharply than with a whole passage.
- ``demote_repeated_pages``: a passage whose pages all appear in passages
  ranked above it adds no new place to look, so it moves below those that do.
- ``demote_listings``: a passage that is mostly a contents page, a reference
  list or a title page (as ingest marked it) moves below the prose passages.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

import numpy as np

from kb.records import CONTENTS, REFERENCE, TITLE, Chunk

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

SparseVec = tuple[list[int], list[float]]
PageKey = tuple[str, int]  # (document id, page number)

# A fragment shorter than this ("Yes.", "See 4.2.", a heading) says too little
# to match on its own, so it is joined to the sentence that follows it.


def weighted_rrf(
    rankings: Sequence[Sequence[K]], weights: Sequence[float], k: float
) -> dict[K, float]:
    """Weighted reciprocal rank fusion: score(x) = sum over lists of w / (k + rank).

    Ranks start at 1. An id missing from a list gets nothing from it. A smaller
    ``k`` lets the top of each list count for more against its tail.
    """
    if len(rankings) != len(weights):
        raise ValueError("one weight per ranking")
    scores: dict[K, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return scores


def ordered(scores: dict[K, float]) -> list[K]:
    """Ids by score, highest first; ties keep insertion order (sorted is stable)."""
    return sorted(scores, key=lambda key: -scores[key])


def expanded_query_terms(typed: SparseVec, added: SparseVec, weight: float) -> SparseVec:
    """BM25 query terms: the typed ones at full weight, then new expansion terms at ``weight``.

    A term both typed and added keeps its typed weight, so expansion can only
    add evidence, never change how much the person's own words count.
    """
    indices = list(typed[0])
    values = list(typed[1])
    seen = set(indices)
    if weight > 0:
        for index, value in zip(*added, strict=True):
            if index not in seen:
                seen.add(index)
                indices.append(index)
                values.append(value * weight)
    return indices, values


def best_match(queries: np.ndarray, sentences: np.ndarray) -> float:
    """Highest cosine between any query vector and any sentence vector (rows unit length)."""
    if queries.size == 0 or sentences.size == 0:
        return 0.0
    return float(np.max(np.atleast_2d(queries) @ np.atleast_2d(sentences).T))


def best_sentences(
    queries: np.ndarray, vectors: dict[str, np.ndarray]
) -> dict[str, tuple[float, float]]:
    """Per passage: (best sentence cosine over all query vectors, over the typed query)."""
    queries = np.atleast_2d(queries)
    return {
        key: (best_match(queries, rows), best_match(queries[:1], rows))
        for key, rows in vectors.items()
        if len(rows)
    }


def demote_repeated_pages(
    items: Sequence[T], pages: Callable[[T], Iterable[PageKey]]
) -> list[T]:
    """Move each item whose pages were all covered by items above it below the others.

    Stable: the items that bring a new page keep their order, and so do the
    repeats after them.
    """
    seen: set[PageKey] = set()
    fresh: list[T] = []
    repeats: list[T] = []
    for item in items:
        own = set(pages(item))
        (repeats if own and own <= seen else fresh).append(item)
        seen |= own
    return fresh + repeats


# Marks (``kb.ingest.marks``) that make a passage a listing rather than prose:
# contents entries, reference lists, title-page lines. Not footnotes: a page
# long with them still has its prose (Working Together p. 47 answers a41).
LISTING_KINDS = frozenset({TITLE, CONTENTS, REFERENCE})
# A passage this much of whose text is listing is one.
LISTING_SHARE = 0.5


def mostly_listing(chunk: Chunk) -> bool:
    """Whether most of ``chunk`` is a contents page, a reference list or a title
    page: it names the question's words without saying anything of them."""
    listed = sum(m.end - m.start for m in chunk.marks if m.kind in LISTING_KINDS)
    return bool(chunk.text) and listed >= LISTING_SHARE * len(chunk.text)


def demote_listings(items: Sequence[T], chunk: Callable[[T], Chunk]) -> list[T]:
    """Move mostly-listing passages below the others, each part in its order."""
    prose = [item for item in items if not mostly_listing(chunk(item))]
    listings = [item for item in items if mostly_listing(chunk(item))]
    return prose + listings
