"""Hybrid search: dense and BM25 candidates fused with RRF, returned as cited hits."""

from __future__ import annotations

from dataclasses import dataclass

from kb.config import Settings
from kb.embed import Bm25Encoder, Embedder
from kb.records import Filters, Hit
from kb.store import Store, StoredHit


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
        query = query.strip()
        if not query:
            return []
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
        )
        return [to_hit(s) for s in stored]

    def count(self, filters: Filters | None = None) -> int:
        return self.store.count(filters or Filters())


def to_hit(stored: StoredHit) -> Hit:
    return Hit(chunk=stored.chunk, document=stored.document, score=stored.score)
