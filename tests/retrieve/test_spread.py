"""kb.retrieve.spread: a broad question's top passages spread over the documents that address it."""

from __future__ import annotations

import numpy as np

from kb.config import SearchSettings
from kb.records import Chunk, Document
from kb.retrieve.spread import (
    addressing,
    diversify,
    document_strength,
    penalise_repeats,
    spread_order,
)
from kb.store.contract import StoredHit


def test_diversify_caps_each_document_in_the_top() -> None:
    docs = ["a", "a", "a", "b", "a", "c", "b"]
    order = diversify(docs, cap=1, top=3)
    assert [docs[i] for i in order[:3]] == ["a", "b", "c"]
    assert sorted(order) == list(range(len(docs)))  # nothing is lost, only moved


def test_diversify_gives_places_only_to_reserved_documents() -> None:
    docs = ["a", "a", "x", "b", "a", "y", "b"]
    # x and y barely touch the question: their places go to the next passages by rank.
    order = diversify(docs, cap=1, top=4, reserved={"a", "b"})
    assert order[:4] == [0, 3, 1, 2]
    assert sorted(order) == list(range(len(docs)))
    # No reservation at all is the plain cap.
    assert diversify(docs, cap=1, top=4, reserved=None) == diversify(docs, cap=1, top=4)


def test_penalise_repeats_lets_a_strong_second_passage_beat_a_weak_first_one() -> None:
    docs = ["a", "a", "b", "a", "c"]
    scores = [0.07, 0.06, 0.05, 0.04, 0.02]
    order = penalise_repeats(docs, scores, decay=0.5, top=4)
    # a's second passage (0.06 * 0.5 = 0.03) beats c's first (0.02), which a cap
    # would not allow; a's third (0.04 * 0.25 = 0.01) does not.
    assert order == [0, 2, 1, 4, 3]


def test_penalise_repeats_with_no_penalty_keeps_the_rank_order() -> None:
    # Re-ranking leaves scores out of order (a passage repeating shown pages moved
    # down): a passage is never worth more than one ranked above it.
    docs = ["a", "b", "a", "c"]
    scores = [0.07, 0.03, 0.06, 0.02]
    assert penalise_repeats(docs, scores, decay=1.0, top=4) == [0, 1, 2, 3]
    assert penalise_repeats(docs, scores, decay=0.5, top=2) == [0, 1, 2, 3]


def test_addressing_keeps_the_documents_near_the_best_one() -> None:
    strength = {"a": 0.80, "b": 0.60, "c": 0.50}
    assert addressing(strength, 0.7) == {"a", "b"}  # 0.56 is the bar
    assert addressing(strength, 0.0) is None  # the floor off: every document
    assert addressing({}, 0.7) is None  # nothing measured: every document
    # Relative, so a library on another similarity scale keeps the same documents.
    assert addressing({k: v / 2 for k, v in strength.items()}, 0.7) == {"a", "b"}


def _hit(doc: str, index: int) -> StoredHit:
    document = Document(doc_id=doc, file=f"{doc}.pdf")
    chunk = Chunk(
        doc_id=doc, index=index, text=f"passage {index}", page_start=index, page_end=index
    )
    return StoredHit(chunk=chunk, document=document, score=0.0)


def test_document_strength_is_each_documents_best_sentence() -> None:
    query = np.array([1.0, 0.0], dtype=np.float32)
    hits = [_hit("a", 1), _hit("a", 2), _hit("b", 3), _hit("c", 4)]
    vectors = {
        hits[0].chunk.chunk_id: np.array([[0.6, 0.8]], dtype=np.float32),
        hits[1].chunk.chunk_id: np.array([[0.0, 1.0], [0.9, 0.436]], dtype=np.float32),
        hits[2].chunk.chunk_id: np.array([[0.3, 0.954]], dtype=np.float32),
        # c's passage has no sentence vectors: c is not measured, so not given a place
    }
    strength = document_strength(hits, query, vectors)
    assert set(strength) == {"a", "b"}
    assert abs(strength["a"] - 0.9) < 1e-6 and abs(strength["b"] - 0.3) < 1e-6


def test_spread_order_follows_the_settings() -> None:
    ranked = [(_hit(d, i), 1.0 / (i + 1)) for i, d in enumerate(["a", "a", "x", "b", "a"])]
    strength = {"a": 0.8, "x": 0.2, "b": 0.7}
    shipped = SearchSettings()
    assert spread_order(ranked, 3, shipped, strength)[:3] == [0, 3, 1]
    no_floor = SearchSettings(spread_floor=0.0)
    assert spread_order(ranked, 3, no_floor, strength)[:3] == [0, 2, 3]
    assert spread_order(ranked, 3, shipped, {})[:3] == [0, 2, 3]
    penalty = SearchSettings(per_document_decay=1.0)
    assert spread_order(ranked, 3, penalty, strength) == [0, 1, 2, 3, 4]
