"""kb.retrieve.coverage: a question turning on a term the library does not know gets no match."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from conftest import MakePdf
from kb.config import SearchSettings, Settings
from kb.embed.bm25 import Bm25Encoder
from kb.embed.hashing import HashEmbedder
from kb.ingest.run import Ingestor
from kb.records import Filters
from kb.retrieve.coverage import (
    Evidence,
    absent,
    focal,
    question_terms,
    rare_terms,
    uncovered,
    unknown_focal_terms,
    unknown_reason,
    without,
)
from kb.retrieve.search import Searcher
from kb.store.edge import EdgeStore


@pytest.fixture(scope="module")
def bm25() -> Bm25Encoder:
    return Bm25Encoder()


@pytest.fixture
def lenient_library(
    tmp_path: Path,
    make_pdf: MakePdf,
    review_pages: list[list[str]],
    hash_embedder: HashEmbedder,
    settings: Settings,
) -> Iterator[tuple[EdgeStore, Settings]]:
    """The review PDF indexed with the similarity rule off, so that only the other
    checks can say no; yields the store and those settings."""
    make_pdf(review_pages, "review-q.pdf", folder=tmp_path / "corpus")
    lenient = settings.with_(no_match_below=0.0)
    store = EdgeStore(tmp_path / "store", hash_embedder.dim)
    Ingestor(store, hash_embedder, lenient.ingest, lenient.parse).run([tmp_path / "corpus"])
    yield store, lenient
    store.close()


def test_question_terms_are_the_indexed_words_once(bm25: Bm25Encoder) -> None:
    terms = question_terms("What have reviews found about dogs, and about dogs?", bm25)
    assert [t.word for t in terms] == ["reviews", "found", "dogs"]
    assert (
        without("What have reviews found about dogs?", terms[2:])
        == "What have reviews found about ?"
    )


def test_unknown_is_absent_from_the_top_and_rare(bm25: Bm25Encoder) -> None:
    terms = question_terms("neglect scottish hearings dogs", bm25)
    tokens = {t.word: t.tokens[0] for t in terms}
    passages = {tokens["neglect"]: 40, tokens["scottish"]: 1, tokens["hearings"]: 1}
    counted: list[int] = []

    def count(found: list[int], limit: int) -> int:
        counted.extend(found)
        return min(passages.get(found[0], 0), limit)

    # "hearings" is rare but in a top passage; "scottish" is rare and is not.
    candidates = absent(terms, {tokens["neglect"], tokens["hearings"]})
    assert [t.word for t in candidates] == ["scottish", "dogs"]
    assert [t.word for t in rare_terms(candidates, count, rare=2)] == ["scottish", "dogs"]
    # A term a top passage uses is never counted: for a common term that is one
    # BM25 search over all its passages, the slowest part of a question at 1M.
    assert tokens["neglect"] not in counted and tokens["hearings"] not in counted
    # In a library where two passages are common, only the absent term is unknown.
    assert [t.word for t in rare_terms(candidates, count, rare=0)] == ["dogs"]


def _unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_focal_uncovered_terms_make_no_match(bm25: Bm25Encoder) -> None:
    question = "injuries from dogs and from kids"
    terms = question_terms(question, bm25)
    unknown = [t for t in terms if t.word in ("dogs", "kids")]
    vectors = {
        "dogs": _unit(0, 0, 1),  # unlike any top sentence
        "kids": _unit(1, 0.2, 0),  # close to one: said in other words ("children")
        question: _unit(1, 1, 1),
        "injuries from and from kids": _unit(1, 1, 0.1),
        "injuries from dogs and from": _unit(1, 1, 1),
    }

    def embed(texts: Sequence[str]) -> np.ndarray:
        return np.stack([vectors.get(t, _unit(1, 1, 0.1)) for t in texts])

    top = np.stack([_unit(1, 0, 0), _unit(0, 1, 0)])
    settings = SearchSettings(unknown_cover=0.5, unknown_focal=0.1)
    left = uncovered(unknown, top, embed, settings)
    assert [t.word for t in left] == ["dogs"]
    found = focal(question, vectors[question], left, embed, settings)
    assert [t.word for t in found] == ["dogs"]
    assert "\u201cdogs\u201d" in unknown_reason(found)
    # Not focal enough: dropping the term leaves the question where it was.
    lenient = SearchSettings(unknown_cover=0.5, unknown_focal=0.9)
    assert focal(question, vectors[question], left, embed, lenient) == []
    assert focal(question, vectors[question], [], embed, settings) == []
    assert uncovered([], top, embed, settings) == []


def test_search_says_no_match_for_a_term_the_library_never_uses(
    lenient_library: tuple[EdgeStore, Settings], hash_embedder: HashEmbedder
) -> None:
    store, lenient = lenient_library
    searcher = Searcher(store, hash_embedder, lenient.search)
    known = searcher.run("zebra blanket")
    assert not known.no_match and known.no_match_reason == ""
    # (The hashing embedder's vectors are bags of words: a short question, so
    # that dropping one word moves it as far as a focal term moves a real one.)
    unknown = searcher.run("zebra wigwam")
    assert unknown.hits and unknown.no_match
    assert unknown.no_match_reason == unknown_reason(question_terms("wigwam", Bm25Encoder()))
    # The same question where dropping the term would have to move it further.
    tolerant = Searcher(store, hash_embedder, lenient.with_(unknown_focal=1.1).search)
    assert not tolerant.run("zebra wigwam").no_match
    # ``search`` (hits only, e.g. for precedents) skips the check; the hits are the same.
    hits = searcher.search("zebra wigwam")
    assert [h.chunk.chunk_id for h in hits] == [h.chunk.chunk_id for h in unknown.hits]
    # Single-retriever modes are for diagnosis and keep the similarity rule alone.
    assert not searcher.run("zebra wigwam", mode="dense").no_match


def test_both_orders_of_the_checks_decide_alike(
    lenient_library: tuple[EdgeStore, Settings], hash_embedder: HashEmbedder, bm25: Bm25Encoder
) -> None:
    # A large library counts only the terms the top sentences leave uncovered;
    # a small one embeds only the rare terms. The verdicts must not differ.
    store, lenient = lenient_library
    embed = hash_embedder.embed_documents
    searcher = Searcher(store, hash_embedder, lenient.search)
    reasons, gaps = [], []
    # Words from different pages, so that one of them is absent from the one
    # top passage and only its count (it is in the library) says it is known.
    for question in ("zebra wigwam", "zebra convictions", "wigwam igloo", "neglect"):
        top = searcher.run(question, judge_terms=False).hits[:1]
        evidence = Evidence(
            question,
            hash_embedder.embed_query(question),
            [h.chunk.text for h in top],
            hash_embedder.embed_documents([h.chunk.text for h in top]),
            store,
            Filters(),
        )
        held = {t for h in top for t in bm25.document(h.chunk.text)[0]}
        gaps.append(len(absent(question_terms(question, bm25), held)))
        pair = [
            unknown_focal_terms(evidence, bm25, embed, lenient.search, count_last_from=limit)
            for limit in (10**9, 0)  # count first, then count last
        ]
        assert pair[0] == pair[1], question
        reasons.append(pair[0])
    assert reasons[0] and not reasons[1]  # the test sees both verdicts
    assert gaps[1] == 1  # and a known word that only its count vouches for
