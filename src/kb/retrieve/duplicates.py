"""Near-identical passages from different files, shown once.

An excerpt uploaded beside its source, a re-published edition or the same
report under two names would otherwise fill two places of the top passages
with one text, and push a different source out. Each group of near-identical
passages keeps one member at the group's best rank: the copy from the larger
document (the original rather than an excerpt of it; a hit carries no page
count, so the copy that sits deeper into its document, by page then passage
number, stands for the larger one), the others are listed
under it as "also in" (``Hit.extra["also_in"]``) and leave the ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TypeVar

from kb.store.contract import StoredHit
from kb.text.terms import words

T = TypeVar("T")

# Share of distinct words two passages must share (Jaccard) to count as one
# text; overlapping chunks of one report stay well below this, an excerpt of it
# (cut at other sentence boundaries) stays above.
SAME_TEXT = 0.8
# Passages shorter than this (in distinct words) are headings or table cells:
# two of them agreeing says nothing about the documents.
MIN_WORDS = 12


@lru_cache(maxsize=4096)  # the same passages come back question after question
def _bag(text: str) -> frozenset[str]:
    return frozenset(m.group(0).lower() for m in words(text))


def _same(a: frozenset[str], b: frozenset[str]) -> bool:
    small, large = sorted((len(a), len(b)))
    # Jaccard is at most small / large: most pairs are settled without a set operation.
    if small < MIN_WORDS or small < SAME_TEXT * large:
        return False
    return len(a & b) / len(a | b) >= SAME_TEXT


def _depth(s: StoredHit) -> tuple[int, int]:
    return (s.chunk.page_end, s.chunk.index)


def collapse(
    ranked: Sequence[tuple[StoredHit, T]], depth: int
) -> tuple[list[tuple[StoredHit, T]], dict[str, list[StoredHit]]]:
    """``ranked`` with each near-duplicate among its first ``depth`` removed,
    and, by the chunk id of the copy kept, the copies it stands for.

    The copy kept is the one deepest into its document (the original, not an
    excerpt of it; then the better ranked); it takes the best rank of its
    group, so a duplicate never takes the place of a different source and never
    loses its source a place either.
    """
    head = list(ranked[:depth])
    bags = [_bag(s.chunk.text) for s, _ in head]
    group_of = list(range(len(head)))
    for i in range(len(head)):
        if group_of[i] != i:
            continue
        for j in range(i + 1, len(head)):
            same_doc = head[i][0].document.doc_id == head[j][0].document.doc_id
            if group_of[j] == j and not same_doc and _same(bags[i], bags[j]):
                group_of[j] = i
    out: list[tuple[StoredHit, T]] = []
    also: dict[str, list[StoredHit]] = {}
    for i in range(len(head)):
        if group_of[i] != i:
            continue
        members = [k for k in range(len(head)) if group_of[k] == i]
        keep = max(members, key=lambda k: (_depth(head[k][0]), -k))
        out.append((head[keep][0], head[i][1]))
        others = [head[k][0] for k in members if k != keep]
        if others:
            also[head[keep][0].chunk.chunk_id] = others
    return out + list(ranked[depth:]), also


def also_in(copies: Sequence[StoredHit]) -> list[dict[str, object]]:
    """The "also in" entries a kept passage carries: where each copy is."""
    return [
        {
            "doc": s.document.file,
            "page_start": s.chunk.page_start,
            "page_end": s.chunk.page_end,
            "chunk_id": s.chunk.chunk_id,
        }
        for s in copies
    ]
