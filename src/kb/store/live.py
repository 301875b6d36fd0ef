"""The embedded store as readers and writers see it: generations, not one shard.

``LiveEdgeStore`` is what readers open (the app, ``kb search``): it follows the
live generation (``kb.store.generations``) as ingests publish. Each read borrows the
generation open at that moment; a refresh opens the new generation *before*
letting go of the old one, and the old shard is closed (and its lease
released) only when the last read borrowing it is done. A failed open or close
never leaves the reader half switched: it keeps serving what it had.

Each generation passes the check on open (``kb.store.health``) before it is
served. When the live one fails it (or CURRENT is garbage, or names nothing),
the reader serves the newest earlier generation that passes, and ``notice``
says so; with none, opening is a one-line ``StoreError``, never an empty index.

``open_writer`` (``kb.store.writer``, re-exported here) is what an ingest
writes through.
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
import kb.store.health as health
from kb.errors import StoreBusy, StoreError
from kb.records import Chunk, Document, Filters
from kb.store.contract import EmbeddedChunks, StoredHit, StoreQuery
from kb.store.edge import EdgeStore
from kb.store.writer import GenerationWriter, open_writer

__all__ = ["GenerationWriter", "LiveEdgeStore", "open_writer"]

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

    def __init__(self, store_dir: Path, dim: int, *, check: bool = True) -> None:
        self.store_dir = store_dir
        self.check = check
        self.dim = dim
        self.location = str(store_dir)
        self._lock = threading.Lock()
        # The CURRENT seen at the last switch; a first read always switches.
        self._token: tuple[int, int] | None | str = "unopened"
        self._opened: _Opened | None = None
        self._retry_at = 0.0
        # Per thread: the generation a ``reading`` block holds, and how deep it is.
        self._pinned = threading.local()
        # Set while this reader serves an earlier generation than CURRENT names
        # (or the one it had, after the live one failed): what the app shows.
        self.notice: str | None = None
        with self._borrow():
            pass  # open now, so a broken store is reported at once

    # -- borrowing

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Every read in the block, on this thread, from one generation: a search's
        dense, BM25 and sentence reads see one index even if an ingest publishes
        meanwhile, and CURRENT is looked at once, not at every read."""
        pinned = self._pinned
        if getattr(pinned, "depth", 0):
            pinned.depth += 1
            try:
                yield
            finally:
                pinned.depth -= 1
            return
        opened = self._acquire()
        pinned.opened, pinned.depth = opened, 1
        try:
            yield
        finally:
            pinned.opened, pinned.depth = None, 0
            if opened is not None:
                self._give_back(opened)

    @contextmanager
    def _borrow(self) -> Iterator[EdgeStore | None]:
        if getattr(self._pinned, "depth", 0):  # inside ``reading``: its generation
            held: _Opened | None = self._pinned.opened
            yield held.store if held is not None else None
            return
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

    def _switch(self, token: tuple[int, int] | None | str) -> None:
        """Open what CURRENT names now, or the newest earlier generation that
        passes its check if it does not (``kb.store.health``); lock held."""
        try:
            fresh, path, reasons = health.choose(self.store_dir, self._open_checked)
        except StoreError as exc:
            if self._opened is None:
                raise
            # Keep answering from the generation we have; try again shortly.
            log.warning("kb: %s; serving the generation opened before", exc)
            self.notice = f"{exc}; serving the generation opened before"
            self._retry_at = time.monotonic() + RETRY_S
            return
        if reasons and path is not None:
            # Served, but not the live one: say so, and look again shortly.
            self.notice = (
                f"the index is damaged ({reasons[0]}); serving the earlier generation "
                f"{path.name}: run `kb ingest` to repair it"
            )
            self._retry_at = time.monotonic() + RETRY_S
        else:
            self.notice, self._token = None, token
        if fresh is self._opened:
            return
        old, self._opened = self._opened, fresh
        if old is not None:
            old.retired = True
            if old.users == 0:
                self._close(old)

    def _open_checked(self, path: Path) -> _Opened:
        """``path`` opened after it passes the check on open; StoreError if not."""
        if self._opened is not None and path == self._opened.generation:
            return self._opened  # checked when it was opened
        if not self.check:
            return self._open(path)
        expected, problems = health.files_check(path, full=False)
        health.raise_if(problems)
        assert expected is not None
        opened = self._open(path)
        try:
            found = health.shard_check(path.name, expected.manifest, opened.store, full=False)
            health.raise_if(found)
        except StoreError:
            self._close(opened)
            raise
        return opened

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
        """The generation reads see now: inside ``reading``, the one it holds."""
        with self._borrow():
            pinned = getattr(self._pinned, "depth", 0)
            held = self._pinned.opened if pinned else self._opened
            return held.generation if held is not None else None

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

    def nearest_doc_ids(self, query: StoreQuery) -> list[str]:
        with self._borrow() as shard:
            return shard.nearest_doc_ids(query) if shard else []

    def nearest_count(self, query: StoreQuery) -> int:
        with self._borrow() as shard:
            return shard.nearest_count(query) if shard else 0

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
            opened, self._opened, self._token = self._opened, None, "unopened"
            if opened is not None:
                opened.retired = True
                if opened.users == 0:
                    self._close(opened)
