"""Embedders: span pooling on hand-made token vectors, and on the real model."""

from __future__ import annotations

import numpy as np
import pytest

from kb.embed import HashEmbedder, MiniLMEmbedder, pool_spans
from kb.rank import sentence_spans


def test_pool_spans_means_the_tokens_starting_inside_each_span() -> None:
    # Text "ab cd": [CLS] "ab" "cd" [SEP], one-hot token vectors.
    tokens = np.eye(4, dtype=np.float32)
    offsets = [(0, 0), (0, 2), (3, 5), (0, 0)]
    special = [1, 0, 0, 1]
    fallback = np.full(4, 0.5, dtype=np.float32)
    rows = pool_spans(tokens, offsets, special, [(0, 2), (3, 5), (0, 5)], 0, fallback)
    assert np.allclose(rows[0], [0, 1, 0, 0])  # special tokens never count
    assert np.allclose(rows[1], [0, 0, 1, 0])
    assert np.allclose(rows[2], [0, 1 / np.sqrt(2), 1 / np.sqrt(2), 0])


def test_pool_spans_shift_and_fallback() -> None:
    tokens = np.eye(3, dtype=np.float32)
    offsets = [(0, 0), (0, 2), (0, 0)]
    fallback = np.array([1.0, 0, 0], dtype=np.float32)
    # The text had two leading spaces that the tokenizer never saw.
    rows = pool_spans(tokens, offsets, [1, 0, 1], [(2, 4), (10, 12)], 2, fallback)
    assert np.allclose(rows[0], [0, 1, 0])
    assert np.allclose(rows[1], fallback)  # nothing of the span survived truncation
    assert pool_spans(tokens, offsets, [1, 0, 1], [], 0, fallback).shape == (0, 3)


def test_hash_embedder_pools_span_text() -> None:
    e = HashEmbedder()
    dense, pooled = e.embed_passages(["one two. three four"], [[(0, 8), (9, 19)]])
    assert np.allclose(dense[0], e.embed_query("one two. three four"))
    assert np.allclose(pooled[0][1], e.embed_query("three four"))


def test_embed_passages_spans_must_match_texts() -> None:
    with pytest.raises(ValueError):
        HashEmbedder().embed_passages(["a", "b"], [[(0, 1)]])


@pytest.mark.slow
def test_real_pooled_sentences_point_at_their_own_sentence(real_embedder: MiniLMEmbedder) -> None:
    header = "Child A: local review | 3 Findings"
    passage = (
        "  The health visitor saw the baby four times at home.\n"
        "Housing moved the family to a hostel in another borough. "
        "The school did not know that the older brother had stopped attending."
    )
    text = f"{header}\n{passage}"
    spans = [(a + len(header) + 1, b + len(header) + 1) for a, b in sentence_spans(passage)]
    dense, pooled = real_embedder.embed_passages([text], [spans])
    # The passage vector is the one embed_documents gives.
    assert float(dense[0] @ real_embedder.embed_documents([text])[0]) > 0.999
    rows = pooled[0]
    assert rows.shape == (3, real_embedder.dim)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)
    own = real_embedder.embed_documents([text[a:b] for a, b in spans])
    sims = rows @ own.T
    # Each pooled sentence is nearest its own sentence embedded alone.
    assert list(sims.argmax(axis=1)) == [0, 1, 2]
