"""Index and search knobs for a Qdrant Edge shard, measured by bench/scale.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kb.store.contract import DENSE, SENTENCES, SPARSE


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
    # Writes: after this many points, index them and reopen the shard
    # (``EdgeStore.compact``), so a bulk build's memory stays bounded.
    compact_every: int | None = None

    @classmethod
    def bounded(cls, compact_every: int = 50_000) -> EdgeTuning:
        """What keeps a big build's memory bounded (bench/scale.py ``bounded``):
        segments capped at ~52k points, a merge target no corpus reaches (so an
        optimize indexes new segments and never re-merges old ones), and a
        compaction every ``compact_every`` points."""
        return cls(
            max_segment_size_kb=80_000, default_segment_number=32, compact_every=compact_every
        )

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
