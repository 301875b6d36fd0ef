"""The vector store: the contract, its two backends, and how to open them.

``open_store(settings, dim)`` gives a reader: a Qdrant server or cluster
through qdrant-client when ``QDRANT_URL`` is set (``kb.store.server``), else the
embedded Qdrant Edge store following its live generation (``kb.store.live``).
``open_writer(settings, dim)`` gives an ingest its store: on the embedded
backend a new generation, published atomically when the block succeeds
(the lock, the copy, the check and the publish stay inside); on a server,
the collection itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kb.config import StoreSettings
from kb.store.contract import (
    DENSE,
    SENTENCES,
    SPARSE,
    EmbeddedChunks,
    SparseVec,
    Store,
    StoredHit,
    StoreQuery,
)

__all__ = [
    "DENSE",
    "SENTENCES",
    "SPARSE",
    "EmbeddedChunks",
    "SparseVec",
    "Store",
    "StoredHit",
    "StoreQuery",
    "open_store",
    "open_writer",
]


def open_store(settings: StoreSettings, dim: int) -> Store:
    """The store the settings point at, for reading."""
    if settings.qdrant_url:
        return _server(settings, dim)
    from kb.store.live import LiveEdgeStore

    return LiveEdgeStore(settings.store_dir, dim, check=settings.open_check)


@contextmanager
def open_writer(
    settings: StoreSettings, dim: int, *, reader: Store | None = None, rebuild: bool = False
) -> Iterator[Store]:
    """The store an ingest writes to; see the module docstring. On a server,
    ``reader`` (the caller's open store, if any) is written to directly.
    ``rebuild``: on the embedded store, build on nothing (every document is
    embedded again); a server's collection is emptied first."""
    if settings.qdrant_url:
        if reader is not None:
            if rebuild:
                _empty(reader)
            yield reader
            return
        store = _server(settings, dim)
        try:
            if rebuild:
                _empty(store)
            yield store
        finally:
            store.close()
        return
    from kb.store.writer import open_writer as open_generation

    with open_generation(
        settings.store_dir,
        dim,
        reserve_mb=settings.min_free_mb,
        rebuild=rebuild,
        compact_every=settings.compact_every,
    ) as writer:
        yield writer


def _empty(store: Store) -> None:
    """Delete every document (and its passages) from a server's collection."""
    for doc_id in set(store.chunk_doc_ids()) | {d.doc_id for d in store.documents()}:
        store.delete_document(doc_id)


def _server(settings: StoreSettings, dim: int) -> Store:
    from qdrant_client import QdrantClient

    from kb.store.server import QdrantServerStore

    url = settings.qdrant_url or ""
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
