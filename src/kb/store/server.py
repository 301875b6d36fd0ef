"""A Qdrant server or cluster through qdrant-client (``QDRANT_URL``).

The same schema and queries as ``kb.store.edge``; qdrant-client's local mode
(``QDRANT_URL=:memory:`` or ``path:DIR``) stands in for a server in tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb.errors import StoreError
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


class QdrantServerStore:
    """A Qdrant server or cluster through qdrant-client (also its local mode, for tests)."""

    def __init__(
        self,
        client: Any,
        collection: str,
        dim: int,
        *,
        shard_number: int = 1,
        replication_factor: int = 1,
        location: str = "",
    ) -> None:
        from qdrant_client import models

        self._m = models
        self._client = client
        self.collection = collection
        self.location = location or collection
        try:
            if not client.collection_exists(collection):
                client.create_collection(
                    collection,
                    vectors_config={
                        DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE),
                        SENTENCES: models.VectorParams(
                            size=dim,
                            distance=models.Distance.COSINE,
                            multivector_config=models.MultiVectorConfig(
                                comparator=models.MultiVectorComparator.MAX_SIM
                            ),
                            datatype=models.Datatype.FLOAT16,
                            on_disk=True,
                            hnsw_config=models.HnswConfigDiff(m=0),
                        ),
                    },
                    sparse_vectors_config={
                        SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)
                    },
                    shard_number=shard_number,
                    replication_factor=replication_factor,
                )
                for name in KEYWORD_FIELDS:
                    client.create_payload_index(collection, name, models.PayloadSchemaType.KEYWORD)
                for name in INTEGER_FIELDS:
                    client.create_payload_index(collection, name, models.PayloadSchemaType.INTEGER)
        except Exception as exc:  # noqa: BLE001 - connection errors come in many types
            raise StoreError(f"cannot reach Qdrant at {self.location}: {exc}") from None

    def upsert_chunks(
        self,
        document: Document,
        chunks: Sequence[Chunk],
        dense: np.ndarray,
        sparse: Sequence[SparseVec],
        *,
        sentences: Sequence[np.ndarray] | None = None,
    ) -> None:
        m = self._m
        points = [
            m.PointStruct(
                id=c.chunk_id,
                vector={
                    DENSE: dense[i].tolist(),
                    SPARSE: m.SparseVector(indices=sparse[i][0], values=sparse[i][1]),
                    **sentence_vectors_of(sentences, i),
                },
                payload=chunk_payload(document, c),
            )
            for i, c in enumerate(chunks)
        ]
        for start in range(0, len(points), 256):
            self._client.upsert(self.collection, points[start : start + 256], wait=True)

    def put_document(self, document: Document) -> None:
        m = self._m
        self._client.upsert(
            self.collection,
            [
                m.PointStruct(
                    id=document_point_id(document.doc_id),
                    vector={},
                    payload=document_payload(document),
                )
            ],
            wait=True,
        )

    def delete_document(self, doc_id: str) -> None:
        m = self._m
        self._client.delete(
            self.collection,
            m.FilterSelector(
                filter=m.Filter(
                    must=[m.FieldCondition(key="doc_id", match=m.MatchValue(value=doc_id))]
                )
            ),
            wait=True,
        )

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not chunk_ids:
            return {}
        try:
            records = self._client.retrieve(
                self.collection, list(chunk_ids), with_payload=False, with_vectors=[SENTENCES]
            )
        except Exception as exc:  # noqa: BLE001 - the engines raise plain Exceptions
            if missing_sentence_vectors(exc):
                return {}
            raise StoreError(f"cannot read sentence vectors at {self.location}: {exc}") from None
        return sentence_rows((str(r.id), r.vector) for r in records)

    def _scroll(self, flt: Any) -> Iterator[Any]:
        offset = None
        while True:
            records, offset = self._client.scroll(
                self.collection, scroll_filter=flt, limit=1000, offset=offset, with_payload=True
            )
            yield from records
            if offset is None:
                return

    def documents(self) -> list[Document]:
        m = self._m
        flt = m.Filter(must=[m.FieldCondition(key="record", match=m.MatchValue(value="document"))])
        return sorted(
            (Document.from_dict(dict(r.payload or {})) for r in self._scroll(flt)),
            key=lambda d: d.file.lower(),
        )

    def chunk_doc_ids(self) -> dict[str, int]:
        return {str(k): v for k, v in self.facet("doc_id", Filters(), limit=1_000_000).items()}

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        m = self._m
        flt = m.Filter(
            must=[
                m.FieldCondition(key="doc_id", match=m.MatchValue(value=doc_id)),
                m.FieldCondition(key="record", match=m.MatchValue(value="chunk")),
            ]
        )
        return sorted(
            (chunk_from_payload(dict(r.payload or {})) for r in self._scroll(flt)),
            key=lambda c: c.index,
        )

    def _filter(self, f: Filters) -> Any:
        m = self._m
        must: list[Any] = [m.FieldCondition(key="record", match=m.MatchValue(value="chunk"))]
        for key, values in (
            ("doc_type", f.doc_types),
            ("publisher", f.publishers),
            ("file", f.files),
            ("themes", f.themes),
            ("kind", f.kinds),
        ):
            if values:
                must.append(m.FieldCondition(key=key, match=m.MatchAny(any=list(values))))
        if f.year_from is not None or f.year_to is not None:
            must.append(m.FieldCondition(key="year", range=m.Range(gte=f.year_from, lte=f.year_to)))
        return m.Filter(must=must)

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
        m = self._m
        flt = self._filter(filters)
        prefetches = []
        if dense is not None:
            prefetches.append(
                m.Prefetch(query=dense.tolist(), using=DENSE, limit=candidates, filter=flt)
            )
        if sparse is not None and sparse[0]:
            prefetches.append(
                m.Prefetch(
                    query=m.SparseVector(indices=sparse[0], values=sparse[1]),
                    using=SPARSE,
                    limit=candidates,
                    filter=flt,
                )
            )
        if not prefetches:
            return []
        with_vector: Any = [DENSE] if with_vectors else False
        if len(prefetches) == 1:
            p = prefetches[0]
            response = self._client.query_points(
                self.collection,
                query=p.query,
                using=p.using,
                query_filter=flt,
                limit=limit,
                with_payload=True,
                with_vectors=with_vector,
            )
        else:
            fusion = m.RrfQuery(rrf=m.Rrf(k=rrf_k, weights=list(weights) if weights else None))
            response = self._client.query_points(
                self.collection,
                prefetch=prefetches,
                query=fusion,
                query_filter=flt,
                limit=limit,
                with_payload=True,
                with_vectors=with_vector,
            )
        return [stored_hit(p.payload or {}, p.score, dense_of(p.vector)) for p in response.points]

    def count(self, filters: Filters) -> int:
        return int(
            self._client.count(
                self.collection, count_filter=self._filter(filters), exact=True
            ).count
        )

    def facet(self, key: str, filters: Filters, limit: int = 50) -> dict[Any, int]:
        response = self._client.facet(
            self.collection, key=key, facet_filter=self._filter(filters), limit=limit, exact=True
        )
        return {h.value: int(h.count) for h in response.hits}

    def size_bytes(self) -> int:
        path = getattr(getattr(self._client, "_client", None), "location", None)
        return dir_size(Path(path)) if isinstance(path, str) and Path(path).exists() else 0

    def close(self) -> None:
        self._client.close()
