"""Spreading a broad question's top passages over the documents that address it.

A broad question is answered by what several documents say, but the best
passages of one long report would otherwise fill the top ten. Two ways to
spread them (``SearchSettings``):

- a cap per document (``diversify``, the default: one each), given only to the
  documents that address the question: a document whose best sentence falls
  far below the best document's (``spread_floor``, a share of its cosine, so it
  holds on any library's similarity scale) gets no place of its own, and the
  places left go to the next passages by rank (docs/quality.md, 2026-12-07);
- a penalty on each further passage of a document (``penalise_repeats``,
  MMR-style), a knob that trades doc-recall for nDCG.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from kb.config import SearchSettings
from kb.retrieve.rank import best_match
from kb.store.contract import StoredHit

# How well each document addresses the question is judged on this many of the
# top passages (what a document has further down cannot earn it a place).
SPREAD_DEPTH = 60


def spread_order(
    ranked: Sequence[tuple[StoredHit, float]],
    top: int,
    settings: SearchSettings,
    strength: Mapping[str, float],
) -> list[int]:
    """An order of indices into ``ranked`` whose first ``top`` are spread over
    documents as ``settings`` say; ``strength`` is each document's best sentence
    cosine with the question (``document_strength``; empty: every document is given places)."""
    docs = [s.document.doc_id for s, _ in ranked]
    if settings.per_document_decay > 0:
        scores = [score for _, score in ranked]
        return penalise_repeats(docs, scores, decay=settings.per_document_decay, top=top)
    cap = max(settings.per_document, 1)
    return diversify(docs, cap=cap, top=top, reserved=addressing(strength, settings.spread_floor))


def document_strength(
    ranked: Sequence[StoredHit], query: np.ndarray, vectors: Mapping[str, np.ndarray]
) -> dict[str, float]:
    """Each document's best cosine between ``query`` and a sentence of its
    passages in ``ranked`` (``vectors``: sentence rows by chunk id)."""
    strength: dict[str, float] = {}
    for s in ranked:
        rows = vectors.get(s.chunk.chunk_id)
        if rows is not None and len(rows):
            doc = s.document.doc_id
            strength[doc] = max(strength.get(doc, 0.0), best_match(query, rows))
    return strength


def addressing(strength: Mapping[str, float], floor: float) -> set[str] | None:
    """The documents whose strength reaches ``floor`` times the best one's, or
    None (every document) when the floor is off or nothing was measured."""
    best = max(strength.values(), default=0.0)
    if floor <= 0 or best <= 0:
        return None
    return {doc for doc, value in strength.items() if value >= floor * best}


def diversify(
    docs: Sequence[str], *, cap: int, top: int, reserved: Collection[str] | None = None
) -> list[int]:
    """An order of indices into ``docs`` whose first ``top`` hold at most ``cap``
    passages per document (best first within each); the rest follow in rank order.

    A broad question is answered by several documents; a long report otherwise
    fills the top ten with its own passages and hides the others. With
    ``reserved``, only those documents are given places this way; places left
    over go to the next passages in rank order, whatever their document: a
    document that barely touches the question is not worth a place that a
    strong document's next passage could fill.
    """
    count: dict[str, int] = {}
    head: list[int] = []
    for i, doc in enumerate(docs):
        if len(head) >= top:
            break
        if count.get(doc, 0) < cap and (reserved is None or doc in reserved):
            head.append(i)
            count[doc] = count.get(doc, 0) + 1
    taken = set(head)
    fill = [i for i in range(len(docs)) if i not in taken][: max(top - len(head), 0)]
    taken.update(fill)
    return head + fill + [i for i in range(len(docs)) if i not in taken]


def penalise_repeats(
    docs: Sequence[str], scores: Sequence[float], *, decay: float, top: int
) -> list[int]:
    """An order of indices into ``docs`` (best first, with ``scores``) whose first
    ``top`` are chosen greedily, each further passage of a document counting
    ``decay`` times less than the one before it; the rest follow in rank order.

    An MMR-style spread: a document's second strong passage can still beat
    another document's weak first one, which a cap forbids. A passage is worth
    no more than any passage ranked above it (re-ranking moved some below
    passages that scored lower), so with ``decay`` 1 the order is unchanged.
    """
    worth: list[float] = []
    for score in scores:
        worth.append(min(score, worth[-1]) if worth else score)
    count: dict[str, int] = {}
    left = list(range(len(docs)))
    head: list[int] = []
    while left and len(head) < top:
        # max keeps the first of equal values: ties go to the better ranked.
        pick = max(left, key=lambda i: worth[i] * decay ** count.get(docs[i], 0))
        left.remove(pick)
        head.append(pick)
        count[docs[pick]] = count.get(docs[pick], 0) + 1
    return head + left
