"""Qdrant Edge, the Qdrant engine in-process: kb's default store.

``EdgeStore`` is one shard in a folder (``kb.store.tuning.EdgeTuning`` holds
the index and search knobs measured by bench/scale.py). Readers do not open it
directly: ``kb.store.live.LiveEdgeStore`` follows the live generation as
ingests publish, and ``kb.store.live.open_writer`` writes a new one.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import kb.store.filters as select
from kb.errors import StoreBusy, StoreError
from kb.records import Document, Filters
from kb.store.base import Nearest, PointStore, with_payload
from kb.store.contract import (
    DENSE,
    INTEGER_FIELDS,
    KEYWORD_FIELDS,
    SENTENCES,
    SPARSE,
    SparseVec,
    StoredHit,
    StoreQuery,
)
from kb.store.filters import Selection
from kb.store.generations import allocated_bytes
from kb.store.payload import missing_sentence_vectors, sentence_rows, stored_hit
from kb.store.recent import Recent
from kb.store.tuning import EdgeTuning

# Passages and sentence vectors held after a read: a few questions' worth
# (a broad question reads about 240 candidates), some tens of MB at most.
RECENT_PASSAGES = 4096
RECENT_SENTENCES = 2048
RECENT_COUNTS = 256  # filtered counts: one per filter combination asked
RECENT_TERM_COUNTS = 4096  # a term's passages, counted up to a limit (kb.retrieve.coverage)


class EdgeStore(PointStore):
    """Qdrant Edge: the Qdrant engine in-process, one shard under ``path``."""

    def __init__(
        self,
        path: Path,
        dim: int,
        *,
        create: bool = True,
        tuning: EdgeTuning | None = None,
        read_only: bool = False,
    ) -> None:
        import qdrant_edge as qe

        self._qe = qe
        self.tuning = tuning or EdgeTuning()
        self._params = self.tuning.search_params(qe)
        self.path = Path(path)
        self.location = str(self.path)
        # A reader never flushes: it has nothing to write, and closing must not fail.
        self.read_only = read_only
        self._written = 0  # points since the last compaction (``compact``)
        # What was read recently, forgotten on every write (``kb.store.recent``).
        self._recent_hits: Recent[str, StoredHit] = Recent(RECENT_PASSAGES)
        self._recent_sentences: Recent[str, np.ndarray] = Recent(RECENT_SENTENCES)
        self._recent_counts: Recent[Filters, int] = Recent(RECENT_COUNTS)
        self._recent_term_counts: Recent[Hashable, int] = Recent(RECENT_TERM_COUNTS)
        try:
            self._shard = self._open(dim, create)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - qdrant_edge raises bare Exception (e.g. a held lock)
            text = str(exc)
            if "WouldBlock" in text or "lock" in text.lower():
                raise StoreBusy(
                    f"the index at {self.path} is in use by another kb process (ingest or app)"
                ) from None
            raise StoreError(f"cannot open the index at {self.path}: {_first_line(exc)}") from None

    def _open(self, dim: int, create: bool) -> Any:
        qe = self._qe
        if (self.path / "edge_config.json").exists():
            return qe.EdgeShard.load(str(self.path))
        if not create:
            raise StoreError(f"no index at {self.path}: run `kb ingest` first")
        self.path.mkdir(parents=True, exist_ok=True)
        shard = qe.EdgeShard.create(str(self.path), self.tuning.config(qe, dim))
        for names, schema in (
            (KEYWORD_FIELDS, qe.PayloadSchemaType.Keyword),
            (INTEGER_FIELDS, qe.PayloadSchemaType.Integer),
        ):
            for name in names:
                shard.update(qe.UpdateOperation.create_field_index(name, schema))
        return shard

    # -- writes
    def put_document(self, document: Document) -> None:
        super().put_document(document)
        self.flush()  # the marker says the document is complete: it must reach the disk

    def delete_document(self, doc_id: str) -> None:
        operation = self._qe.UpdateOperation.delete_points_by_filter
        self._update(operation(self._native(select.all_of(doc_id))))
        self.flush()

    def _update(self, operation: Any) -> None:
        self._forget()
        try:
            self._shard.update(operation)
        except Exception as exc:  # noqa: BLE001 - qdrant_edge raises bare Exception (e.g. disk full)
            raise StoreError(f"cannot write the index at {self.path}: {_first_line(exc)}") from None

    def flush(self) -> None:
        try:
            self._shard.flush()
        except Exception as exc:  # noqa: BLE001 - as above
            raise StoreError(f"cannot write the index at {self.path}: {_first_line(exc)}") from None

    # -- the engine primitives behind PointStore
    def _sparse(self, vector: SparseVec) -> Any:
        return self._qe.SparseVector(*vector)

    def _point(self, point_id: str, vectors: dict[str, Any], payload: dict[str, Any]) -> Any:
        return self._qe.Point(point_id, vectors, payload)

    def _upsert(self, points: list[Any]) -> None:
        self._update(self._qe.UpdateOperation.upsert_points(points))
        self._written += len(points)
        every = self.tuning.compact_every
        if every and self._written >= every:
            self.compact()

    def _native(self, selection: Selection) -> Any:
        qe = self._qe
        must: list[Any] = [
            qe.FieldCondition(key, match=qe.MatchValue(values[0]))
            if len(values) == 1
            else qe.FieldCondition(key, match=qe.MatchAny(list(values)))
            for key, values in selection.match
        ]
        if selection.has_years:
            low, high = selection.year_from, selection.year_to
            span = qe.RangeFloat(
                gte=None if low is None else float(low), lte=None if high is None else float(high)
            )
            must.append(qe.FieldCondition("year", range=span))
        return qe.Filter(must=must)

    def _scroll(self, selection: Selection) -> Iterator[dict[str, Any]]:
        qe = self._qe
        flt, offset = self._native(selection), None
        while True:
            records, offset = self._read(
                self._shard.scroll,
                qe.ScrollRequest(offset=offset, limit=1000, filter=flt, with_payload=True),
            )
            yield from (dict(r.payload or {}) for r in records)
            if offset is None:
                return

    def chunk_ids(self, doc_id: str, *, payload: bool) -> list[str]:
        """The ids of a document's chunks; ``payload`` reads each one's payload too
        (so a damaged one fails here, naming this document)."""
        qe = self._qe
        flt, offset, ids = self._native(select.chunks_of(doc_id)), None, []
        while True:
            request = qe.ScrollRequest(
                offset=offset, limit=1000, filter=flt, with_payload=True if payload else ["doc_id"]
            )
            records, offset = self._read(self._shard.scroll, request)
            ids += [str(r.id) for r in records]
            if offset is None:
                return ids

    def _read(self, call: Any, request: Any) -> Any:
        """One engine read; what the engine raises (a damaged file) becomes a StoreError."""
        try:
            return call(request)
        except Exception as exc:  # noqa: BLE001 - qdrant_edge raises bare Exception
            raise StoreError(f"cannot read the index at {self.path}: {_first_line(exc)}") from None

    def _count(self, selection: Selection) -> int:
        request = self._qe.CountRequest(filter=self._native(selection), exact=True)
        return int(self._read(self._shard.count, request))

    def _facet(self, key: str, selection: Selection, limit: int) -> dict[Any, int]:
        request = self._qe.FacetRequest(
            key=key, limit=limit, exact=True, filter=self._native(selection)
        )
        return {h.value: int(h.count) for h in self._read(self._shard.facet, request).hits}

    def _nearest(
        self,
        using: str,
        vector: Any,
        selection: Selection,
        limit: int,
        with_vectors: bool,
        fields: Sequence[str] | None = None,
    ) -> Nearest:
        found = self._search(using, vector, selection, limit, with_vectors, with_payload(fields))
        return [(p.payload or {}, p.score, p.vector) for p in found]

    def _search(
        self,
        using: str,
        vector: Any,
        selection: Selection,
        limit: int,
        with_vectors: bool,
        payload: bool | list[str],
    ) -> Any:
        qe = self._qe
        query = (
            qe.Query.Nearest([float(x) for x in vector], using=DENSE)
            if using == DENSE
            else qe.Query.Nearest(self._sparse(vector), using=SPARSE)
        )
        request = qe.QueryRequest(
            limit=limit,
            query=query,
            filter=self._native(selection),
            with_payload=payload,
            with_vector=[DENSE] if with_vectors else False,
            # EdgeTuning's search knobs (hnsw_ef, oversampling) are for the dense index.
            params=self._params if using == DENSE else None,
        )
        return self._read(self._shard.query, request)

    def query(self, query: StoreQuery) -> list[StoredHit]:
        """As ``PointStore.query``, with the passages read recently taken from memory.

        The engine finds the ids; only passages not held are read by id and
        turned into records (``kb.store.recent``: that turning costs more than the
        search)."""
        target = self._target(query)
        if target is None or query.with_vectors:
            return super().query(query)
        found = self._search(*target, query.limit, False, False)
        ids = [str(p.id) for p in found]
        records = self._recent_hits.get_many(ids, self._hits_by_id)
        return [
            StoredHit(records[i].chunk, records[i].document, float(p.score))
            for i, p in zip(ids, found, strict=True)
            if i in records
        ]

    def count(self, filters: Filters) -> int:
        # Exact counts scan the filtered points (11 ms at 100k passages), and the
        # unknown-term check asks for one each question (kb.retrieve.coverage).
        return self._recent_counts.get_many([filters], self._counts)[filters]

    def nearest_count(self, query: StoreQuery) -> int:
        # The unknown-term check counts the passages of each rare-looking word of
        # every question (a BM25 search each); a count changes only with a write.
        if query.sparse is None or query.dense is not None:
            return super().nearest_count(query)
        key = (tuple(query.sparse[0]), tuple(query.sparse[1]), query.filters, query.limit)

        def read(keys: list[Hashable]) -> Iterator[tuple[Hashable, int]]:
            return ((k, super(EdgeStore, self).nearest_count(query)) for k in keys)

        return self._recent_term_counts.get_many([key], read)[key]

    def _counts(self, selections: list[Filters]) -> Iterator[tuple[Filters, int]]:
        return ((f, super(EdgeStore, self).count(f)) for f in selections)

    def _hits_by_id(self, point_ids: list[str]) -> Iterator[tuple[str, StoredHit]]:
        found = self._read(lambda ids: self._shard.retrieve(ids, True, False), point_ids)
        return ((str(r.id), stored_hit(r.payload or {}, 0.0, None)) for r in found)

    # -- reads the contract adds
    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not chunk_ids:
            return {}
        return self._recent_sentences.get_many(list(chunk_ids), self._sentences_by_id)

    def _sentences_by_id(self, chunk_ids: list[str]) -> Iterator[tuple[str, np.ndarray]]:
        try:
            records = self._shard.retrieve(chunk_ids, False, [SENTENCES])
        except Exception as exc:  # noqa: BLE001 - the engines raise plain Exceptions
            if missing_sentence_vectors(exc):
                return iter(())
            raise StoreError(f"cannot read sentence vectors at {self.location}: {exc}") from None
        return iter(sentence_rows((str(r.id), r.vector) for r in records).items())

    def optimize(self) -> bool:
        """Build the indexes (HNSW, quantization) the optimizers plan; blocks until done.

        Edge runs no background optimizer: without this, a large collection
        stays in unindexed segments and every dense query is a full scan.
        """
        return bool(self._shard.optimize())

    def compact(self) -> None:
        """Index what was written since the last compaction, then reopen the shard.

        Until a shard is closed, Edge keeps its unindexed segments in RAM and every
        segment it has built mapped in: a bulk build's memory grew with the whole
        collection, not with what is being written (bench/scale.py, 100k chunks:
        a peak of 1.8 GB when optimizing every 25k, 1.1 GB when also reopening).
        ``EdgeTuning.compact_every`` calls this as points are written."""
        self.flush()
        self._forget()
        try:
            self._shard.optimize()
            self._shard.close()
            self._shard = self._qe.EdgeShard.load(str(self.path))
        except Exception as exc:  # noqa: BLE001 - qdrant_edge raises bare Exception
            raise StoreError(f"cannot write the index at {self.path}: {_first_line(exc)}") from None
        self._written = 0

    def _forget(self) -> None:
        self._recent_hits.clear()
        self._recent_sentences.clear()
        self._recent_counts.clear()
        self._recent_term_counts.clear()

    def size_bytes(self) -> int:
        return allocated_bytes(self.path)

    def close(self) -> None:
        try:
            if not self.read_only:
                self.flush()
        finally:
            self._shard.close()


def _first_line(exc: Exception) -> str:
    text = str(exc)
    return text.splitlines()[0][:160] if text.strip() else type(exc).__name__
