"""Query latency benchmark: warm kb.search (embedding included) over the dev questions.

    python bench/query.py [--store DIR] [--repeat 5]

Builds an index of the real corpus in a temp dir unless --store is given.
Baseline in the same run: the same questions through BM25 only (no model),
which bounds what the store itself costs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEV_QUESTIONS, REAL_CORPUS, quiet_third_parties, require_shared  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def time_queries(search, questions: list[str], repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    for q in questions[:5]:
        search(q)  # warm-up: model, caches, mmaps
    out = []
    for _ in range(repeat):
        for q in questions:
            t = time.perf_counter()
            search(q)
            out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    require_shared()
    quiet_third_parties()
    from kb.config import Settings
    from kb.evaluate import load_questions
    from kb.library import Library

    questions = [q.question for q in load_questions(DEV_QUESTIONS)]
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        store = args.store or Path(tmp) / "kb"
        lib = Library(Settings.from_env(store_dir=store))
        if args.store is None:
            lib.ingest([REAL_CORPUS])
        hybrid = time_queries(lambda q: lib.search(q, top_k=10), questions, args.repeat)
        sparse = time_queries(
            lambda q: lib.search(q, top_k=10, mode="sparse"), questions, args.repeat
        )
        chunks = lib.stats().chunks
        lib.close()
    rows = {"kb.search hybrid (embedding included)": hybrid, "BM25 only (no model)": sparse}
    print(f"{len(questions)} questions x {args.repeat}, {chunks} chunks")
    for name, values in rows.items():
        print(
            f"{name:40} p50 {statistics.median(values):6.1f} ms  "
            f"p95 {percentile(values, 95):6.1f} ms  max {max(values):6.1f} ms"
        )
    print(
        json.dumps(
            {k: {"p50": statistics.median(v), "p95": percentile(v, 95)} for k, v in rows.items()}
        )
    )


if __name__ == "__main__":
    main()
