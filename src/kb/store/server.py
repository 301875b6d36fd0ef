"""A Qdrant server or cluster through qdrant-client (``QDRANT_URL``).

The same schema as ``kb.store.edge``, and the same upserts and reads
(``kb.store.base``) over qdrant-client's primitives; qdrant-client's local mode
(``QDRANT_URL=:memory:`` or ``path:DIR``) stands in for a server in tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import kb.store.filters as select
from kb.errors import StoreError
from kb.store.base import Nearest, PointStore, with_payload
from kb.store.contract import DENSE, INTEGER_FIELDS, KEYWORD_FIELDS, SENTENCES, SPARSE, SparseVec
from kb.store.filters import Selection
from kb.store.generations import allocated_bytes
from kb.store.payload import missing_sentence_vectors, sentence_rows


class QdrantServerStore(PointStore):
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

    def delete_document(self, doc_id: str) -> None:
        selector = self._m.FilterSelector(filter=self._native(select.all_of(doc_id)))
        self._client.delete(self.collection, selector, wait=True)

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

    # -- the engine primitives behind PointStore
    def _sparse(self, vector: SparseVec) -> Any:
        return self._m.SparseVector(indices=vector[0], values=vector[1])

    def _point(self, point_id: str, vectors: dict[str, Any], payload: dict[str, Any]) -> Any:
        return self._m.PointStruct(id=point_id, vector=vectors, payload=payload)

    def _upsert(self, points: list[Any]) -> None:
        self._client.upsert(self.collection, points, wait=True)

    def _native(self, selection: Selection) -> Any:
        m = self._m
        must: list[Any] = [
            m.FieldCondition(key=key, match=m.MatchValue(value=values[0]))
            if len(values) == 1
            else m.FieldCondition(key=key, match=m.MatchAny(any=list(values)))
            for key, values in selection.match
        ]
        if selection.has_years:
            span = m.Range(gte=selection.year_from, lte=selection.year_to)
            must.append(m.FieldCondition(key="year", range=span))
        return m.Filter(must=must)

    def _scroll(self, selection: Selection) -> Iterator[dict[str, Any]]:
        flt, offset = self._native(selection), None
        while True:
            records, offset = self._client.scroll(
                self.collection, scroll_filter=flt, limit=1000, offset=offset, with_payload=True
            )
            yield from (dict(r.payload or {}) for r in records)
            if offset is None:
                return

    def _count(self, selection: Selection) -> int:
        flt = self._native(selection)
        return int(self._client.count(self.collection, count_filter=flt, exact=True).count)

    def _facet(self, key: str, selection: Selection, limit: int) -> dict[Any, int]:
        response = self._client.facet(
            self.collection, key=key, facet_filter=self._native(selection), limit=limit, exact=True
        )
        return {h.value: int(h.count) for h in response.hits}

    def _nearest(
        self,
        using: str,
        vector: Any,
        selection: Selection,
        limit: int,
        with_vectors: bool,
        fields: Sequence[str] | None = None,
    ) -> Nearest:
        query = vector.tolist() if using == DENSE else self._sparse(vector)
        response = self._client.query_points(
            self.collection,
            query=query,
            using=using,
            query_filter=self._native(selection),
            limit=limit,
            with_payload=with_payload(fields),
            with_vectors=[DENSE] if with_vectors else False,
        )
        return [(p.payload or {}, p.score, p.vector) for p in response.points]

    def size_bytes(self) -> int:
        path = getattr(getattr(self._client, "_client", None), "location", None)
        return allocated_bytes(Path(path)) if isinstance(path, str) and Path(path).exists() else 0

    def close(self) -> None:
        self._client.close()
