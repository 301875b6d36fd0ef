"""Retrieval evaluation over questions with page-level relevance.

A hit is relevant when its file matches and its page span overlaps a relevant
page. Gain is paid once per relevant (file, page): a passage earns gain 1 when
it brings at least one relevant page that no passage above it brought, else 0
(so a second passage from an already-credited page earns nothing, and a passage
across a page break cannot earn 2 and push nDCG above 1). Metrics are at fixed
cut-offs: Hit@1, Hit@5, Hit@10, MRR@10, nDCG@10 and doc-recall@10 (the share
of a question's relevant documents with a credited passage in the top 10).

Broad questions (``"kind": "broad"``) are answered with findings
(``kb.answer.findings``), and two more measures are kept for them: doc-recall
by document (the share of relevant documents with any passage in the top 10,
whatever its page) and answer coverage (the share of relevant documents the
findings cite, "also in" included).

Negative questions (no relevant pages) measure the no-match signal instead:
how often the system says "no good match" for them, and how often it still
shows an answer for the answerable ones.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kb.answer.model import Answer
from kb.errors import UsageError

METRICS = ("hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10", "doc_recall@10")
LABELS = {
    "hit@1": "Hit@1",
    "hit@5": "Hit@5",
    "hit@10": "Hit@10",
    "mrr@10": "MRR@10",
    "ndcg@10": "nDCG@10",
    "doc_recall@10": "doc-recall@10",
}
CUTOFF = 10


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    relevant: tuple[tuple[str, frozenset[int]], ...]  # (file, pages)
    kind: str = ""
    review_docs: tuple[str, ...] = ()

    @property
    def negative(self) -> bool:
        return not self.relevant


@dataclass(frozen=True)
class RankedPassage:
    """The slice of a hit that scoring needs."""

    doc: str
    page_start: int
    page_end: int


@dataclass(frozen=True)
class Retrieval:
    """What a system returned for one question: ranked passages and, if it has
    one, its no-match verdict."""

    passages: tuple[RankedPassage, ...]
    no_match: bool | None = None
    # The documents an answer's findings cite ("also in" included); None when
    # the system gives no findings.
    cited_docs: tuple[str, ...] | None = None


@dataclass
class EvalResult:
    overall: dict[str, float] = field(default_factory=dict)
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # answerable questions per kind
    negatives: dict[str, float] = field(default_factory=dict)
    # Broad questions: doc_recall_any@10 and answer coverage, means over them.
    broad: dict[str, float] = field(default_factory=dict)
    per_question: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
            relevant = tuple(
                (r["doc"], frozenset(int(p) for p in r["pages"])) for r in row.get("relevant") or ()
            )
            out.append(
                Question(
                    str(row["id"]),
                    str(row["question"]),
                    relevant,
                    str(row.get("kind", "")),
                    tuple(str(d) for d in row.get("review_docs") or ()),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{path}:{n}: not a question record ({exc})") from None
    if not out:
        raise UsageError(f"{path}: no questions")
    return out


def credited(
    passage: RankedPassage,
    relevant: Sequence[tuple[str, frozenset[int]]],
    seen: set[tuple[str, int]],
) -> int:
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


def score_ranking(
    ranked: Sequence[RankedPassage], q: Question, k: int = CUTOFF
) -> dict[str, float]:
    """All metrics for one answerable question."""
    seen: set[tuple[str, int]] = set()
    gains = [min(1, credited(p, q.relevant, seen)) for p in ranked[:k]]
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


def answer_retrieval(answer: Answer) -> Retrieval:
    """What an answer returned: its passages, verdict and the documents it cites
    (its findings, "also in" included, or a narrow answer's sentences)."""
    hits = answer.passages
    cites = [s.citation for f in answer.findings for s in f.supports] or [
        s.citation for s in answer.sentences
    ]
    return Retrieval(
        tuple(RankedPassage(h.document.file, h.chunk.page_start, h.chunk.page_end) for h in hits),
        answer.no_match,
        tuple(hits[n - 1].document.file for n in cites),
    )


def broad_scores(got: Retrieval, q: Question, k: int = CUTOFF) -> dict[str, float]:
    """Document-level recall of the top ``k`` and, with findings, answer coverage."""
    rel_docs = {d for d, _ in q.relevant}
    if not rel_docs:
        return {}
    found = {p.doc for p in got.passages[:k]} & rel_docs
    out = {"doc_recall_any@10": len(found) / len(rel_docs)}
    if got.cited_docs is not None:
        out["coverage"] = len(set(got.cited_docs) & rel_docs) / len(rel_docs)
    return out


def _mean(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {}
    return {m: round(sum(r[m] for r in rows) / len(rows), 4) for m in METRICS}


def evaluate_runs(questions: Sequence[Question], run: Callable[[str], Retrieval]) -> EvalResult:
    """Ask ``run`` every question once and score what it returned."""
    result = EvalResult()
    rows: list[dict[str, float]] = []
    by_kind: dict[str, list[dict[str, float]]] = {}
    negatives = 0
    said_no_right = 0
    answered = 0
    verdicts = 0
    broad: list[dict[str, float]] = []
    for q in questions:
        got = run(q.question)
        verdicts += int(got.no_match is not None)
        if q.negative:
            negatives += 1
            said_no_right += int(bool(got.no_match))
            result.per_question.append(
                {"id": q.id, "kind": q.kind or "negative", "no_match": got.no_match}
            )
            continue
        answered += int(got.no_match is False)
        row = score_ranking(got.passages, q)
        rows.append(row)
        by_kind.setdefault(q.kind or "other", []).append(row)
        extra = broad_scores(got, q) if q.kind == "broad" else {}
        if extra:
            broad.append(extra)
        result.per_question.append(
            {"id": q.id, "kind": q.kind, "no_match": got.no_match, **row, **extra}
        )
    result.overall = _mean(rows)
    result.broad = {
        m: round(sum(r[m] for r in broad) / len(broad), 4)
        for m in ("doc_recall_any@10", "coverage")
        if broad and all(m in r for r in broad)
    }
    result.by_kind = {kind: _mean(rs) for kind, rs in sorted(by_kind.items())}
    result.counts = {"overall": len(rows), **{k: len(rs) for k, rs in sorted(by_kind.items())}}
    if verdicts:  # the system gives a no-match verdict
        result.negatives = {
            "negatives": negatives,
            "no_match_rate": round(said_no_right / negatives, 4) if negatives else 0.0,
            "answered_rate": round(answered / len(rows), 4) if rows else 0.0,
        }
    return result


def evaluate(
    questions: Sequence[Question],
    retrieve: Callable[[str], Sequence[RankedPassage]],
    *,
    no_match: Callable[[str], bool] | None = None,
) -> EvalResult:
    """Score a plain retriever (and a separate no-match test, if given)."""

    def run(question: str) -> Retrieval:
        verdict = no_match(question) if no_match is not None else None
        return Retrieval(tuple(retrieve(question)), verdict)

    return evaluate_runs(questions, run)


def format_report(result: EvalResult, *, title: str = "") -> str:
    """The metrics as a text table, overall and per kind, then the no-match line."""
    head = f"{'kind':<12} {'n':>3}  " + "  ".join(f"{LABELS[m]:>{_width(m)}}" for m in METRICS)
    lines = [title] if title else []
    lines.append(head)
    rows = [("overall", result.overall)] + list(result.by_kind.items())
    for kind, metrics in rows:
        if not metrics:
            continue
        cells = "  ".join(f"{metrics[m]:>{_width(m)}.3f}" for m in METRICS)
        lines.append(f"{kind:<12} {result.counts.get(kind, 0):>3}  {cells}")
    neg = result.negatives
    if neg:
        n = int(neg["negatives"])
        said = round(neg["no_match_rate"] * n)
        lines.append(
            f'negative questions answered "no good match": {said} of {n} '
            f"({neg['no_match_rate']:.0%}); answerable questions still answered: "
            f"{neg['answered_rate']:.0%} of {result.counts.get('overall', 0)}"
        )
    if result.broad:
        parts = [f"doc-recall@10 by document {result.broad['doc_recall_any@10']:.3f}"]
        if "coverage" in result.broad:
            parts.append(f"answer coverage {result.broad['coverage']:.3f}")
        lines.append(f"broad questions: {', '.join(parts)}")
    return "\n".join(lines)


def _width(metric: str) -> int:
    return max(len(LABELS[metric]), 5)
