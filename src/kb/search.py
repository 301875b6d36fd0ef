"""Hybrid search: dense and BM25 candidates fused with RRF, returned as cited hits.

``Searcher.run`` also says whether anything in the library answers the
question closely enough ("no good match"), from the dense similarity between
the question and the best passages, so callers never pad an answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kb.config import Settings
from kb.embed import Bm25Encoder, Embedder
from kb.records import Filters, Hit
from kb.store import Store, StoredHit

MODES = ("hybrid", "dense", "sparse")


@dataclass(frozen=True)
class SearchResult:
    """Hits for one query, plus the evidence behind the no-match decision."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    no_match: bool = False
    best_similarity: float = 0.0  # cosine(question, best passage), 0 when unknown

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "no_match": self.no_match,
            "best_similarity": round(self.best_similarity, 4),
            "hits": [h.to_dict() for h in self.hits],
        }


@dataclass
class Searcher:
    """Holds the loaded model and the open store; cheap to call many times."""

    store: Store
    embedder: Embedder
    settings: Settings
    bm25: Bm25Encoder | None = None

    def __post_init__(self) -> None:
        if self.bm25 is None:
            self.bm25 = Bm25Encoder()

    def search(
        self, query: str, *, filters: Filters | None = None, top_k: int = 10, mode: str = "hybrid"
    ) -> list[Hit]:
        """Top passages for ``query``. ``mode`` is "hybrid", "dense" or "sparse"."""
        return self.run(query, filters=filters, top_k=top_k, mode=mode).hits

    def run(
        self, query: str, *, filters: Filters | None = None, top_k: int = 10, mode: str = "hybrid"
    ) -> SearchResult:
        query = query.strip()
        if not query:
            return SearchResult(query=query, no_match=True)
        assert self.bm25 is not None
        dense = self.embedder.embed_query(query) if mode in ("hybrid", "dense") else None
        sparse = self.bm25.query(query) if mode in ("hybrid", "sparse") else None
        stored = self.store.query(
            dense=dense,
            sparse=sparse,
            filters=filters or Filters(),
            limit=top_k,
            candidates=max(self.settings.candidates, top_k),
            rrf_k=self.settings.rrf_k,
            with_vectors=dense is not None,
        )
        best = best_similarity(dense, stored)
        no_match = not stored or (dense is not None and best < self.settings.no_match_below)
        return SearchResult(
            query=query, hits=[to_hit(s) for s in stored], no_match=no_match, best_similarity=best
        )

    def count(self, filters: Filters | None = None) -> int:
        return self.store.count(filters or Filters())


def best_similarity(query: np.ndarray | None, stored: list[StoredHit], top: int = 3) -> float:
    """Highest cosine between the question and the first ``top`` passages."""
    if query is None:
        return 0.0
    sims = [float(np.dot(query, s.vector)) for s in stored[:top] if s.vector is not None]
    return max(sims, default=0.0)


def to_hit(stored: StoredHit) -> Hit:
    return Hit(chunk=stored.chunk, document=stored.document, score=stored.score)
