"""Precedent finder: rank documents, not passages, by how much of a case they echo.

Panel staff paste a case description of 100–300 words. It mixes several strands
(the child's age and schooling, the father's history, the missed visits, the
closed plan), so it is cut into overlapping windows of one or two sentences, each
far inside the model window, and each window runs as an ordinary hybrid search.
A passage at rank r of a window earns ``1 / (RANK_K + r)``. A document's score adds

- coverage: for each window, the evidence of the document's best passage in it,
  so a review that speaks to many strands of the case beats one that matches a
  single strand very well; and
- depth: the summed evidence of its best ``PASSAGES`` passages (the ones shown),
  so several strong passages count for more than one.

Neither term grows with the number of passages a document has beyond its best
few, so a 400-page guidance document does not win on volume.

Window size, RANK_K and the sum of the two terms were chosen on three fictional
case summaries written from three real documents (docs/quality.md, "Precedents");
sentence-sized windows were the only setting that put all three sources first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kb.records import Document, Filters, Hit
from kb.text.sentences import sentences

# Reciprocal-rank constant: small, so the first few ranks of a window dominate.
RANK_K = 10
WINDOW_TOKENS = 60  # one or two sentences: one strand of the case per window
PER_WINDOW = 40  # passages fetched per window
PASSAGES = 3  # passages per document that count towards its score and are shown


SearchFunc = Callable[[str, Filters, int], list[Hit]]
CountTokens = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class Precedent:
    """A document that dealt with the same pattern, with its best passages as evidence."""

    document: Document
    score: float
    passages: tuple[Hit, ...] = field(default_factory=tuple)
    windows_matched: int = 0  # how many windows of the case text found this document
    coverage: float = 0.0  # the part of ``score`` owed to breadth across windows

    def to_dict(self) -> dict[str, Any]:
        d = self.document
        return {
            "doc": d.file,
            "title": d.title,
            "publisher": d.publisher,
            "year": d.year,
            "doc_type": d.doc_type,
            "doc_id": d.doc_id,
            "score": round(self.score, 6),
            "windows_matched": self.windows_matched,
            "coverage": round(self.coverage, 6),
            "passages": [{**h.to_dict(), "citation": h.citation()} for h in self.passages],
        }


def case_windows(
    text: str, count_tokens: CountTokens, max_tokens: int = WINDOW_TOKENS
) -> list[str]:
    """Overlapping windows of whole sentences, each at most ``max_tokens`` model tokens.

    Consecutive windows share one sentence, so a strand that spans a sentence
    boundary is still seen whole by one window. A single sentence longer than
    the budget is cut on word boundaries.
    """
    parts: list[str] = []
    for s in sentences(text):
        parts.extend(_split_long(s, count_tokens, max_tokens))
    if not parts:
        return []
    sizes = count_tokens(parts)
    windows: list[str] = []
    start = 0
    while start < len(parts):
        end, used = start, 0
        while end < len(parts) and (end == start or used + sizes[end] <= max_tokens):
            used += sizes[end]
            end += 1
        windows.append(" ".join(parts[start:end]))
        if end >= len(parts):
            break
        # One sentence of overlap, unless it would not fit beside the next one.
        overlap = end - 1 > start and sizes[end - 1] + sizes[end] <= max_tokens
        start = end - 1 if overlap else end
    return windows


def _split_long(sentence: str, count_tokens: CountTokens, max_tokens: int) -> list[str]:
    if count_tokens([sentence])[0] <= max_tokens:
        return [sentence]
    words = sentence.split()
    out: list[str] = []
    current: list[str] = []
    for word in words:
        if current and count_tokens([" ".join([*current, word])])[0] > max_tokens:
            out.append(" ".join(current))
            current = []
        current.append(word)
    if current:
        out.append(" ".join(current))
    return out


def find_precedents(
    text: str,
    search: SearchFunc,
    count_tokens: CountTokens,
    *,
    filters: Filters | None = None,
    top_docs: int = 5,
    passages: int = PASSAGES,
    per_window: int = PER_WINDOW,
    window_tokens: int = WINDOW_TOKENS,
) -> list[Precedent]:
    """Documents ranked by aggregated passage evidence for the case in ``text``."""
    windows = case_windows(text, count_tokens, window_tokens)
    evidence: dict[str, float] = defaultdict(float)  # chunk id -> summed over windows
    coverage: dict[str, float] = defaultdict(float)  # doc id -> best passage per window
    hit_of: dict[str, Hit] = {}
    doc_windows: dict[str, int] = defaultdict(int)
    for window in windows:
        seen: set[str] = set()
        for rank, hit in enumerate(search(window, filters or Filters(), per_window), start=1):
            cid, doc_id = hit.chunk.chunk_id, hit.document.doc_id
            evidence[cid] += 1.0 / (RANK_K + rank)
            hit_of.setdefault(cid, hit)
            if doc_id not in seen:  # hits come best first
                seen.add(doc_id)
                coverage[doc_id] += 1.0 / (RANK_K + rank)
                doc_windows[doc_id] += 1

    by_doc: dict[str, list[str]] = defaultdict(list)
    for cid in sorted(evidence, key=lambda c: -evidence[c]):
        by_doc[hit_of[cid].document.doc_id].append(cid)
    ranked: list[Precedent] = []
    for doc_id, cids in by_doc.items():
        best = cids[:passages]
        depth = sum(evidence[c] for c in best)
        ranked.append(
            Precedent(
                document=hit_of[best[0]].document,
                score=coverage[doc_id] + depth,
                passages=tuple(replace(hit_of[c], score=evidence[c]) for c in best),
                windows_matched=doc_windows[doc_id],
                coverage=coverage[doc_id],
            )
        )
    ranked.sort(key=lambda p: (-p.score, p.document.file))
    return ranked[:top_docs]


@dataclass(frozen=True)
class ReviewGroup:
    """One document in the precedent view, with its best passages."""

    document: Document
    hits: tuple[Hit, ...]  # best first, at most ``per_doc``
    matches: int  # how many of the search's passages came from this document
    score: float


def group_by_review(hits: Sequence[Hit], *, per_doc: int = 3) -> list[ReviewGroup]:
    """One group per document, ranked by its best passages.

    A document's score is its best passage's score plus smaller shares of its
    second and third, so a review with several strong passages outranks one
    lucky paragraph, but a single excellent passage still counts most.
    """
    by_doc: dict[str, list[Hit]] = {}
    for hit in hits:
        by_doc.setdefault(hit.document.doc_id, []).append(hit)
    groups = []
    for doc_hits in by_doc.values():
        ranked = sorted(doc_hits, key=lambda h: -h.score)
        score = sum(w * h.score for w, h in zip((1.0, 0.5, 0.25), ranked, strict=False))
        groups.append(
            ReviewGroup(ranked[0].document, tuple(ranked[:per_doc]), len(doc_hits), score)
        )
    return sorted(groups, key=lambda g: -g.score)
