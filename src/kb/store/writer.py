"""An ingest's writes on the embedded store: a new generation, checked, then published.

``open_writer`` takes the writer lock and picks the generation to build on:
the live one if its files match its manifest, else the newest older one that
does, else none (every document is embedded again). ``--rebuild`` asks for
none. The writer plans from that generation's catalog, copies it only once
there is something to write, and when the block ends without an error it
checks the result (each document's passages against its catalog entry, read
back from the closed and reopened shard), records the manifest
(``kb.store.manifest``) and publishes it. The previous generation goes only
after that: a generation that fails its check is never published.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

import kb.store.generations as generations
import kb.store.health as health
import kb.store.manifest as mf
from kb.errors import StoreError
from kb.records import Chunk, Document, Filters
from kb.store.contract import EmbeddedChunks, StoredHit, StoreQuery
from kb.store.edge import EdgeStore
from kb.store.tuning import EdgeTuning

log = logging.getLogger(__name__)


def choose_base(store_dir: Path, *, rebuild: bool) -> tuple[Path | None, list[str]]:
    """The generation to build on and what to tell the person about that choice."""
    if rebuild:
        return None, ["rebuilding: a new index is made from the sources"]

    def files_pass(path: Path) -> None:
        health.raise_if(health.files_check(path, full=True)[1])

    try:
        _, base, reasons = health.choose(store_dir, files_pass)
    except health.NoGoodGeneration as exc:
        return None, [f"the index was damaged ({exc.reason}): rebuilt from the sources"]
    if not reasons:
        return base, []
    assert base is not None
    return base, [
        f"the index is damaged ({reasons[0]}): building on the earlier generation "
        f"{base.name}; documents it lacks are embedded again"
    ]


class GenerationWriter:
    """An ingest's store on the embedded backend (see the module docstring).

    Until the first write it answers ``documents`` and ``chunk_doc_ids`` from the
    base generation's catalog, so planning an unchanged corpus copies nothing.
    """

    def __init__(
        self,
        store_dir: Path,
        dim: int,
        reserve_mb: int,
        *,
        rebuild: bool = False,
        compact_every: int = 0,
    ):
        self.store_dir = store_dir
        # Bounded memory for a big build; a generation copied from the base keeps
        # the base's segment settings, and compacts all the same.
        self.tuning = EdgeTuning.bounded(compact_every) if compact_every > 0 else None
        self.dim = dim
        self.reserve_mb = reserve_mb
        self.location = str(store_dir)
        self.base, self.notes = choose_base(store_dir, rebuild=rebuild)
        self._catalog = health.read_catalog(self.base) if self.base is not None else []
        # Publish even with nothing to write when the live generation is not the base.
        self.heal = bool(self.notes) and self.base is not None
        self._dir: Path | None = None
        self._store: EdgeStore | None = None

    def _working(self) -> EdgeStore:
        if self._store is None:
            self._dir = generations.new_generation(
                self.store_dir, self.base, reserve_mb=self.reserve_mb
            )
            self._store = EdgeStore(self._dir, self.dim, tuning=self.tuning)
        return self._store

    def reading(self) -> AbstractContextManager[None]:
        return nullcontext()  # the generation being written is this writer's alone

    def upsert_chunks(self, chunks: EmbeddedChunks) -> None:
        self._working().upsert_chunks(chunks)

    def put_document(self, document: Document) -> None:
        self._working().put_document(document)

    def delete_document(self, doc_id: str) -> None:
        self._working().delete_document(doc_id)

    def documents(self) -> list[Document]:
        return self._store.documents() if self._store else list(self._catalog)

    def chunk_doc_ids(self) -> dict[str, int]:
        if self._store:
            return self._store.chunk_doc_ids()
        # A published generation never holds orphans: it was written whole.
        return {d.doc_id: d.n_chunks for d in self._catalog}

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return self._working().chunks_of(doc_id)

    def query(self, query: StoreQuery) -> list[StoredHit]:
        return self._working().query(query)

    def nearest_doc_ids(self, query: StoreQuery) -> list[str]:
        return self._working().nearest_doc_ids(query)

    def nearest_count(self, query: StoreQuery) -> int:
        return self._working().nearest_count(query)

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
        """Check the new generation, record its manifest, then make it the live one."""
        if self._store is None and self.heal:
            self._working()  # a copy of the good base replaces the damaged live one
        if self._store is None or self._dir is None:
            return  # nothing was written
        store, directory = self._store, self._dir
        documents = store.documents()
        store.close()
        self._store = None
        generations.write_catalog(directory, documents)
        manifest = verified_manifest(directory, self.dim, documents)
        mf.write(directory, manifest)
        generations.publish(self.store_dir, directory)
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


def verified_manifest(directory: Path, dim: int, documents: list[Document]) -> mf.Manifest:
    """The manifest of a closed generation, after checking it holds ``documents`` whole.

    Read back through a read-only open, which also settles the engine's
    journals, so the file digests taken after it stay true for later readers;
    then opened once more, to learn which files every open touches.
    """
    shard = EdgeStore(directory, dim, create=False, read_only=True)
    try:
        ids = {d.doc_id: shard.chunk_ids(d.doc_id, payload=False) for d in documents}
        stored = shard.count(Filters())
    finally:
        shard.close()
    before = mf.file_times(directory)
    EdgeStore(directory, dim, create=False, read_only=True).close()
    expected = sum(d.n_chunks for d in documents)
    wrong = [d.file for d in documents if len(ids[d.doc_id]) != d.n_chunks]
    if stored != expected or wrong:
        named = f" ({', '.join(wrong[:3])})" if wrong else ""
        raise StoreError(
            f"the new index holds {stored} passages where its documents list "
            f"{expected}{named}; it was not published"
        )
    entries = {
        d.doc_id: mf.DocEntry(d.file, d.n_chunks, mf.ids_digest(ids[d.doc_id])) for d in documents
    }
    return mf.Manifest(expected, entries, mf.file_entries(directory, before))


@contextmanager
def open_writer(
    store_dir: Path,
    dim: int,
    *,
    reserve_mb: int = 0,
    rebuild: bool = False,
    compact_every: int = 0,
) -> Iterator[GenerationWriter]:
    """One ingest's writes, published atomically when the block succeeds.
    ``compact_every``: see ``EdgeTuning.bounded``."""
    with generations.writer_lock(store_dir):
        writer = GenerationWriter(
            store_dir, dim, reserve_mb, rebuild=rebuild, compact_every=compact_every
        )
        generations.collect(store_dir, keep=writer.base)
        try:
            yield writer
            writer.commit()
        finally:
            writer.abandon()  # a no-op once committed
