"""The vector store contract: the ``Store`` protocol and the schema both backends hold.

Two backends implement it: Qdrant Edge in-process (``kb.store.edge``, the
default, read through ``kb.store.live``) and a Qdrant server or cluster through
qdrant-client (``kb.store.server``, when ``QDRANT_URL`` is set). Both hold the
same schema: per chunk a dense vector ("dense", cosine), a sparse BM25 vector
("bm25", IDF applied by the engine) and one vector per sentence ("sentences",
a float16 multivector that is stored, not indexed: search reads it back for its
top passages to score them by their best sentence), plus the chunk's metadata
as payload with indexes on the filter fields (``kb.store.payload``).

A query asks one retriever at a time (dense or BM25): fusing them is search's
job (``kb.retrieve.search``), which weighs and re-ranks them itself.

Nothing outside the store sees an engine object: results come back as
``StoredHit`` records built from ``kb.records``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from kb.records import Chunk, Document, Filters

DENSE = "dense"
SPARSE = "bm25"
SENTENCES = "sentences"
KEYWORD_FIELDS = ("record", "doc_id", "file", "doc_type", "publisher", "kind", "themes")
INTEGER_FIELDS = ("year", "page_start")
SparseVec = tuple[list[int], list[float]]


@dataclass(frozen=True)
class StoredHit:
    chunk: Chunk
    document: Document
    score: float
    vector: np.ndarray | None = None


class Store(Protocol):
    """What kb needs from a vector store."""

    location: str

    def upsert_chunks(
        self,
        document: Document,
        chunks: Sequence[Chunk],
        dense: np.ndarray,
        sparse: Sequence[SparseVec],
        *,
        sentences: Sequence[np.ndarray] | None = None,
    ) -> None: ...

    def put_document(self, document: Document) -> None: ...

    def delete_document(self, doc_id: str) -> None: ...

    def documents(self) -> list[Document]: ...

    def chunk_doc_ids(self) -> dict[str, int]: ...

    def query(
        self,
        *,
        dense: np.ndarray | None = None,
        sparse: SparseVec | None = None,
        filters: Filters,
        limit: int,
        with_vectors: bool = False,
    ) -> list[StoredHit]:
        """The ``limit`` nearest chunks by one retriever: ``dense`` or ``sparse``, not both."""
        ...

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored sentence vectors of these chunks (chunks without any are left out)."""
        ...

    def count(self, filters: Filters) -> int: ...

    def facet(self, key: str, filters: Filters, limit: int = 50) -> dict[Any, int]: ...

    def chunks_of(self, doc_id: str) -> list[Chunk]: ...

    def size_bytes(self) -> int: ...

    def close(self) -> None: ...


def one_retriever(dense: np.ndarray | None, sparse: SparseVec | None) -> str | None:
    """Which retriever a query asks (None: nothing to ask)."""
    if dense is not None and sparse is not None:
        raise ValueError("a store query asks one retriever: dense or sparse, not both")
    if dense is not None:
        return DENSE
    if sparse is not None and sparse[0]:
        return SPARSE
    return None
