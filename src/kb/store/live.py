"""The embedded store as readers and writers see it: generations, not one shard.

``LiveEdgeStore`` is what readers open (the app, ``kb search``): it follows the
live generation (``kb.store.generations``) as ingests publish. Each read borrows the
generation open at that moment; a refresh opens the new generation *before*
letting go of the old one, and the old shard is closed (and its lease
released) only when the last read borrowing it is done. A failed open or close
never leaves the reader half switched: it keeps serving what it had.

``open_writer`` is what an ingest writes through: it takes the writer lock,
plans from the live catalog, copies the live generation only once there is
something to write, checks the result and publishes it when the block ends
without an error, and removes it otherwise, leaving the live one untouched.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import kb.store.generations as generations
from kb.errors import StoreBusy, StoreError
from kb.records import Chunk, Document, Filters
from kb.store.contract import EmbeddedChunks, StoredHit, StoreQuery
from kb.store.edge import EdgeStore

log = logging.getLogger(__name__)
RETRY_S = 5.0  # after a failed refresh, keep serving the old generation this long


@dataclass(eq=False)
class _Opened:
    """One generation open in this process, with the reads that borrow it."""

    generation: Path  # the published generation it shows
    store: EdgeStore
    lease: generations.Lease
    users: int = 0
    retired: bool = False
    closed: bool = field(default=False)


class LiveEdgeStore:
    """A reader over the live generation that follows CURRENT as ingests publish."""

    def __init__(self, store_dir: Path, dim: int) -> None:
        self.store_dir = store_dir
        self.dim = dim
        self.location = str(store_dir)
        self._lock = threading.Lock()
        self._token: tuple[int, int] | None = None
        self._opened: _Opened | None = None
        self._retry_at = 0.0
        with self._borrow():
            pass  # open now, so a broken store is reported at once

    # -- borrowing

    @contextmanager
    def _borrow(self) -> Iterator[EdgeStore | None]:
        opened = self._acquire()
        try:
            yield opened.store if opened is not None else None
        finally:
            if opened is not None:
                self._give_back(opened)

    def _acquire(self) -> _Opened | None:
        token = generations.current_token(self.store_dir)
        with self._lock:
            stale = token != self._token and time.monotonic() >= self._retry_at
            if stale:
                self._switch(token)
            if self._opened is not None:
                self._opened.users += 1
            return self._opened

    def _switch(self, token: tuple[int, int] | None) -> None:
        """Open what CURRENT names now; called with the lock held."""
        try:
            path = generations.current(self.store_dir)
            if self._opened is not None and path == self._opened.generation:
                self._token = token
                return
            fresh = self._open(path) if path is not None else None
        except StoreError:
            if self._opened is None:
                raise
            # Keep answering from the generation we have; try again shortly.
            log.warning("kb: cannot open the new index generation; serving the previous one")
            self._retry_at = time.monotonic() + RETRY_S
            return
        old, self._opened, self._token = self._opened, fresh, token
        if old is not None:
            old.retired = True
            if old.users == 0:
                self._close(old)

    def _open(self, path: Path) -> _Opened:
        lease = generations.take_lease(path)
        if lease is None:
            raise StoreError(f"the index generation {path.name} went away while opening it")
        try:
            store = EdgeStore(path, self.dim, create=False, read_only=True)
            return _Opened(path, store, lease)
        except StoreBusy:
            lease.release()
        except BaseException:
            lease.release()
            raise
        # Another process (the app, say, while `kb search` runs in a terminal)
        # holds this generation: read a private copy, made once for it.
        copy, copy_lease = generations.private_copy(self.store_dir, path)
        try:
            store = EdgeStore(copy, self.dim, create=False, read_only=True)
        except BaseException:
            copy_lease.release()
            generations.discard(self.store_dir, copy)
            raise
        return _Opened(path, store, copy_lease)

    def _give_back(self, opened: _Opened) -> None:
        with self._lock:
            opened.users -= 1
            if opened.retired and opened.users == 0:
                self._close(opened)

    def _close(self, opened: _Opened) -> None:
        """Close a generation nobody reads any more; never raises."""
        if opened.closed:
            return
        opened.closed = True
        try:
            opened.store.close()
        except Exception as exc:  # noqa: BLE001 - a failed close must not break the reader
            log.warning("kb: closing %s failed: %s", opened.store.path, exc)
        opened.lease.release()
        generations.discard(self.store_dir, opened.store.path)

    @property
    def generation(self) -> Path | None:
        with self._borrow():
            return self._opened.generation if self._opened is not None else None

    # -- the Store contract (reads only)

    def _write(self) -> None:
        raise StoreError("the live index is read-only; writes go through a new generation")

    def upsert_chunks(self, chunks: EmbeddedChunks) -> None:
        self._write()

    def put_document(self, document: Document) -> None:
        self._write()

    def delete_document(self, doc_id: str) -> None:
        self._write()

    def documents(self) -> list[Document]:
        with self._borrow() as shard:
            return shard.documents() if shard else []

    def chunk_doc_ids(self) -> dict[str, int]:
        with self._borrow() as shard:
            return shard.chunk_doc_ids() if shard else {}

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        with self._borrow() as shard:
            return shard.chunks_of(doc_id) if shard else []

    def query(self, query: StoreQuery) -> list[StoredHit]:
        with self._borrow() as shard:
            return shard.query(query) if shard else []

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        with self._borrow() as shard:
            return shard.sentence_vectors(chunk_ids) if shard else {}

    def count(self, filters: Filters) -> int:
        with self._borrow() as shard:
            return shard.count(filters) if shard else 0

    def facet(self, key: str, filters: Filters, limit: int = 50) -> dict[Any, int]:
        with self._borrow() as shard:
            return shard.facet(key, filters, limit) if shard else {}

    def size_bytes(self) -> int:
        with self._borrow():
            opened = self._opened
            return generations.allocated_bytes(opened.generation) if opened else 0

    def close(self) -> None:
        with self._lock:
            opened, self._opened, self._token = self._opened, None, None
            if opened is not None:
                opened.retired = True
                if opened.users == 0:
                    self._close(opened)


class GenerationWriter:
    """An ingest's store on the embedded backend (see ``open_writer``).

    Until the first write it answers ``documents`` and ``chunk_doc_ids`` from the
    live generation's catalog, so planning an unchanged corpus copies nothing.
    """

    def __init__(self, store_dir: Path, dim: int, reserve_mb: int) -> None:
        self.store_dir = store_dir
        self.dim = dim
        self.reserve_mb = reserve_mb
        self.location = str(store_dir)
        self.catalog = generations.Catalog(store_dir)
        self._dir: Path | None = None
        self._store: EdgeStore | None = None

    def _working(self) -> EdgeStore:
        if self._store is None:
            self._dir = generations.new_generation(self.store_dir, reserve_mb=self.reserve_mb)
            self._store = EdgeStore(self._dir, self.dim)
        return self._store

    def upsert_chunks(self, chunks: EmbeddedChunks) -> None:
        self._working().upsert_chunks(chunks)

    def put_document(self, document: Document) -> None:
        self._working().put_document(document)

    def delete_document(self, doc_id: str) -> None:
        self._working().delete_document(doc_id)

    def documents(self) -> list[Document]:
        return self._store.documents() if self._store else self.catalog.documents()

    def chunk_doc_ids(self) -> dict[str, int]:
        return self._store.chunk_doc_ids() if self._store else self.catalog.chunk_doc_ids()

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return self._working().chunks_of(doc_id)

    def query(self, query: StoreQuery) -> list[StoredHit]:
        return self._working().query(query)

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        return self._working().sentence_vectors(chunk_ids)

    def count(self, filters: Filters) -> int:
        return self._working().count(filters)

    def facet(self, key: str, filters: Filters, limit: int = 50) -> dict[Any, int]:
        return self._working().facet(key, filters, limit)

    def size_bytes(self) -> int:
        return generations.allocated_bytes(self._dir) if self._dir else 0

    def close(self) -> None:
        """Nothing to do: ``open_writer`` publishes or abandons the generation."""

    def commit(self) -> None:
        """Check the new generation, then make it the live one."""
        if self._store is None or self._dir is None:
            return  # nothing was written
        store, directory = self._store, self._dir
        documents = store.documents()
        stored = store.count(Filters())
        expected = sum(d.n_chunks for d in documents)
        store.close()
        self._store = None
        if stored != expected:
            raise StoreError(
                f"the new index holds {stored} passages where its documents list "
                f"{expected}; it was not published"
            )
        generations.publish(self.store_dir, directory, documents)
        self._dir = None

    def abandon(self) -> None:
        """Throw away an unpublished generation; the live one stays as it was."""
        if self._store is not None:
            store, self._store = self._store, None
            try:
                store.close()
            except StoreError as exc:
                log.warning("kb: %s", exc)
        if self._dir is not None:
            generations.discard(self.store_dir, self._dir)
            self._dir = None


@contextmanager
def open_writer(store_dir: Path, dim: int, *, reserve_mb: int = 0) -> Iterator[GenerationWriter]:
    """One ingest's writes, published atomically when the block succeeds."""
    with generations.writer_lock(store_dir):
        generations.collect(store_dir)
        writer = GenerationWriter(store_dir, dim, reserve_mb)
        try:
            yield writer
            writer.commit()
        finally:
            writer.abandon()  # a no-op once committed
