"""Retrieval evaluation over questions with page-level relevance.

A hit is relevant when its file matches and its page span overlaps a relevant
page. Gain is paid once per relevant (file, page), so a second passage from an
already-credited page earns nothing. Negative questions (no relevant pages)
measure the no-match signal instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import UsageError

METRICS = ("hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10", "doc_recall@10")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    relevant: tuple[tuple[str, frozenset[int]], ...]  # (file, pages)
    kind: str = ""

    @property
    def negative(self) -> bool:
        return not self.relevant


@dataclass(frozen=True)
class RankedPassage:
    """The slice of a hit that scoring needs."""

    doc: str
    page_start: int
    page_end: int


@dataclass
class EvalResult:
    overall: dict[str, float] = field(default_factory=dict)
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    negatives: dict[str, float] = field(default_factory=dict)
    per_question: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"overall": self.overall, "by_kind": self.by_kind, "negatives": self.negatives,
                "per_question": self.per_question}


def load_questions(path: Path) -> list[Question]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    out: list[Question] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            relevant = tuple((r["doc"], frozenset(int(p) for p in r["pages"]))
                             for r in row.get("relevant") or ())
            out.append(Question(str(row["id"]), str(row["question"]), relevant,
                                str(row.get("kind", ""))))
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{path}:{n}: not a question record ({exc})") from None
    return out


def credited(passage: RankedPassage, relevant: Sequence[tuple[str, frozenset[int]]],
             seen: set[tuple[str, int]]) -> int:
    """Relevant (file, page) pairs this passage earns that no earlier passage did."""
    gained = 0
    for doc, pages in relevant:
        if doc != passage.doc:
            continue
        for page in pages:
            if passage.page_start <= page <= passage.page_end and (doc, page) not in seen:
                seen.add((doc, page))
                gained += 1
    return gained


def score_ranking(ranked: Sequence[RankedPassage], q: Question, k: int = 10) -> dict[str, float]:
    """All metrics for one answerable question."""
    seen: set[tuple[str, int]] = set()
    gains = [credited(p, q.relevant, seen) for p in ranked[:k]]
    first = next((i for i, g in enumerate(gains) if g > 0), None)
    n_relevant = sum(len(pages) for _, pages in q.relevant)
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(n_relevant, k)))
    docs_found = {p.doc for p, g in zip(ranked[:k], gains, strict=False) if g > 0}
    rel_docs = {d for d, _ in q.relevant}
    return {
        "hit@1": float(first is not None and first < 1),
        "hit@5": float(first is not None and first < 5),
        "hit@10": float(first is not None and first < 10),
        "mrr@10": 1.0 / (first + 1) if first is not None else 0.0,
        "ndcg@10": dcg / ideal if ideal else 0.0,
        "doc_recall@10": len(docs_found & rel_docs) / len(rel_docs) if rel_docs else 0.0,
    }


def _mean(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {}
    return {m: round(sum(r[m] for r in rows) / len(rows), 4) for m in METRICS}


def evaluate(
    questions: Sequence[Question],
    retrieve: Callable[[str], Sequence[RankedPassage]],
    *,
    no_match: Callable[[str], bool] | None = None,
    k: int = 10,
) -> EvalResult:
    """Run every question through ``retrieve`` (and ``no_match`` if given) and score."""
    result = EvalResult()
    rows: list[dict[str, float]] = []
    by_kind: dict[str, list[dict[str, float]]] = {}
    neg_right = 0
    answered = 0
    negatives = [q for q in questions if q.negative]
    for q in questions:
        said_no = no_match(q.question) if no_match is not None else False
        if q.negative:
            neg_right += int(said_no)
            result.per_question.append({"id": q.id, "kind": q.kind or "negative",
                                        "no_match": said_no})
            continue
        answered += int(not said_no)
        ranked = retrieve(q.question)
        row = score_ranking(ranked, q, k)
        rows.append(row)
        by_kind.setdefault(q.kind or "other", []).append(row)
        result.per_question.append({"id": q.id, "kind": q.kind, "no_match": said_no, **row})
    result.overall = _mean(rows)
    result.by_kind = {kind: _mean(rs) for kind, rs in sorted(by_kind.items())}
    if no_match is not None:
        result.negatives = {
            "negatives": len(negatives),
            "no_match_rate": round(neg_right / len(negatives), 4) if negatives else 0.0,
            "answered_rate": round(answered / len(rows), 4) if rows else 0.0,
        }
    return result
