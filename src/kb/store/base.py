"""What both backends do alike, written once over four engine primitives.

A backend supplies ``_scroll``, ``_count``, ``_facet`` and ``_nearest`` for a
``Selection`` (``kb.store.filters``); ``PointReads`` builds the ``Store``
contract's reads from them: documents, chunk counts, a document's chunks,
filtered counts and facets, and the one-retriever query.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import kb.store.filters as select
from kb.records import Chunk, Document, Filters
from kb.store.contract import SparseVec, StoredHit, one_retriever
from kb.store.filters import Selection
from kb.store.payload import chunk_from_payload, dense_of, stored_hit

# (payload, score, stored vectors) for each nearest point, best first.
Nearest = list[tuple[dict[str, Any], float, Any]]


class PointReads:
    """The reads of the ``Store`` contract, for a backend's four primitives."""

    def _scroll(self, selection: Selection) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def _count(self, selection: Selection) -> int:
        raise NotImplementedError

    def _facet(self, key: str, selection: Selection, limit: int) -> dict[Any, int]:
        raise NotImplementedError

    def _nearest(
        self, using: str, vector: Any, selection: Selection, limit: int, with_vectors: bool
    ) -> Nearest:
        raise NotImplementedError

    def documents(self) -> list[Document]:
        return sorted(
            (Document.from_dict(p) for p in self._scroll(select.documents())),
            key=lambda d: d.file.lower(),
        )

    def chunk_doc_ids(self) -> dict[str, int]:
        counts = self._facet("doc_id", select.chunks(Filters()), 1_000_000)
        return {str(k): v for k, v in counts.items()}

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return sorted(
            (chunk_from_payload(p) for p in self._scroll(select.chunks_of(doc_id))),
            key=lambda c: c.index,
        )

    def count(self, filters: Filters) -> int:
        return self._count(select.chunks(filters))

    def facet(self, key: str, filters: Filters, limit: int = 50) -> dict[Any, int]:
        return self._facet(key, select.chunks(filters), limit)

    def query(
        self,
        *,
        dense: np.ndarray | None = None,
        sparse: SparseVec | None = None,
        filters: Filters,
        limit: int,
        with_vectors: bool = False,
    ) -> list[StoredHit]:
        using = one_retriever(dense, sparse)
        if using is None:
            return []
        vector = dense if dense is not None else sparse
        found = self._nearest(using, vector, select.chunks(filters), limit, with_vectors)
        return [stored_hit(p, score, dense_of(v)) for p, score, v in found]
