"""kb.ingest.overrides: a removed document is gone from every read, counts included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kb.embed.bm25 import Bm25Encoder
from kb.embed.contract import DIM
from kb.embed.hashing import HashEmbedder
from kb.ingest.overrides import OverriddenStore, mark_removed
from kb.records import Chunk, Document, Filters
from kb.store.contract import EmbeddedChunks, StoreQuery
from kb.store.edge import EdgeStore

BM25 = Bm25Encoder()
TEXT = "The family was known to housing, health and children's social care."


def fill(store: EdgeStore, doc: Document, n: int) -> None:
    chunks = [
        Chunk(doc_id=doc.doc_id, index=i, text=TEXT, page_start=i + 1, page_end=i + 1)
        for i in range(n)
    ]
    dense = HashEmbedder().embed_documents([c.text for c in chunks])
    sparse = [BM25.document(c.text) for c in chunks]
    store.upsert_chunks(EmbeddedChunks(doc, chunks, np.asarray(dense), sparse))
    store.put_document(doc)


KEPT = Document(doc_id="k" * 64, file="kept.pdf", title="Kept")
GONE = Document(doc_id="g" * 64, file="gone.pdf", title="Gone")
QUERY = StoreQuery(sparse=BM25.query("housing social care"), filters=Filters(), limit=50)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[OverriddenStore]:
    """Five passages, three of KEPT and two of GONE, with corrections kept in tmp_path."""
    inner = EdgeStore(tmp_path / "edge", DIM)
    fill(inner, KEPT, 3)
    fill(inner, GONE, 2)
    yield OverriddenStore(inner, tmp_path)
    inner.close()


def test_a_removed_document_leaves_the_nearest_count(
    store: OverriddenStore, tmp_path: Path
) -> None:
    assert store.nearest_count(QUERY) == 5
    mark_removed(tmp_path, GONE)
    assert store.nearest_count(QUERY) == 3 == len(store.nearest_doc_ids(QUERY))
    assert {h.document.file for h in store.query(QUERY)} == {"kept.pdf"}


def test_corrections_hold_still_within_a_reading_block(
    store: OverriddenStore, tmp_path: Path
) -> None:
    with store.reading():
        assert len(store.query(QUERY)) == 5
        mark_removed(tmp_path, GONE)  # by `kb docs --remove` in another process, say
        assert len(store.query(QUERY)) == 5  # one search sees one state
    assert {h.document.file for h in store.query(QUERY)} == {"kept.pdf"}  # the next sees it
