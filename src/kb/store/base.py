"""What both backends do alike, written once over a few engine primitives.

A backend supplies ``_scroll``, ``_count``, ``_facet`` and ``_nearest`` for a
``Selection`` (``kb.store.filters``), and ``_sparse``, ``_point`` and
``_upsert`` to build and write points; ``PointStore`` builds the ``Store``
contract's upserts and reads from them: documents, chunk counts, a document's
chunks, filtered counts and facets, and the one-retriever query.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import kb.store.filters as select
from kb.records import Chunk, Document, Filters, document_point_id
from kb.store.contract import DENSE, SPARSE, EmbeddedChunks, SparseVec, StoredHit, StoreQuery
from kb.store.filters import Selection
from kb.store.payload import (
    chunk_from_payload,
    chunk_payload,
    dense_of,
    document_payload,
    sentence_vectors_of,
    stored_hit,
)

BATCH = 256  # points per update call

# (payload, score, stored vectors) for each nearest point, best first.
Nearest = list[tuple[dict[str, Any], float, Any]]


def with_payload(fields: Sequence[str] | None) -> bool | list[str]:
    """The engines' ``with_payload`` for ``fields``: None all of it, () none, else those."""
    return True if fields is None else list(fields) or False


class PointStore:
    """The ``Store`` contract's upserts and reads, for a backend's primitives."""

    def reading(self) -> AbstractContextManager[None]:
        # One shard or one server collection: nothing to hold still.
        return nullcontext()

    def _sparse(self, vector: SparseVec) -> Any:
        """The engine's sparse vector for ``(indices, values)``."""
        raise NotImplementedError

    def _point(self, point_id: str, vectors: dict[str, Any], payload: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _upsert(self, points: list[Any]) -> None:
        raise NotImplementedError

    def _scroll(self, selection: Selection) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def _count(self, selection: Selection) -> int:
        raise NotImplementedError

    def _facet(self, key: str, selection: Selection, limit: int) -> dict[Any, int]:
        raise NotImplementedError

    def _nearest(
        self,
        using: str,
        vector: Any,
        selection: Selection,
        limit: int,
        with_vectors: bool,
        fields: Sequence[str] | None = None,
    ) -> Nearest:
        """Each hit's payload (only ``fields`` of it when given, none for ()), score
        and vectors."""
        raise NotImplementedError

    def upsert_chunks(self, chunks: EmbeddedChunks) -> None:
        points = [
            self._point(
                c.chunk_id,
                {
                    DENSE: chunks.dense[i].tolist(),
                    SPARSE: self._sparse(chunks.sparse[i]),
                    **sentence_vectors_of(chunks.sentences, i),
                },
                chunk_payload(chunks.document, c),
            )
            for i, c in enumerate(chunks.chunks)
        ]
        for start in range(0, len(points), BATCH):
            self._upsert(points[start : start + BATCH])

    def put_document(self, document: Document) -> None:
        marker = document_point_id(document.doc_id)
        self._upsert([self._point(marker, {}, document_payload(document))])

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

    def query(self, query: StoreQuery) -> list[StoredHit]:
        found = self._ask(query, query.with_vectors)
        return [stored_hit(p, score, dense_of(v)) for p, score, v in found]

    def nearest_doc_ids(self, query: StoreQuery) -> list[str]:
        found = self._ask(query, False, fields=("doc_id",))
        return [str(p.get("doc_id", "")) for p, _, _ in found]

    def nearest_count(self, query: StoreQuery) -> int:
        return len(self._ask(query, False, fields=()))

    def _ask(
        self, query: StoreQuery, with_vectors: bool, fields: Sequence[str] | None = None
    ) -> Nearest:
        """``query``'s one retriever, through the backend's ``_nearest``."""
        target = self._target(query)
        if target is None:
            return []
        return self._nearest(*target, query.limit, with_vectors, fields)

    @staticmethod
    def _target(query: StoreQuery) -> tuple[str, Any, Selection] | None:
        """The retriever ``query`` asks, its vector and its selection (None: nothing to ask)."""
        using = query.using
        if using is None:
            return None
        vector = query.dense if using == DENSE else query.sparse
        return using, vector, select.chunks(query.filters)
