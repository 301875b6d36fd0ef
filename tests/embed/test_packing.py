"""Packed rows on hand-made inputs: segments, positions, and pooling."""

from __future__ import annotations

import numpy as np

from kb.embed.packing import pack_rows, pool_row, segment_ids, segments


def test_segments_cover_the_text_with_spans_in_order() -> None:
    text = "Title | 3 Findings\nOne two. Three four.  "
    spans = [(19, 27), (28, 40)]
    assert segments(text, spans) == [(0, 19, False), (19, 27, True), (28, 40, True)]
    # Words outside every span still count for the passage, as their own segment.
    assert segments("ab. cd", [(0, 3)]) == [(0, 3, True), (3, 6, False)]
    # No spans: the whole text is one segment; nothing at all is still one.
    assert segments("just a heading", []) == [(0, 14, False)]
    assert segments("", []) == [(0, 0, False)]


def test_pack_rows_restarts_positions_per_segment() -> None:
    ids, positions, segment = pack_rows([[[101, 7, 102], [101, 8, 9, 102]], [[101, 5, 102]]])
    assert ids.tolist() == [[101, 7, 102, 101, 8, 9, 102], [101, 5, 102, 0, 0, 0, 0]]
    assert positions.tolist() == [[0, 1, 2, 0, 1, 2, 3], [0, 1, 2, 0, 0, 0, 0]]
    assert segment.tolist() == [[0, 0, 0, 1, 1, 1, 1], [0, 0, 0, -1, -1, -1, -1]]


class _Encoding:
    def __init__(self, ids: list[int]) -> None:
        self.ids = ids


class _Tokenizer:
    """One id per word: the word's length (enough to see what was tokenized)."""

    def encode_batch(self, texts: list[str], add_special_tokens: bool = True) -> list[_Encoding]:
        assert not add_special_tokens
        return [_Encoding([len(w) for w in t.split()]) for t in texts]


def test_segment_ids_frame_each_segment_and_cap_it() -> None:
    texts = ["Head\nab cde. f", "one two three four"]
    rows = [segments(texts[0], [(5, 12), (13, 14)]), segments(texts[1], [])]
    got = segment_ids(_Tokenizer(), texts, rows, cls=101, sep=102, limit=3)
    assert got == [[[101, 4, 102], [101, 2, 4, 102], [101, 1, 102]], [[101, 3, 3, 5, 102]]]


def test_pool_row_means_tokens_per_segment_and_over_the_row() -> None:
    hidden = np.array([[1, 0], [3, 0], [0, 2], [0, 4], [9, 9]], dtype=np.float32)
    segment = np.array([0, 0, 1, 1, -1])  # the last token is padding
    row = [(0, 4, False), (5, 9, True)]  # a header, then one sentence span
    passage, own = pool_row(hidden, segment, row)
    assert np.allclose(passage, [1.0, 1.5])  # every real token, padding left out
    assert own.shape == (1, 2)  # only the span has a vector of its own
    assert np.allclose(own[0], [0.0, 1.0])
