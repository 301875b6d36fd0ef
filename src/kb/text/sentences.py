"""The one sentence splitter: sentence spans of a text, as offsets into it.

Chunking, ingest's sentence vectors, search's best-sentence re-ranking,
answer extraction and case summaries all cut text here, so a sentence is the
same span everywhere: ingest stores one vector per ``sentence_spans`` span,
and search and the answer find those vectors again by the same spans.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A sentence ends at . ! or ? (after any closing quotes or brackets) followed by
# white space and something that starts a sentence: a capital, a digit, an
# opening quote or bracket, or a bullet.
_SENTENCE = re.compile(r"(?<=[.!?])['\u2019\u201d\")\]]*\s+(?=[\"'\u2018\u201c(\[]?[A-Z0-9\u2022])")
# Fewer words than this is a fragment ("See 4.2.", "Yes."): joined to a neighbour.
MIN_SENTENCE_WORDS = 4


def split_sentences(text: str, base: int = 0) -> list[tuple[int, int]]:
    """Sentence spans in ``text`` as (start, end) offsets shifted by ``base``."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE.finditer(text):
        spans.append((base + start, base + m.start()))
        start = m.end()
    if start < len(text):
        spans.append((base + start, base + len(text.rstrip())))
    return [(s, e) for s, e in spans if e > s]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of a passage as (start, end) offsets into ``text``.

    Short fragments are joined to the next sentence (or the previous one at
    the end); a passage without sentence breaks is one "sentence". The spans
    are what ingest pools sentence vectors over, so they must stay in step
    with ``sentence_texts``.
    """
    if not text.strip():
        return []
    pieces = split_sentences(text) or [(0, len(text.rstrip()))]
    out: list[tuple[int, int]] = []
    pending: int | None = None  # start of fragments waiting to be joined
    for start, end in pieces:
        first = start if pending is None else pending
        if len(text[first:end].split()) < MIN_SENTENCE_WORDS:
            pending = first
            continue
        out.append((first, end))
        pending = None
    if pending is not None:
        tail = len(text.rstrip())
        if out:
            out[-1] = (out[-1][0], tail)
        else:
            out.append((pending, tail))
    return out


@lru_cache(maxsize=4096)
def sentence_texts(text: str) -> tuple[str, ...]:
    """The sentences of a passage, as the texts to embed (whitespace normalised).

    Cached: every search splits its ~20 best passages again, and the same
    passages come back for question after question."""
    return tuple(" ".join(text[s:e].split()) for s, e in sentence_spans(text))


def sentences(text: str) -> list[str]:
    """The sentences of free text (a case summary), whitespace normalised."""
    flat = " ".join(text.split())
    return [flat[s:e].strip() for s, e in split_sentences(flat)] if flat else []
