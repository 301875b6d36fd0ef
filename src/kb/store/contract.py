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
from contextlib import AbstractContextManager
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


@dataclass(frozen=True, eq=False)  # eq=False: numpy arrays have no single truth value
class EmbeddedChunks:
    """One document's chunks with their vectors, as an ingest stores them.

    Row ``i`` of ``dense``, ``sparse`` and ``sentences`` belongs to ``chunks[i]``;
    ``sentences`` (one row per sentence) may be left out.
    """

    document: Document
    chunks: Sequence[Chunk]
    dense: np.ndarray
    sparse: Sequence[SparseVec]
    sentences: Sequence[np.ndarray] | None = None


@dataclass(frozen=True, eq=False, kw_only=True)
class StoreQuery:
    """The ``limit`` nearest chunks to one retriever's vector: ``dense`` or ``sparse``, not both."""

    filters: Filters
    limit: int
    dense: np.ndarray | None = None
    sparse: SparseVec | None = None
    with_vectors: bool = False  # also return each hit's dense vector

    @property
    def using(self) -> str | None:
        """Which retriever the query asks (None: nothing to ask)."""
        if self.dense is not None and self.sparse is not None:
            raise ValueError("a store query asks one retriever: dense or sparse, not both")
        if self.dense is not None:
            return DENSE
        if self.sparse is not None and self.sparse[0]:
            return SPARSE
        return None


class Store(Protocol):
    """What kb needs from a vector store."""

    location: str

    def upsert_chunks(self, chunks: EmbeddedChunks) -> None: ...

    def put_document(self, document: Document) -> None: ...

    def delete_document(self, doc_id: str) -> None: ...

    def documents(self) -> list[Document]: ...

    def chunk_doc_ids(self) -> dict[str, int]: ...

    def query(self, query: StoreQuery) -> list[StoredHit]: ...

    def nearest_doc_ids(self, query: StoreQuery) -> list[str]:
        """The document of each of the query's nearest chunks, best first: what
        counting a term's passages needs, without reading their payloads."""
        ...

    def nearest_count(self, query: StoreQuery) -> int:
        """How many chunks the query's retriever finds, up to its limit, reading no
        payload: at 1M passages, a term's count reads up to 2,000 (kb.retrieve.coverage)."""
        ...

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored sentence vectors of these chunks (chunks without any are left out)."""
        ...

    def count(self, filters: Filters) -> int: ...

    def facet(self, key: str, filters: Filters, limit: int = 50) -> dict[Any, int]: ...

    def chunks_of(self, doc_id: str) -> list[Chunk]: ...

    def size_bytes(self) -> int: ...

    def close(self) -> None: ...

    def reading(self) -> AbstractContextManager[None]:
        """A block whose reads, on this thread, all see one state of the index
        (one search's several reads); a store that cannot change under a reader
        gives a block that does nothing."""
        ...
