"""Qdrant Edge, the Qdrant engine in-process: kb's default store.

``EdgeStore`` is one shard in a folder (``EdgeTuning`` holds the index and
search knobs measured by bench/scale.py). Readers do not open it directly:
``kb.store.live.LiveEdgeStore`` follows the live generation as ingests publish.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb.errors import StoreBusy, StoreError
from kb.records import Chunk, Document, Filters, document_point_id
from kb.store.contract import (
    DENSE,
    INTEGER_FIELDS,
    KEYWORD_FIELDS,
    SENTENCES,
    SPARSE,
    SparseVec,
    StoredHit,
    chunk_from_payload,
    chunk_payload,
    dense_of,
    dir_size,
    document_payload,
    missing_sentence_vectors,
    sentence_rows,
    sentence_vectors_of,
    stored_hit,
)


@dataclass(frozen=True)
class EdgeTuning:
    """Index and search knobs for an Edge shard, measured by bench/scale.py.

    Every field left at its default keeps Qdrant's own default, i.e. the
    behaviour kb had before these knobs existed. Index fields apply when a
    shard is created; search fields (``hnsw_ef``, ``oversampling``) on every query.
    """

    hnsw_m: int | None = None  # Qdrant: 16
    hnsw_ef_construct: int | None = None  # Qdrant: 100
    full_scan_threshold_kb: int | None = None  # Qdrant: 10,000
    quantize_int8: bool = False  # int8 copy of the dense vectors, kept in RAM
    vectors_on_disk: bool | None = None  # originals memory-mapped, read only to rescore
    payload_on_disk: bool | None = None  # Edge's default is on disk
    indexing_threshold_kb: int | None = None  # segments above this get an HNSW index
    max_segment_size_kb: int | None = None
    default_segment_number: int | None = None
    hnsw_ef: int | None = None  # search: candidates explored (Qdrant: ef_construct)
    oversampling: float | None = None  # search, with int8: rescore limit * this

    def config(self, qe: Any, dim: int) -> Any:
        hnsw = None
        hnsw_fields = (self.hnsw_m, self.hnsw_ef_construct, self.full_scan_threshold_kb)
        if any(v is not None for v in hnsw_fields):
            hnsw = qe.HnswIndexConfig(
                m=self.hnsw_m if self.hnsw_m is not None else 16,
                ef_construct=self.hnsw_ef_construct or 100,
                full_scan_threshold=self.full_scan_threshold_kb or 10_000,
            )
        quantization = (
            qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, quantile=0.99, always_ram=True)
            if self.quantize_int8
            else None
        )
        optimizers = None
        if any(
            v is not None
            for v in (
                self.indexing_threshold_kb,
                self.max_segment_size_kb,
                self.default_segment_number,
            )
        ):
            optimizers = qe.EdgeOptimizersConfig(
                indexing_threshold=self.indexing_threshold_kb,
                max_segment_size=self.max_segment_size_kb,
                default_segment_number=self.default_segment_number,
            )
        return qe.EdgeConfig(
            vectors={
                DENSE: qe.EdgeVectorParams(
                    size=dim,
                    distance=qe.Distance.Cosine,
                    on_disk=self.vectors_on_disk,
                    quantization_config=quantization,
                    hnsw_config=hnsw,
                ),
                SENTENCES: qe.EdgeVectorParams(
                    size=dim,
                    distance=qe.Distance.Cosine,
                    multivector_config=qe.MultiVectorConfig(qe.MultiVectorComparator.MaxSim),
                    datatype=qe.VectorStorageDatatype.Float16,
                    on_disk=True,
                    # m=0: no HNSW graph; these are only read back by point id.
                    hnsw_config=qe.HnswIndexConfig(
                        m=0, ef_construct=100, full_scan_threshold=10_000
                    ),
                ),
            },
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
            on_disk_payload=self.payload_on_disk,
            optimizers=optimizers,
        )

    def search_params(self, qe: Any) -> Any:
        if self.hnsw_ef is None and self.oversampling is None:
            return None
        quantization = (
            qe.QuantizationSearchParams(rescore=True, oversampling=self.oversampling)
            if self.oversampling is not None
            else None
        )
        return qe.SearchParams(hnsw_ef=self.hnsw_ef, quantization=quantization)


class EdgeStore:
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
        try:
            if (self.path / "edge_config.json").exists():
                self._shard = qe.EdgeShard.load(str(self.path))
            elif create:
                self.path.mkdir(parents=True, exist_ok=True)
                config = self.tuning.config(qe, dim)
                self._shard = qe.EdgeShard.create(str(self.path), config)
                for name in KEYWORD_FIELDS:
                    self._shard.update(
                        qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Keyword)
                    )
                for name in INTEGER_FIELDS:
                    self._shard.update(
                        qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Integer)
                    )
            else:
                raise StoreError(f"no index at {self.path}: run `kb ingest` first")
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - qdrant_edge raises bare Exception (e.g. a held lock)
            text = str(exc)
            if "WouldBlock" in text or "lock" in text.lower():
                raise StoreBusy(
                    f"the index at {self.path} is in use by another kb process (ingest or app)"
                ) from None
            raise StoreError(f"cannot open the index at {self.path}: {_first_line(exc)}") from None

    # -- writes
    def upsert_chunks(
        self,
        document: Document,
        chunks: Sequence[Chunk],
        dense: np.ndarray,
        sparse: Sequence[SparseVec],
        *,
        sentences: Sequence[np.ndarray] | None = None,
    ) -> None:
        qe = self._qe
        points = [
            qe.Point(
                c.chunk_id,
                {
                    DENSE: [float(x) for x in dense[i]],
                    SPARSE: qe.SparseVector(*sparse[i]),
                    **sentence_vectors_of(sentences, i),
                },
                chunk_payload(document, c),
            )
            for i, c in enumerate(chunks)
        ]
        for start in range(0, len(points), 256):
            self._update(qe.UpdateOperation.upsert_points(points[start : start + 256]))

    def put_document(self, document: Document) -> None:
        qe = self._qe
        point = qe.Point(document_point_id(document.doc_id), {}, document_payload(document))
        self._update(qe.UpdateOperation.upsert_points([point]))
        self.flush()

    def delete_document(self, doc_id: str) -> None:
        qe = self._qe
        cond = qe.Filter(must=[qe.FieldCondition("doc_id", match=qe.MatchValue(doc_id))])
        self._update(qe.UpdateOperation.delete_points_by_filter(cond))
        self.flush()

    def _update(self, operation: Any) -> None:
        try:
            self._shard.update(operation)
        except Exception as exc:  # noqa: BLE001 - qdrant_edge raises bare Exception (e.g. disk full)
            raise StoreError(f"cannot write the index at {self.path}: {_first_line(exc)}") from None

    def flush(self) -> None:
        try:
            self._shard.flush()
        except Exception as exc:  # noqa: BLE001 - as above
            raise StoreError(f"cannot write the index at {self.path}: {_first_line(exc)}") from None

    # -- reads
    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not chunk_ids:
            return {}
        try:
            records = self._shard.retrieve(list(chunk_ids), False, [SENTENCES])
        except Exception as exc:  # noqa: BLE001 - the engines raise plain Exceptions
            if missing_sentence_vectors(exc):
                return {}
            raise StoreError(f"cannot read sentence vectors at {self.location}: {exc}") from None
        return sentence_rows((str(r.id), r.vector) for r in records)

    def _scroll(self, flt: Any, with_payload: Any = True) -> Iterator[Any]:
        qe = self._qe
        offset = None
        while True:
            records, offset = self._shard.scroll(
                qe.ScrollRequest(offset=offset, limit=1000, filter=flt, with_payload=with_payload)
            )
            yield from records
            if offset is None:
                return

    def documents(self) -> list[Document]:
        qe = self._qe
        flt = qe.Filter(must=[qe.FieldCondition("record", match=qe.MatchValue("document"))])
        return sorted(
            (Document.from_dict(dict(r.payload or {})) for r in self._scroll(flt)),
            key=lambda d: d.file.lower(),
        )

    def chunk_doc_ids(self) -> dict[str, int]:
        return {str(k): v for k, v in self.facet("doc_id", Filters(), limit=1_000_000).items()}

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        qe = self._qe
        flt = qe.Filter(
            must=[
                qe.FieldCondition("doc_id", match=qe.MatchValue(doc_id)),
                qe.FieldCondition("record", match=qe.MatchValue("chunk")),
            ]
        )
        return sorted(
            (chunk_from_payload(dict(r.payload or {})) for r in self._scroll(flt)),
            key=lambda c: c.index,
        )

    def _filter(self, f: Filters) -> Any:
        qe = self._qe
        must: list[Any] = [qe.FieldCondition("record", match=qe.MatchValue("chunk"))]
        for key, values in (
            ("doc_type", f.doc_types),
            ("publisher", f.publishers),
            ("file", f.files),
            ("themes", f.themes),
            ("kind", f.kinds),
        ):
            if values:
                must.append(qe.FieldCondition(key, match=qe.MatchAny(list(values))))
        if f.year_from is not None or f.year_to is not None:
            must.append(
                qe.FieldCondition(
                    "year",
                    range=qe.RangeFloat(
                        gte=None if f.year_from is None else float(f.year_from),
                        lte=None if f.year_to is None else float(f.year_to),
                    ),
                )
            )
        return qe.Filter(must=must)

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
    ) -> list[StoredHit]:
        qe = self._qe
        flt = self._filter(filters)
        queries = []
        params = []  # EdgeTuning's search knobs apply to the dense search only
        if dense is not None:
            queries.append(qe.Query.Nearest([float(x) for x in dense], using=DENSE))
            params.append(self._params)
        if sparse is not None and sparse[0]:
            queries.append(qe.Query.Nearest(qe.SparseVector(*sparse), using=SPARSE))
            params.append(None)
        if not queries:
            return []
        with_vector: Any = [DENSE] if with_vectors else False
        if len(queries) == 1:
            request = qe.QueryRequest(
                limit=limit,
                query=queries[0],
                filter=flt,
                with_payload=True,
                with_vector=with_vector,
                params=params[0],
            )
        else:
            prefetches = [
                qe.Prefetch(limit=candidates, query=q, filter=flt, params=pp)
                for q, pp in zip(queries, params, strict=True)
            ]
            fusion = qe.Fusion.Rrf(k=rrf_k, weights=list(weights) if weights else None)
            request = qe.QueryRequest(
                limit=limit,
                prefetches=prefetches,
                query=fusion,
                filter=flt,
                with_payload=True,
                with_vector=with_vector,
            )
        points = self._shard.query(request)
        return [stored_hit(p.payload or {}, p.score, dense_of(p.vector)) for p in points]

    def count(self, filters: Filters) -> int:
        return int(
            self._shard.count(self._qe.CountRequest(filter=self._filter(filters), exact=True))
        )

    def facet(self, key: str, filters: Filters, limit: int = 50) -> dict[Any, int]:
        response = self._shard.facet(
            self._qe.FacetRequest(key=key, limit=limit, exact=True, filter=self._filter(filters))
        )
        return {h.value: int(h.count) for h in response.hits}

    def optimize(self) -> bool:
        """Build the indexes (HNSW, quantization) the optimizers plan; blocks until done.

        Edge runs no background optimizer: without this, a large collection
        stays in unindexed segments and every dense query is a full scan.
        """
        return bool(self._shard.optimize())

    def size_bytes(self) -> int:
        return dir_size(self.path)

    def close(self) -> None:
        try:
            if not self.read_only:
                self.flush()
        finally:
            self._shard.close()


def _first_line(exc: Exception) -> str:
    text = str(exc)
    return text.splitlines()[0][:160] if text.strip() else type(exc).__name__
