"""Ingest's packed pass, without a runtime: segments, packed rows and their pooling.

A passage is cut into segments (the context header, each sentence span, any
other text) and the segments are packed into one row whose attention is
block-diagonal and whose positions restart at every segment, so one forward
pass gives the passage vector and each sentence's own vector. The torch
encoder (``kb.embed.minilm``) and the ONNX one (``kb.embed.onnx_encoder``) run
the same rows through their model; this module makes the rows and pools the
model's output, in numpy, so both give the same vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kb.embed.contract import Span

Segment = tuple[int, int, bool]  # start, end, is a sentence span


def segments(text: str, spans: Sequence[Span]) -> list[Segment]:
    """``text`` cut into (start, end, is_span): the spans in order, plus any
    stretch between them that holds more than white space (the context header
    before the first span, a stray mark). Together they cover all of the text,
    so the passage vector still sees every word."""
    out: list[Segment] = []
    at = 0
    for a, b in sorted(spans):
        if a > at and text[at:a].strip():
            out.append((at, a, False))
        out.append((a, b, True))
        at = max(at, b)
    if text[at:].strip() or not out:
        out.append((at, len(text), False))
    return out


def segment_ids(
    tokenizer: Any,
    texts: Sequence[str],
    rows: Sequence[Sequence[Segment]],
    *,
    cls: int,
    sep: int,
    limit: int,
) -> list[list[list[int]]]:
    """Each text's segments as ``[CLS] ids [SEP]`` lists, tokenized in one batch
    by ``tokenizer`` (a ``tokenizers.Tokenizer`` with truncation and padding off).

    kb's chunker never makes a segment longer than the window; ``limit`` (the
    window less the two special tokens) only keeps a foreign caller's text
    inside the position table."""
    flat = [text[a:b].strip() for text, row in zip(texts, rows, strict=True) for a, b, _ in row]
    encodings = tokenizer.encode_batch(flat, add_special_tokens=False)
    ids = [[cls, *e.ids[:limit], sep] for e in encodings]
    out: list[list[list[int]]] = []
    at = 0
    for row in rows:
        out.append(ids[at : at + len(row)])
        at += len(row)
    return out


def pack_rows(rows: Sequence[Sequence[Sequence[int]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token ids, position ids and segment numbers for a batch of packed rows.

    Each row is a list of segments (token id lists). Positions restart at 0
    for every segment, as if each were a text of its own; padding gets token
    and position 0 and segment -1.
    """
    width = max((sum(len(s) for s in row) for row in rows), default=0)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    positions = np.zeros((len(rows), width), dtype=np.int64)
    segment = np.full((len(rows), width), -1, dtype=np.int64)
    for r, row in enumerate(rows):
        at = 0
        for k, seq in enumerate(row):
            n = len(seq)
            ids[r, at : at + n] = seq
            positions[r, at : at + n] = np.arange(n)
            segment[r, at : at + n] = k
            at += n
    return ids, positions, segment


def pool_row(
    hidden: np.ndarray, segment: np.ndarray, row: Sequence[Segment]
) -> tuple[np.ndarray, np.ndarray]:
    """One packed row's passage vector (the mean of all its tokens, not unit
    length yet) and its spans' own vectors (each segment's mean, unit length).

    ``hidden``: the row's token vectors (tokens x dim); ``segment``: its
    segment numbers, -1 for padding."""
    member = (segment[None, :] == np.arange(len(row))[:, None]).astype(np.float32)
    sums = member @ hidden.astype(np.float32)
    counts = member.sum(axis=1, keepdims=True)
    passage = sums.sum(axis=0) / max(float(counts.sum()), 1.0)
    is_span = [kind for _, _, kind in row]
    return passage, unit((sums / np.maximum(counts, 1.0))[is_span])


def unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
