"""The vector store contract: the ``Store`` protocol, its schema and ``open_store``.

Two backends implement it: Qdrant Edge in-process (``kb.store.edge``, the
default) and a Qdrant server or cluster through qdrant-client
(``kb.store.server``, when ``QDRANT_URL`` is set). Both hold the same schema:
per chunk a dense vector ("dense", cosine), a sparse BM25 vector ("bm25", IDF
applied by the engine) and one vector per sentence ("sentences", a float16
multivector that is stored, not indexed: search reads it back for its top
passages to score them by their best sentence), plus the chunk's metadata as
payload with indexes on the filter fields. Each document also has one
vector-less "document" point written *after* its chunks, so a document is
complete exactly when its marker exists; chunks without a marker are the
remains of an interrupted ingest and are removed on the next run.

Nothing outside the store modules sees an engine object: results come back as
``StoredHit`` records built from ``kb.records``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kb.config import Settings
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
        dense: np.ndarray | None,
        sparse: SparseVec | None,
        filters: Filters,
        limit: int,
        candidates: int,
        rrf_k: int = 60,
        weights: tuple[float, float] | None = None,
        with_vectors: bool = False,
    ) -> list[StoredHit]: ...

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored sentence vectors of these chunks (chunks without any are left out)."""
        ...

    def count(self, filters: Filters) -> int: ...

    def facet(self, key: str, filters: Filters, limit: int = 50) -> dict[Any, int]: ...

    def chunks_of(self, doc_id: str) -> list[Chunk]: ...

    def size_bytes(self) -> int: ...

    def close(self) -> None: ...


def chunk_payload(document: Document, chunk: Chunk) -> dict[str, Any]:
    return {
        "record": "chunk",
        "doc_id": document.doc_id,
        "index": chunk.index,
        "file": document.file,
        "title": document.title,
        "publisher": document.publisher,
        "year": document.year,
        "doc_type": document.doc_type,
        "source_url": document.source_url,
        "fictional": document.fictional,
        "page_start": chunk.page_start,
        "page_end": chunk.page_end,
        "heading_path": list(chunk.heading_path),
        "heading": chunk.heading,
        "text": chunk.text,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "kind": chunk.kind,
        "themes": list(chunk.themes),
        "ocr": chunk.ocr,
        "n_tokens": chunk.n_tokens,
    }


def document_payload(document: Document) -> dict[str, Any]:
    return {"record": "document", **document.to_dict()}


def chunk_from_payload(p: dict[str, Any]) -> Chunk:
    return Chunk(
        doc_id=p["doc_id"],
        index=int(p["index"]),
        text=p["text"],
        page_start=int(p["page_start"]),
        page_end=int(p["page_end"]),
        heading_path=tuple(p.get("heading_path") or ()),
        char_start=int(p.get("char_start", 0)),
        char_end=int(p.get("char_end", 0)),
        kind=p.get("kind", "passage"),
        themes=tuple(p.get("themes") or ()),
        ocr=bool(p.get("ocr", False)),
        n_tokens=int(p.get("n_tokens", 0)),
    )


def document_from_chunk_payload(p: dict[str, Any]) -> Document:
    return Document(
        doc_id=p["doc_id"],
        file=p["file"],
        title=p.get("title", ""),
        publisher=p.get("publisher", ""),
        year=p.get("year"),
        doc_type=p.get("doc_type", "other"),
        source_url=p.get("source_url", ""),
        fictional=bool(p.get("fictional", False)),
    )


def dir_size(path: Path) -> int:
    """Bytes actually allocated under ``path`` (see ``generations.allocated_bytes``)."""
    from kb.store.generations import allocated_bytes

    return allocated_bytes(path)


# ---------------------------------------------------------------- shared by both backends


def dense_of(vector: Any) -> np.ndarray | None:
    if isinstance(vector, dict) and DENSE in vector:
        return np.asarray(vector[DENSE], dtype=np.float32)
    return None


def stored_hit(payload: dict[str, Any], score: float, vector: np.ndarray | None) -> StoredHit:
    p = dict(payload)
    return StoredHit(chunk_from_payload(p), document_from_chunk_payload(p), float(score), vector)


def sentence_vectors_of(sentences: Sequence[np.ndarray] | None, i: int) -> dict[str, Any]:
    """The named multivector for chunk ``i``, if it has sentence vectors."""
    if sentences is None or len(sentences[i]) == 0:
        return {}
    return {SENTENCES: np.asarray(sentences[i], dtype=np.float32).tolist()}


def sentence_rows(records: Iterator[tuple[str, Any]]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for point_id, vectors in records:
        rows = (vectors or {}).get(SENTENCES) if isinstance(vectors, dict) else None
        if rows:
            out[point_id] = np.asarray(rows, dtype=np.float32)
    return out


def missing_sentence_vectors(exc: Exception) -> bool:
    """Whether reading sentence vectors failed only because the index predates them.

    Qdrant (Edge and server alike) answers "Not existing vector name" for an
    index built before kb stored them; search then embeds those sentences
    itself. Anything else is a real failure and must not be hidden.
    """
    return "not existing vector name" in str(exc).lower()


def open_store(settings: Settings, dim: int, *, create: bool = True) -> Store:
    """The store the settings point at: a server when QDRANT_URL is set, else Edge."""
    if settings.qdrant_url:
        from qdrant_client import QdrantClient

        from kb.store.server import QdrantServerStore

        url = settings.qdrant_url
        if url == ":memory:" or url.startswith("path:"):
            # qdrant-client's local mode: the contract tests' stand-in for a server.
            client = (
                QdrantClient(location=":memory:")
                if url == ":memory:"
                else QdrantClient(path=url[len("path:") :])
            )
        else:
            client = QdrantClient(url=url, api_key=settings.qdrant_api_key, timeout=30)
        return QdrantServerStore(
            client,
            settings.collection,
            dim,
            shard_number=settings.shard_number,
            replication_factor=settings.replication_factor,
            location=url,
        )
    from kb.store.live import LiveEdgeStore

    return LiveEdgeStore(settings.store_dir, dim)
