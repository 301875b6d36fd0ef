"""kb.retrieve.rank: fusion, expansion weights, sentence matching and page repeats, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from kb.retrieve.rank import (
    best_match,
    demote_repeated_pages,
    expanded_query_terms,
    ordered,
    weighted_rrf,
)
from kb.text.sentences import sentence_spans, sentence_texts

# --------------------------------------------------------------------------- fusion


def test_rrf_sums_reciprocal_ranks() -> None:
    scores = weighted_rrf([["a", "b"], ["b", "c"]], [1.0, 1.0], k=10)
    assert scores["a"] == pytest.approx(1 / 11)
    assert scores["b"] == pytest.approx(1 / 12 + 1 / 11)
    assert scores["c"] == pytest.approx(1 / 12)
    assert ordered(scores) == ["b", "a", "c"]


def test_rrf_weights_tilt_the_order() -> None:
    dense, terms = ["d1", "t1"], ["t1", "d1"]
    assert ordered(weighted_rrf([dense, ["x", "y"]], [1.0, 1.0], k=20))[0] == "d1"
    # Same ranks, ties broken by weight: the weighted list's top wins.
    assert ordered(weighted_rrf([dense, terms], [1.0, 2.0], k=20))[0] == "t1"
    assert ordered(weighted_rrf([dense, terms], [2.0, 1.0], k=20))[0] == "d1"


def test_rrf_small_k_trusts_list_tops_more() -> None:
    # "a" tops one list only; "b" is third in both.
    lists = [["a", "x", "b"], ["c", "y", "b"]]
    assert ordered(weighted_rrf(lists, [1.0, 1.0], k=0.5))[0] == "a"
    assert ordered(weighted_rrf(lists, [1.0, 1.0], k=100))[0] == "b"


def test_rrf_needs_one_weight_per_list() -> None:
    with pytest.raises(ValueError):
        weighted_rrf([["a"], ["b"]], [1.0], k=10)


def test_ordered_is_stable_on_ties() -> None:
    assert ordered({"x": 1.0, "y": 2.0, "z": 1.0}) == ["y", "x", "z"]


# --------------------------------------------------------------------------- expansion


def test_expansion_terms_are_added_at_lower_weight() -> None:
    typed = ([1, 2], [1.0, 1.0])
    added = ([2, 3, 4], [1.0, 1.0, 1.0])
    assert expanded_query_terms(typed, added, 0.5) == ([1, 2, 3, 4], [1.0, 1.0, 0.5, 0.5])


def test_typed_terms_keep_their_weight_and_zero_weight_adds_nothing() -> None:
    typed = ([7], [1.0])
    assert expanded_query_terms(typed, ([7], [1.0]), 0.5) == ([7], [1.0])
    assert expanded_query_terms(typed, ([8], [1.0]), 0.0) == ([7], [1.0])
    assert expanded_query_terms(([], []), ([8], [1.0]), 0.25) == ([8], [0.25])


# --------------------------------------------------------------------------- sentences


def test_sentence_texts_split_and_normalise_whitespace() -> None:
    text = "The nurse visited twice.\nShe saw no concerns at all.   The home was cold today."
    assert sentence_texts(text) == (
        "The nurse visited twice.",
        "She saw no concerns at all.",
        "The home was cold today.",
    )


def test_short_fragments_join_a_neighbour() -> None:
    assert sentence_texts("See 4.2. The review found the plan drifted for months.") == (
        "See 4.2. The review found the plan drifted for months.",
    )
    assert sentence_texts("The review found the plan drifted. Yes.") == (
        "The review found the plan drifted. Yes.",
    )
    assert sentence_texts("Summary") == ("Summary",)
    assert sentence_texts("  \n ") == ()


def test_text_without_breaks_is_one_sentence() -> None:
    text = "a list of words without any full stop " * 3
    assert sentence_texts(text) == (" ".join(text.split()),)


def test_best_match_takes_the_highest_cosine_over_queries_and_sentences() -> None:
    e = np.eye(3, dtype=np.float32)
    sentences = np.stack([e[0], (e[1] + e[2]) / np.sqrt(2)])
    assert best_match(e[1], sentences) == pytest.approx(1 / np.sqrt(2))
    assert best_match(np.stack([e[1], e[0]]), sentences) == pytest.approx(1.0)
    assert best_match(e[0], np.zeros((0, 3), dtype=np.float32)) == 0.0


# --------------------------------------------------------------------------- pages


def test_repeated_pages_move_below_new_ones() -> None:
    pages = {
        "a": [("d1", 3)],
        "b": [("d1", 3)],  # same page as a
        "c": [("d1", 3), ("d1", 4)],  # brings page 4
        "d": [("d2", 3)],  # same number, other document
        "e": [("d1", 4)],  # page 4 already brought by c
    }
    assert demote_repeated_pages(list("abcde"), lambda k: pages[k]) == list("acdbe")


def test_demotion_keeps_order_when_every_page_is_new() -> None:
    items = [("a", 1), ("a", 2), ("b", 1)]
    assert demote_repeated_pages(items, lambda item: [item]) == items


# --------------------------------------------------------------------------- in the searcher


@pytest.fixture
def searcher(tmp_path, make_pdf, edge_store, hash_embedder, settings):  # type: ignore[no-untyped-def]
    from kb.ingest.run import Ingestor
    from kb.retrieve.search import Searcher

    folder = tmp_path / "corpus"
    make_pdf(
        [
            "The child death overview panel should cover a population of at least 500,000 "
            "people.\n\nPanels may merge across neighbouring areas to reach that size.",
            "Strategy meetings decide whether the threshold for a section 47 enquiry is met.",
        ],
        "guidance.pdf",
        folder=folder,
    )
    Ingestor(edge_store, hash_embedder, settings.ingest, settings.parse).run([folder])
    return Searcher(edge_store, hash_embedder, settings.search)


def test_glossary_expansion_reaches_the_long_form(searcher) -> None:  # type: ignore[no-untyped-def]
    question = "How big should a CDOP be?"
    # BM25 on the words as typed knows no "CDOP"; the expansion adds the panel's name.
    as_typed = searcher.search(question, mode="sparse")
    assert all("overview panel" not in h.chunk.text for h in as_typed)
    assert "overview panel" in searcher.search(question)[0].chunk.text


def test_no_match_follows_the_best_sentence(searcher) -> None:  # type: ignore[no-untyped-def]
    close = searcher.run("Panels may merge across neighbouring areas to reach that size.")
    assert not close.no_match and close.best_similarity > 0.9
    assert close.hits[0].to_dict()["sentence_similarity"] == pytest.approx(
        close.best_similarity, abs=1e-3
    )
    far = searcher.run("zxq vortex banana passport")
    assert far.no_match and far.best_similarity < searcher.settings.no_match_below


def test_unknown_mode_is_a_usage_error(searcher) -> None:  # type: ignore[no-untyped-def]
    from kb.errors import UsageError

    with pytest.raises(UsageError):
        searcher.run("panel", mode="fuzzy")


def test_sentence_spans_index_the_raw_text() -> None:
    text = "The plan drifted.\nNobody  chaired the meeting for months. Yes.\n"
    spans = sentence_spans(text)
    assert [" ".join(text[a:b].split()) for a, b in spans] == list(sentence_texts(text))
    # Both short fragments join a neighbour: one span, from the first word to the last.
    assert spans == [(0, len(text.rstrip()))]
    text = "The review found the plan drifted for months.\n\nThe GP was not told of the move."
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == [
        "The review found the plan drifted for months.",
        "The GP was not told of the move.",
    ]
    assert sentence_spans("   ") == []


def test_mostly_listing_passages_move_below_the_prose() -> None:
    from kb.records import CONTENTS, MARKER, Chunk, Mark
    from kb.retrieve.rank import demote_listings, mostly_listing

    listing = "Contents\nRapid reviews 140\nLocal reviews 143\nSee the child."
    contents = Chunk("d", 0, listing, 5, 5, marks=(Mark(0, 8, CONTENTS), Mark(9, 44, CONTENTS)))
    prose = Chunk("d", 1, "A rapid review is done within 15 working days.", 9, 9)
    marked = Chunk("d", 2, "Agencies have a duty16 to act.", 9, 9, marks=(Mark(20, 22, MARKER),))
    assert mostly_listing(contents) and not mostly_listing(prose) and not mostly_listing(marked)
    assert demote_listings([contents, prose, marked], lambda c: c) == [prose, marked, contents]
