"""Embedders: segment packing on hand-made inputs, and sentence vectors on the real model."""

from __future__ import annotations

import numpy as np
import pytest

from kb.embed.hashing import HashEmbedder
from kb.embed.minilm import MiniLMEmbedder
from kb.embed.packing import segments
from kb.text.sentences import sentence_spans


def test_hash_embedder_pools_span_text() -> None:
    e = HashEmbedder()
    dense, pooled = e.embed_passages(["one two. three four"], [[(0, 8), (9, 19)]])
    assert np.allclose(dense[0], e.embed_query("one two. three four"))
    assert np.allclose(pooled[0][1], e.embed_query("three four"))


def test_embed_passages_spans_must_match_texts() -> None:
    with pytest.raises(ValueError):
        HashEmbedder().embed_passages(["a", "b"], [[(0, 1)]])


@pytest.mark.slow
def test_real_sentence_vectors_are_the_sentences_embedded_alone(
    real_embedder: MiniLMEmbedder,
) -> None:
    header = "Child A: local review | 3 Findings"
    passage = (
        "  The health visitor saw the baby four times at home.\n"
        "Housing moved the family to a hostel in another borough. "
        "The school did not know that the older brother had stopped attending."
    )
    text = f"{header}\n{passage}"
    spans = [(a + len(header) + 1, b + len(header) + 1) for a, b in sentence_spans(passage)]
    other = "Recommendation 4: the partnership should audit referrals."
    dense, own = real_embedder.embed_passages([text, other], [spans, []])
    rows = own[0]
    assert rows.shape == (3, real_embedder.dim)
    assert own[1].shape == (0, real_embedder.dim)
    alone = real_embedder.embed_documents([text[a:b] for a, b in spans])
    assert np.allclose(np.sum(rows * alone, axis=1), 1.0, atol=2e-3)
    # A text without spans is one segment: its vector is the plain embedding.
    assert float(dense[1] @ real_embedder.embed_documents([other])[0]) > 0.998
    # The passage vector mean-pools every token of every segment (header included).
    pieces = [text[a:b].strip() for a, b, _ in segments(text, spans)]
    tokens = real_embedder._model.encode(pieces, output_value="token_embeddings")
    total = sum(t.float().sum(dim=0).numpy() for t in tokens)
    mean = total / sum(len(t) for t in tokens)
    assert float(dense[0] @ (mean / np.linalg.norm(mean))) > 0.998
