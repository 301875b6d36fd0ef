"""kb.retrieve.search: the Searcher over a real Edge store filled from generated PDFs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conftest import MakePdf
from kb.config import Settings
from kb.embed.batching import BatchingEmbedder
from kb.embed.bm25 import Bm25Encoder
from kb.embed.hashing import HashEmbedder
from kb.ingest.run import Ingestor
from kb.records import Filters
from kb.retrieve.answertype import NO_TIME_STATED
from kb.retrieve.search import Searcher
from kb.store.contract import EmbeddedChunks
from kb.store.edge import EdgeStore
from kb.text.sentences import sentence_texts

HIT_KEYS = {
    "doc",
    "title",
    "page_start",
    "page_end",
    "heading",
    "text",
    "score",
    "publisher",
    "year",
    "doc_type",
}

OTHER_PAGES = [
    [
        "Summary",
        "This thematic review looked at neglect of teenagers across six local areas and",
        "found that older children were often treated as if they were adults. Their",
        "risk-taking was read as a lifestyle choice rather than as a sign of harm, and",
        "referrals about them were closed sooner than referrals about younger children.",
    ],
    [
        "Transitions",
        "Young people moving between schools lost the trusted adults who knew them,",
        "and their records arrived late or not at all.",
    ],
]


@pytest.fixture
def searcher(
    tmp_path: Path,
    make_pdf: MakePdf,
    review_pages: list[list[str]],
    edge_store: EdgeStore,
    hash_embedder: HashEmbedder,
    settings: Settings,
) -> Searcher:
    folder = tmp_path / "corpus"
    make_pdf(review_pages, "review-q.pdf", folder=folder, header="Child Q review")
    make_pdf(OTHER_PAGES, "teenagers.pdf", folder=folder)
    report = Ingestor(edge_store, hash_embedder, settings.ingest, settings.parse).run([folder])
    assert sorted(Path(p).name for p in report.added) == ["review-q.pdf", "teenagers.pdf"]
    return Searcher(edge_store, hash_embedder, settings.search)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "sparse"])
def test_finds_the_right_passage(searcher: Searcher, mode: str) -> None:
    hits = searcher.search("zebra-striped blanket in the cot", mode=mode)
    assert hits
    top = hits[0]
    assert "zebra-striped blanket" in top.chunk.text
    assert top.document.file == "review-q.pdf"


def test_hit_carries_document_page_and_heading(searcher: Searcher) -> None:
    top = searcher.search("zebra-striped blanket in the cot")[0]
    assert top.document.title == "review-q"
    assert (top.chunk.page_start, top.chunk.page_end) == (3, 3)
    assert top.chunk.heading == "4 Recommendations"
    assert "p. 3" in top.citation()
    assert "4 Recommendations" in top.citation()

    teen = searcher.search("young people moving between schools lost trusted adults")[0]
    assert teen.document.file == "teenagers.pdf"
    assert teen.chunk.page_start == 2
    assert teen.chunk.heading == "Transitions"


def test_hit_to_dict_shape(searcher: Searcher) -> None:
    hits = searcher.search("health visitor saw the baby")
    assert hits
    for hit in hits:
        d = hit.to_dict()
        assert set(d) >= HIT_KEYS
        assert isinstance(d["doc"], str) and d["doc"].endswith(".pdf")
        assert isinstance(d["page_start"], int) and d["page_start"] <= d["page_end"]
        assert isinstance(d["score"], float)
        assert d["text"] == hit.chunk.text
        assert d["doc_type"] == "other"
        assert d["year"] is None
    assert hits[0].to_dict()["page_start"] == 2


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_returns_nothing(searcher: Searcher, query: str) -> None:
    assert searcher.search(query) == []


def test_top_k(searcher: Searcher) -> None:
    assert len(searcher.search("the", mode="dense", top_k=1)) == 1
    assert len(searcher.search("the family and the children", mode="dense", top_k=50)) == (
        searcher.count()
    )


def test_filters_pass_through(searcher: Searcher) -> None:
    only = Filters(files=("teenagers.pdf",))
    hits = searcher.search("zebra-striped blanket in the cot", filters=only)
    assert hits and {h.document.file for h in hits} == {"teenagers.pdf"}
    assert searcher.search("zebra", filters=Filters(doc_types=("local_review",))) == []
    assert searcher.search("zebra", filters=Filters(year_from=2000)) == []
    assert searcher.count(only) < searcher.count()
    assert searcher.count(Filters(doc_types=("other",))) == searcher.count()


def _counting(embedder: HashEmbedder, calls: list[int]):  # type: ignore[no-untyped-def]
    def embed(texts):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return embedder.embed_documents(texts)

    return embed


def test_stored_sentence_vectors_spare_the_model(
    searcher: Searcher, hash_embedder: HashEmbedder, settings: Settings
) -> None:
    calls: list[int] = []
    s = Searcher(
        searcher.store, hash_embedder, settings.search,
        embed_sentences=_counting(hash_embedder, calls),
    )
    result = s.run("zebra-striped blanket in the cot")
    assert "zebra-striped blanket" in result.hits[0].chunk.text
    assert result.best_similarity > 0
    assert calls == []  # every sentence score came from the store
    # The scored passages' sentences are handed on with their own vectors, one
    # row per sentence span, for the answer to reuse.
    top = sentence_texts(result.hits[0].chunk.text)
    rows = result.sentence_vectors[result.hits[0].chunk.chunk_id]
    assert len(rows) == len(top)
    assert np.allclose(rows[0], hash_embedder.embed_query(top[0]), atol=1e-3)


def test_index_without_sentence_vectors_embeds_every_sentence(
    tmp_path: Path,
    make_pdf: MakePdf,
    review_pages: list[list[str]],
    hash_embedder: HashEmbedder,
    settings: Settings,
) -> None:
    """An index built before sentence vectors were stored still re-ranks."""
    make_pdf(review_pages, "review-q.pdf", folder=tmp_path / "corpus")
    new = EdgeStore(tmp_path / "new", hash_embedder.dim)
    Ingestor(new, hash_embedder, settings.ingest, settings.parse).run([tmp_path / "corpus"])
    old = EdgeStore(tmp_path / "old", hash_embedder.dim)
    for doc in new.documents():
        chunks = new.chunks_of(doc.doc_id)
        texts = [c.text for c in chunks]
        bm25 = Bm25Encoder()
        dense, sparse = hash_embedder.embed_documents(texts), [bm25.document(t) for t in texts]
        old.upsert_chunks(EmbeddedChunks(doc, chunks, dense, sparse))
        old.put_document(doc)
    calls: list[int] = []
    s = Searcher(
        old, hash_embedder, settings.search, embed_sentences=_counting(hash_embedder, calls)
    )
    result = s.run("zebra-striped blanket in the cot")
    assert "zebra-striped blanket" in result.hits[0].chunk.text
    assert result.best_similarity > 0
    assert sum(calls) > sum("sentence_similarity" in h.extra for h in result.hits)


def test_a_time_limit_question_needs_a_passage_stating_a_time(
    tmp_path: Path, make_pdf: MakePdf, hash_embedder: HashEmbedder, settings: Settings
) -> None:
    untimed = [["Referrals", "The school nurse made a referral to children's social care."]]
    timed = [["Referrals", "A referral to children's social care is made within one working day."]]
    question = "How quickly must a referral to children's social care be made?"
    lenient = settings.with_(no_match_below=0.0)  # only the answer-type check can say no
    verdicts = {}
    for name, pages in (("untimed", untimed), ("timed", timed)):
        make_pdf(pages, f"{name}.pdf", folder=tmp_path / name)
        store = EdgeStore(tmp_path / f"store-{name}", hash_embedder.dim)
        Ingestor(store, hash_embedder, lenient.ingest, lenient.parse).run([tmp_path / name])
        searcher = Searcher(store, hash_embedder, lenient.search)
        result = searcher.run(question)
        assert result.hits and "referral" in result.hits[0].chunk.text
        verdicts[name] = result.no_match
        assert result.no_match_reason == (NO_TIME_STATED if result.no_match else "")
        # A question that asks for no time is answered from the same passages.
        assert not searcher.run("Who made a referral to children's social care?").no_match
        store.close()
    assert verdicts == {"untimed": True, "timed": False}


def test_a_broad_question_spreads_by_cap_or_by_penalty(
    searcher: Searcher, settings: Settings
) -> None:
    """The default caps a broad question's top passages at one per document; a
    penalty of 1 (``per_document_decay``) leaves the rank order as it was, like
    a cap no document reaches when every document is given places (floor 0)."""
    question = "what have reviews found about neglect of children"

    def files(**changed: object) -> list[str]:
        own = Searcher(searcher.store, searcher.embedder, replace(settings.search, **changed))
        result = own.run(question, top_k=10)
        assert result.form == "broad"
        return [h.document.file for h in result.hits]

    capped = files()
    assert len(set(capped[:2])) == 2
    assert files(per_document_decay=1.0) == files(per_document=100, spread_floor=0.0)
    assert files(per_document_decay=1e-6)[:2] == capped[:2]


def test_a_broad_question_gives_no_place_to_a_document_far_weaker_than_the_best(
    searcher: Searcher, settings: Settings
) -> None:
    """With the floor at 1, only the best document is given a place (here its
    passage ranks first anyway): the rest of the top passages follow the rank
    order, as with no spreading at all."""
    question = "what have reviews found about neglect of children"

    def files(**changed: object) -> list[str]:
        own = Searcher(searcher.store, searcher.embedder, replace(settings.search, **changed))
        return [h.document.file for h in own.run(question, top_k=10).hits]

    unspread = files(per_document=100, spread_floor=0.0)
    assert files(spread_floor=1.0) == unspread
    assert files(spread_floor=0.0) == files(spread_floor=1e-9)


def test_the_question_and_its_expansion_embedded_together_give_the_same_result(
    searcher: Searcher, hash_embedder: HashEmbedder, settings: Settings
) -> None:
    """``together`` (the pool's choice when searches overlap) is one model call, not two."""
    batched = BatchingEmbedder(hash_embedder, workers=2)
    s = Searcher(searcher.store, batched, settings.search)
    question = "what did the LADO do about domestic abuse and the voice of the child"
    assert s.glossary is not None and s.glossary.expand(question).added  # an expansion to embed
    before = batched.calls
    apart = s.run(question)
    calls_apart, before = batched.calls - before, batched.calls
    joined = s.run(question, together=True)
    # The same later calls (the unknown-term check's), one fewer for the question.
    assert batched.calls - before == calls_apart - 1
    assert [h.chunk.chunk_id for h in joined.hits] == [h.chunk.chunk_id for h in apart.hits]
    assert joined.best_similarity == pytest.approx(apart.best_similarity, abs=1e-6)
