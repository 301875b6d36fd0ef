"""Query latency benchmark: warm kb.retrieve.search (embedding included) over the dev questions.

    python bench/query.py [--store DIR] [--repeat 5]
    python bench/query.py --cold --store DIR [--repeat 5]   (whole processes: bench/cold.py)

Builds an index of the real corpus in a temp dir unless --store is given.
The model is loaded and the store open before timing starts ("warm"). The
first row asks every question once, before anything else: questions new to
the process, whose passages the store does not hold yet. For the other rows,
the first pass asks every question once, new to that row; later passes repeat
them. Both are reported.

Also timed: Library.ask, the search plus the extractive answer that the app and
`kb ask` show (issue #3: a warm answer within 1 s), and Library.ask over the
broad questions of broad_dev.jsonl (more candidates, spread over documents,
findings with "also in"; issue #13: warm p95 within 150 ms), with dense-only
search over the same broad questions in the same run.

Baselines in the same run, over the same store: BM25 only (no model call),
which bounds what the store itself costs, and dense only (one model call for
the question, one nearest-neighbour query), the least any search with the
model can cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BROAD_QUESTIONS, DEV_QUESTIONS, REAL_CORPUS, quiet_third_parties, require_shared  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def time_queries(search, questions: list[str], repeat: int) -> list[list[float]]:  # type: ignore[no-untyped-def]
    """Milliseconds per question, one list per pass over the questions."""
    for q in WARM_UP:
        search(q)  # model, mmaps; questions outside the timed set
    passes = []
    for _ in range(repeat):
        out = []
        for q in questions:
            t = time.perf_counter()
            search(q)
            out.append((time.perf_counter() - t) * 1000)
        passes.append(out)
    return passes


WARM_UP = ("child protection conference", "early help assessment", "missing from home")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="time whole `kb search` processes")
    args = parser.parse_args()
    require_shared()
    quiet_third_parties()
    if args.cold:
        from cold import cold
        from kb.evaluate import load_questions

        if args.store is None:
            sys.exit("--cold needs --store DIR (an index of the real corpus)")
        dev = [q.question for q in load_questions(DEV_QUESTIONS)]
        print(json.dumps(cold(args.store, dev, args.repeat)))
        return
    from kb.config import Settings
    from kb.evaluate import load_questions
    from kb.library import Library

    questions = [q.question for q in load_questions(DEV_QUESTIONS)]
    broad = [q.question for q in load_questions(BROAD_QUESTIONS) if q.kind == "broad"]
    rows: dict[str, list[list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        store = args.store or Path(tmp) / "kb"
        lib = Library(Settings.from_env(store_dir=store))
        if args.store is None:
            lib.ingest([REAL_CORPUS])
        # First, questions new to the process: the store holds no passage yet
        # (kb.store.recent), so each is read and turned into records. One pass.
        rows["hybrid, questions new to the process"] = time_queries(
            partial(lib.search, top_k=10, mode="hybrid"), questions, 1
        )
        # Then, while the library's sentence cache is empty: what the app and
        # `kb ask` do for a question (search, then the extractive answer).
        rows["kb ask (search + cited answer)"] = time_queries(
            partial(lib.ask, top_k=8), questions, args.repeat
        )
        rows["kb ask, broad questions (top 10, findings)"] = time_queries(
            partial(lib.ask, top_k=10), broad, args.repeat
        )
        rows["baseline: dense only, broad questions"] = time_queries(
            partial(lib.search, top_k=10, mode="dense"), broad, args.repeat
        )
        for name, mode in (
            ("kb.retrieve.search hybrid (shipped)", "hybrid"),
            ("baseline: dense only", "dense"),
            ("baseline: BM25 only (no model)", "sparse"),
        ):
            rows[name] = time_queries(
                partial(lib.search, top_k=10, mode=mode), questions, args.repeat
            )
        chunks = lib.stats().chunks
        lib.close()
    print(
        f"{len(questions)} questions ({len(broad)} broad) x {args.repeat} passes, {chunks} chunks"
    )
    summary = {}
    for name, passes in rows.items():
        first, every = passes[0], [v for p in passes for v in p]
        summary[name] = {
            "first_pass_p50": statistics.median(first),
            "first_pass_p95": percentile(first, 95),
            "p50": statistics.median(every),
            "p95": percentile(every, 95),
        }
        print(
            f"{name:42} first pass p50 {statistics.median(first):6.1f} ms  "
            f"p95 {percentile(first, 95):6.1f} ms | all passes p50 "
            f"{statistics.median(every):6.1f} ms  p95 {percentile(every, 95):6.1f} ms  "
            f"max {max(every):6.1f} ms"
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
