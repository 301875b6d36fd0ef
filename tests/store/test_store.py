"""The store contract, run against Qdrant Edge and qdrant-client's local mode alike,
and against a real Qdrant server or cluster when ``QDRANT_URL`` is set (else skipped)."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from kb.config import Settings
from kb.embed.bm25 import Bm25Encoder
from kb.embed.contract import DIM
from kb.embed.hashing import HashEmbedder
from kb.errors import StoreError
from kb.ingest.chunk import embed_text
from kb.records import Chunk, Document, Filters
from kb.store import open_store
from kb.store.contract import EmbeddedChunks, Store, StoreQuery
from kb.store.edge import EdgeStore
from kb.store.server import QdrantServerStore

EMBEDDER = HashEmbedder()
BM25 = Bm25Encoder()

DOCS = [
    Document(
        doc_id="a" * 64,
        file="child-a.pdf",
        path="/corpus/child-a.pdf",
        title="Child A: local review",
        publisher="Northshire Safeguarding Children Partnership",
        year=2019,
        doc_type="local_review",
        n_pages=12,
        n_chunks=3,
    ),
    Document(
        doc_id="b" * 64,
        file="panel-b.pdf",
        title="Panel review B",
        publisher="Child Safeguarding Practice Review Panel",
        year=2022,
        doc_type="national_review",
        n_pages=40,
        n_chunks=2,
    ),
    Document(
        doc_id="c" * 64,
        file="guidance-c.pdf",
        title="Working together guidance",
        publisher="Department for Education",
        year=2024,
        doc_type="statutory_guidance",
        n_pages=150,
        n_chunks=3,
        source_url="https://www.gov.uk/guidance-c",
    ),
    Document(doc_id="d" * 64, file="undated.pdf", title="Undated notes", n_chunks=1),
]

# (text, kind, themes, heading path) per chunk, per document.
TEXTS: dict[str, list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]] = {
    "a" * 64: [
        (
            "The baby was bruised and the GP did not refer to social care.",
            "passage",
            ("physical_abuse",),
            ("3 Findings",),
        ),
        (
            "Housing moved the family three times in a single year.",
            "passage",
            ("neglect",),
            ("3 Findings", "3.2 Housing"),
        ),
        (
            "The partnership should audit referrals from primary care.",
            "recommendation",
            (),
            ("5 Recommendations",),
        ),
    ],
    "b" * 64: [
        (
            "Fathers were invisible to the services that worked with the family.",
            "passage",
            ("domestic_abuse",),
            ("Themes",),
        ),
        (
            "A zebra-striped blanket lay folded in the empty cot.",
            "passage",
            ("neglect", "sleep"),
            ("Case study",),
        ),
    ],
    "c" * 64: [
        ("Schools must appoint a designated safeguarding lead.", "passage", (), ("Part 2",)),
        (
            "Local authorities should publish a threshold document.",
            "recommendation",
            ("thresholds",),
            ("Part 3",),
        ),
        (
            "Online harms require joint working with the police.",
            "passage",
            ("online_harm",),
            ("Part 4",),
        ),
    ],
    "d" * 64: [("Notes of a meeting about attendance.", "passage", (), ())],
}


def chunks_for(doc: Document) -> list[Chunk]:
    return [
        Chunk(
            doc_id=doc.doc_id,
            index=i,
            text=text,
            page_start=i + 1,
            page_end=i + 2 if i == 1 else i + 1,
            heading_path=path,
            char_start=10 * i,
            char_end=10 * i + len(text),
            kind=kind,
            themes=themes,
            ocr=i == 2,
            n_tokens=20 + i,
        )
        for i, (text, kind, themes, path) in enumerate(TEXTS[doc.doc_id])
    ]


def vectors(doc: Document, chunks: list[Chunk]) -> tuple[np.ndarray, list]:
    texts = [embed_text(doc, c) for c in chunks]
    return EMBEDDER.embed_documents(texts), [BM25.document(t) for t in texts]


def add(store: Store, doc: Document, chunks: list[Chunk] | None = None) -> list[Chunk]:
    chunks = chunks_for(doc) if chunks is None else chunks
    dense, sparse = vectors(doc, chunks)
    store.upsert_chunks(EmbeddedChunks(doc, chunks, dense, sparse))
    store.put_document(doc)
    return chunks


@pytest.fixture(params=["edge", "qdrant-local", "qdrant-server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """conftest's two backends, plus a real server when QDRANT_URL is set.

    The server gets a fresh collection per test, created with the settings'
    shard_number and replication_factor, and dropped afterwards.
    """
    if request.param == "edge":
        s: Store = EdgeStore(tmp_path / "edge", DIM)
    elif request.param == "qdrant-local":
        from qdrant_client import QdrantClient

        s = QdrantServerStore(QdrantClient(location=":memory:"), "test", DIM)
    else:
        settings = Settings.from_env()
        url = settings.store.qdrant_url or ""
        if not url or url == ":memory:" or url.startswith("path:"):
            pytest.skip("QDRANT_URL is not set: no Qdrant server to test against")
        settings = settings.with_(collection=f"kb-contract-{uuid.uuid4().hex[:12]}")
        s = open_store(settings.store, DIM)
    yield s
    if request.param == "qdrant-server" and isinstance(s, QdrantServerStore):
        s._client.delete_collection(s.collection)
    s.close()


@pytest.fixture
def filled(store: Store) -> Store:
    for doc in DOCS:
        add(store, doc)
    return store


def all_chunks() -> list[tuple[Document, Chunk]]:
    return [(d, c) for d in DOCS for c in chunks_for(d)]


def search(
    store: Store, query: str, mode: str = "dense", filters: Filters | None = None, limit: int = 10
) -> list:
    """One retriever's nearest chunks (fusing them is search's job, not the store's)."""
    dense = EMBEDDER.embed_query(query) if mode == "dense" else None
    sparse = BM25.query(query) if mode == "sparse" else None
    return store.query(
        StoreQuery(dense=dense, sparse=sparse, filters=filters or Filters(), limit=limit)
    )


# --------------------------------------------------------------------------- writes and reads


def test_documents_round_trip(filled: Store) -> None:
    assert filled.documents() == sorted(DOCS, key=lambda d: d.file)


def test_empty_store(store: Store) -> None:
    assert store.documents() == []
    assert store.count(Filters()) == 0
    assert store.chunk_doc_ids() == {}
    assert search(store, "anything") == []


@pytest.mark.parametrize("mode", ["dense", "sparse"])
def test_distinctive_query_finds_its_chunk_first(filled: Store, mode: str) -> None:
    hits = search(filled, "zebra-striped blanket in the cot", mode)
    assert hits, mode
    top = hits[0]
    assert top.chunk == chunks_for(DOCS[1])[1]
    assert top.document.file == "panel-b.pdf"
    assert top.document.publisher == "Child Safeguarding Practice Review Panel"
    assert top.document.year == 2022
    assert top.document.doc_type == "national_review"
    assert top.score > 0
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hits_carry_every_chunk_field(filled: Store) -> None:
    hits = search(filled, "Housing moved the family", "dense", limit=20)
    found = {(h.chunk.doc_id, h.chunk.index): h for h in hits}
    original = chunks_for(DOCS[0])[1]
    hit = found[(original.doc_id, original.index)]
    assert hit.chunk == original  # heading path, span, pages, kind, themes, ocr, n_tokens
    assert hit.document.source_url == ""
    assert hit.vector is None


def test_query_without_vectors_returns_nothing(filled: Store) -> None:
    assert filled.query(StoreQuery(dense=None, sparse=None, filters=Filters(), limit=5)) == []
    assert filled.query(StoreQuery(dense=None, sparse=([], []), filters=Filters(), limit=5)) == []


def test_a_query_asks_one_retriever(filled: Store) -> None:
    q = "designated safeguarding lead"
    with pytest.raises(ValueError, match="one retriever"):
        filled.query(
            StoreQuery(
                dense=EMBEDDER.embed_query(q), sparse=BM25.query(q), filters=Filters(), limit=3
            )
        )


def test_query_with_vectors(filled: Store) -> None:
    q = "designated safeguarding lead"
    hits = filled.query(
        StoreQuery(
            dense=EMBEDDER.embed_query(q),
            filters=Filters(),
            limit=3,
            with_vectors=True,
        )
    )
    assert hits[0].vector is not None and hits[0].vector.shape == (DIM,)
    doc_c = DOCS[2]
    expected = EMBEDDER.embed_documents([embed_text(doc_c, chunks_for(doc_c)[0])])[0]
    assert np.allclose(hits[0].vector, expected, atol=1e-5)


def test_limit_is_respected(filled: Store) -> None:
    assert len(search(filled, "the family", "dense", limit=2)) == 2


# --------------------------------------------------------------------------- filters

Predicate = Callable[[Document, Chunk], bool]

FILTER_CASES: list[tuple[str, Filters, Predicate]] = [
    ("doc_type", Filters(doc_types=("local_review",)), lambda d, c: d.doc_type == "local_review"),
    (
        "doc_types",
        Filters(doc_types=("national_review", "statutory_guidance")),
        lambda d, c: d.doc_type in ("national_review", "statutory_guidance"),
    ),
    (
        "publisher",
        Filters(publishers=("Department for Education",)),
        lambda d, c: d.publisher == "Department for Education",
    ),
    ("file", Filters(files=("panel-b.pdf",)), lambda d, c: d.file == "panel-b.pdf"),
    ("year_from", Filters(year_from=2020), lambda d, c: d.year is not None and d.year >= 2020),
    ("year_to", Filters(year_to=2022), lambda d, c: d.year is not None and d.year <= 2022),
    (
        "year_range",
        Filters(year_from=2020, year_to=2023),
        lambda d, c: d.year is not None and 2020 <= d.year <= 2023,
    ),
    ("theme", Filters(themes=("neglect",)), lambda d, c: "neglect" in c.themes),
    (
        "themes",
        Filters(themes=("online_harm", "domestic_abuse")),
        lambda d, c: bool({"online_harm", "domestic_abuse"} & set(c.themes)),
    ),
    ("kind", Filters(kinds=("recommendation",)), lambda d, c: c.kind == "recommendation"),
    (
        "combined",
        Filters(kinds=("passage",), year_from=2020, themes=("neglect",)),
        lambda d, c: c.kind == "passage" and (d.year or 0) >= 2020 and "neglect" in c.themes,
    ),
]


@pytest.mark.parametrize(
    ("name", "filters", "keep"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES]
)
def test_filters(filled: Store, name: str, filters: Filters, keep: Predicate) -> None:
    expected = {c.chunk_id for d, c in all_chunks() if keep(d, c)}
    assert expected, "the case must select something"
    assert len(expected) < len(all_chunks()), "the case must leave something out"
    # Dense search over a tiny collection returns every chunk the filter allows.
    dense_ids = {h.chunk.chunk_id for h in search(filled, "family", "dense", filters, limit=50)}
    assert dense_ids == expected
    # BM25 with a query sure to match one allowed chunk, and words from the others.
    words = next(c.text for d, c in all_chunks() if keep(d, c)) + " the family police school"
    by_terms = search(filled, words, "sparse", filters, limit=50)
    assert by_terms and {h.chunk.chunk_id for h in by_terms} <= expected
    assert filled.count(filters) == len(expected)
    files = Counter(d.file for d, c in all_chunks() if keep(d, c))
    assert filled.facet("file", filters) == dict(files)


def test_count_ignores_document_markers(filled: Store) -> None:
    assert filled.count(Filters()) == len(all_chunks()) == 9


def test_facets(filled: Store) -> None:
    assert filled.facet("doc_type", Filters()) == {
        "local_review": 3,
        "national_review": 2,
        "statutory_guidance": 3,
        "other": 1,
    }
    assert filled.facet("year", Filters()) == {2019: 3, 2022: 2, 2024: 3}
    assert filled.facet("kind", Filters(year_from=2020)) == {"passage": 4, "recommendation": 1}
    assert filled.facet("themes", Filters()) == {
        "physical_abuse": 1,
        "neglect": 2,
        "domestic_abuse": 1,
        "sleep": 1,
        "thresholds": 1,
        "online_harm": 1,
    }
    assert len(filled.facet("file", Filters(), limit=2)) == 2


# --------------------------------------------------------------------------- maintenance


def test_delete_document_removes_chunks_and_marker(filled: Store) -> None:
    gone = DOCS[1]
    filled.delete_document(gone.doc_id)
    assert [d.file for d in filled.documents()] == ["child-a.pdf", "guidance-c.pdf", "undated.pdf"]
    assert filled.chunks_of(gone.doc_id) == []
    assert gone.doc_id not in filled.chunk_doc_ids()
    assert filled.count(Filters()) == 9 - 2
    assert all(h.document.doc_id != gone.doc_id for h in search(filled, "zebra blanket cot"))
    # The others are untouched.
    assert filled.chunks_of(DOCS[0].doc_id) == chunks_for(DOCS[0])


def test_delete_unknown_document_is_harmless(filled: Store) -> None:
    filled.delete_document("f" * 64)
    assert filled.count(Filters()) == 9


def test_chunk_doc_ids_counts_chunks_per_document(filled: Store) -> None:
    assert filled.chunk_doc_ids() == {d.doc_id: len(TEXTS[d.doc_id]) for d in DOCS}


def test_chunks_without_marker_are_visible_as_orphans(store: Store) -> None:
    add(store, DOCS[0])
    orphan = DOCS[1]
    chunks = chunks_for(orphan)
    store.upsert_chunks(EmbeddedChunks(orphan, chunks, *vectors(orphan, chunks)))  # no put_document
    assert [d.doc_id for d in store.documents()] == [DOCS[0].doc_id]
    assert store.chunk_doc_ids() == {DOCS[0].doc_id: 3, orphan.doc_id: 2}


def test_upserting_twice_does_not_duplicate(filled: Store) -> None:
    before = filled.count(Filters())
    for doc in DOCS:
        add(filled, doc)
    assert filled.count(Filters()) == before
    assert filled.documents() == sorted(DOCS, key=lambda d: d.file)
    assert filled.chunk_doc_ids() == {d.doc_id: len(TEXTS[d.doc_id]) for d in DOCS}


def test_updated_document_metadata_replaces_the_old(filled: Store) -> None:
    from dataclasses import replace

    renamed = replace(DOCS[0], title="Child A: revised", year=2020)
    add(filled, renamed)
    assert filled.documents()[0].title == "Child A: revised"
    assert filled.count(Filters(year_from=2020, year_to=2020)) == 3


def test_reads_after_a_write_see_the_write(filled: Store) -> None:
    """Edge keeps recent hits and sentence vectors in memory: a write must not
    leave a reader with the old text, metadata or vectors."""
    from dataclasses import replace

    doc = DOCS[0]
    before = search(filled, "bruised baby GP refer", limit=3)
    assert before[0].chunk.text.startswith("The baby was bruised")
    chunks = chunks_for(doc)
    chunks[0] = replace(chunks[0], text="The bruised baby was referred by the GP at once.")
    renamed = replace(doc, title="Child A: second edition")
    dense, sparse = vectors(renamed, chunks)
    rows = [np.eye(DIM, dtype=np.float32)[:2] for _ in chunks]
    filled.upsert_chunks(EmbeddedChunks(renamed, chunks, dense, sparse, rows))
    filled.put_document(renamed)
    after = {h.chunk.chunk_id: h for h in search(filled, "bruised baby GP refer", limit=10)}
    first = after[chunks[0].chunk_id]
    assert first.chunk.text == "The bruised baby was referred by the GP at once."
    assert first.document.title == "Child A: second edition"
    got = filled.sentence_vectors([chunks[0].chunk_id])
    assert np.allclose(got[chunks[0].chunk_id], rows[0], atol=1e-3)
    filled.delete_document(doc.doc_id)
    assert all(h.document.doc_id != doc.doc_id for h in search(filled, "bruised baby GP refer"))


def test_chunks_of_returns_index_order(store: Store) -> None:
    doc = Document(doc_id="e" * 64, file="long.pdf", title="Long")
    chunks = [
        Chunk(doc.doc_id, i, f"Passage number {i} about agency {i % 7}.", i // 3 + 1, i // 3 + 1)
        for i in range(40)
    ]
    shuffled = chunks[:]
    random.Random(7).shuffle(shuffled)
    dense, sparse = vectors(doc, shuffled)
    store.upsert_chunks(EmbeddedChunks(doc, shuffled, dense, sparse))
    store.put_document(doc)
    assert store.chunks_of(doc.doc_id) == chunks
    assert store.chunks_of("0" * 64) == []


def test_many_chunks_scroll_past_one_page(store: Store) -> None:
    # More than one scroll page (1000) and more than one upsert batch (256).
    doc = Document(doc_id="f" * 64, file="big.pdf", title="Big")
    chunks = [Chunk(doc.doc_id, i, f"Chunk {i}.", 1, 1) for i in range(1100)]
    dense = np.tile(EMBEDDER.embed_query("chunk"), (len(chunks), 1))
    sparse = [BM25.document("chunk")] * len(chunks)
    store.upsert_chunks(EmbeddedChunks(doc, chunks, dense, sparse))
    store.put_document(doc)
    assert store.count(Filters()) == 1100
    assert [c.index for c in store.chunks_of(doc.doc_id)] == list(range(1100))
    assert store.chunk_doc_ids() == {doc.doc_id: 1100}


# --------------------------------------------------------------------------- Edge only


def test_edge_reopen_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "edge"
    first = EdgeStore(path, DIM)
    for doc in DOCS:
        add(first, doc)
    first.close()
    again = EdgeStore(path, DIM, create=False)
    try:
        assert again.documents() == sorted(DOCS, key=lambda d: d.file)
        assert again.count(Filters()) == 9
        assert search(again, "zebra-striped blanket", "sparse")[0].document.file == "panel-b.pdf"
        assert again.size_bytes() > 0
    finally:
        again.close()


def test_edge_second_open_while_in_use_is_a_one_line_store_error(edge_store: EdgeStore) -> None:
    add(edge_store, DOCS[0])
    with pytest.raises(StoreError) as info:
        EdgeStore(edge_store.path, DIM)
    message = str(info.value)
    assert "\n" not in message
    assert str(edge_store.path) in message
    assert "in use" in message
    # The first store still works.
    assert edge_store.count(Filters()) == 3


def test_edge_open_missing_without_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `kb ingest` first"):
        EdgeStore(tmp_path / "nothing", DIM, create=False)
    assert not (tmp_path / "nothing").exists()


def test_sentence_vectors_round_trip(store: Store) -> None:
    doc = DOCS[0]
    chunks = chunks_for(doc)
    dense, sparse = vectors(doc, chunks)
    rows = [EMBEDDER.embed_documents([f"sentence {i} of {c.text}" for i in range(i + 1)])
            for i, c in enumerate(chunks)]
    store.upsert_chunks(EmbeddedChunks(doc, chunks, dense, sparse, sentences=rows))
    store.put_document(doc)
    got = store.sentence_vectors([c.chunk_id for c in chunks] + [str(uuid.uuid4())])
    assert set(got) == {c.chunk_id for c in chunks}  # an unknown id is left out
    for c, expected in zip(chunks, rows, strict=True):
        assert got[c.chunk_id].shape == expected.shape
        # Stored as float16: equal to about three decimal places.
        assert np.allclose(got[c.chunk_id], expected, atol=2e-3)


def test_chunks_without_sentence_vectors_have_none(filled: Store) -> None:
    ids = [c.chunk_id for c in chunks_for(DOCS[0])]
    assert filled.sentence_vectors(ids) == {}
    assert filled.sentence_vectors([]) == {}


def test_edge_index_from_before_sentence_vectors_reads_none(tmp_path: Path) -> None:
    """An index made before kb stored sentence vectors has no such vector: search
    must get nothing (and embed those sentences itself), not an error."""
    import qdrant_edge as qe

    old = qe.EdgeConfig(
        vectors={"dense": qe.EdgeVectorParams(size=DIM, distance=qe.Distance.Cosine)},
        sparse_vectors={"bm25": qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
    )
    qe.EdgeShard.create(str(tmp_path / "old"), old).close()
    store = EdgeStore(tmp_path / "old", DIM, create=False)
    try:
        assert store.sentence_vectors([str(uuid.uuid4())]) == {}
    finally:
        store.close()


def test_only_a_missing_vector_name_counts_as_an_old_index() -> None:
    from kb.store.payload import missing_sentence_vectors

    assert missing_sentence_vectors(Exception("Not existing vector name error: sentences"))
    assert not missing_sentence_vectors(Exception("Service internal error: shard closed"))


def test_an_edge_build_compacts_as_it_writes(tmp_path: Path) -> None:
    """``EdgeTuning.compact_every``: every few points the shard is indexed and
    reopened (bounded memory for a bulk build); nothing written is lost, every
    chunk is found as before, and the store reopens whole."""
    from kb.store.tuning import EdgeTuning

    store = EdgeStore(tmp_path / "edge", DIM, tuning=EdgeTuning(compact_every=3))
    expected = {(d.doc_id, c.index) for d, c in all_chunks()}
    assert len(expected) >= 9  # so the build compacts at least three times
    for doc in DOCS:
        add(store, doc)
        assert store._written < 3  # compacted once 3 points were written
    for doc, chunk in all_chunks():
        assert (doc.doc_id, chunk.index) in {
            (h.chunk.doc_id, h.chunk.index) for h in search(store, chunk.text, limit=len(expected))
        }
    assert store.count(Filters()) == len(expected)
    store.close()
    again = EdgeStore(tmp_path / "edge", DIM, create=False)
    assert again.count(Filters()) == len(expected)
    assert {d.doc_id for d in again.documents()} == {d.doc_id for d in DOCS}
    again.close()


@pytest.mark.parametrize("mode", ["dense", "sparse"])
def test_nearest_doc_ids_are_the_query_s_documents_without_payloads(
    filled: Store, mode: str
) -> None:
    """What coverage counts with: the same hits as ``query``, in order, ids only."""
    question = "designated safeguarding lead in schools"
    dense = EMBEDDER.embed_query(question) if mode == "dense" else None
    sparse = BM25.query(question) if mode == "sparse" else None
    query = StoreQuery(dense=dense, sparse=sparse, filters=Filters(), limit=5)
    expected = [h.document.doc_id for h in filled.query(query)]
    assert expected and filled.nearest_doc_ids(query) == expected
    assert filled.nearest_doc_ids(StoreQuery(filters=Filters(), limit=5)) == []
    assert filled.nearest_count(query) == len(expected)
    assert filled.nearest_count(StoreQuery(filters=Filters(), limit=5)) == 0


def test_nearest_count_counts_up_to_the_limit_under_filters(filled: Store) -> None:
    terms = BM25.query("family care services")
    everything = StoreQuery(sparse=terms, filters=Filters(), limit=50)
    assert filled.nearest_count(everything) == len(filled.query(everything))
    one_type = Filters(doc_types=("local_review",))
    narrowed = StoreQuery(sparse=everything.sparse, filters=one_type, limit=50)
    assert filled.nearest_count(narrowed) == len(filled.query(narrowed))
    assert 0 < filled.nearest_count(narrowed) < filled.nearest_count(everything)
    one = StoreQuery(sparse=everything.sparse, filters=Filters(), limit=1)
    assert filled.nearest_count(one) == 1


def test_counts_follow_writes(filled: Store) -> None:
    """Edge keeps recent counts: a write must change what count says."""
    before = filled.count(Filters())
    filled.delete_document(DOCS[0].doc_id)
    assert filled.count(Filters()) == before - len(TEXTS[DOCS[0].doc_id])
    add(filled, DOCS[0])
    assert filled.count(Filters()) == before


def test_term_counts_follow_writes(filled: Store) -> None:
    """Edge keeps recent term counts (the unknown-term check's): a write changes them."""
    terms = StoreQuery(sparse=BM25.query("family care services"), filters=Filters(), limit=50)
    before = filled.nearest_count(terms)
    assert filled.nearest_count(terms) == before  # asked again: the same, from memory or not
    filled.delete_document(DOCS[0].doc_id)
    after = filled.nearest_count(terms)
    assert after == len(filled.query(terms)) < before
    add(filled, DOCS[0])
    assert filled.nearest_count(terms) == before
