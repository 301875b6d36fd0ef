"""Which parts of a search hold the GIL: a pure-Python loop timed alone, then
beside a thread running one part of the query path in a loop.

    python bench/gil.py --store DIR [--repeat 3]

Baseline in the same run: the loop alone. Beside work that releases the GIL
(ONNX Runtime embedding a question) the loop keeps about its time on two cores;
beside work that holds it (the store's dense and BM25 queries, engine call and
kb's conversion of the hits, as ``Searcher`` runs them) it slows towards 2x or
more. This is why one process cannot reach issue 18's 1.6x throughput at N=16
(docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEV_QUESTIONS, quiet_third_parties, require_shared  # noqa: E402

SPIN = 3_000_000


def spin() -> float:
    """Seconds for a fixed pure-Python loop."""
    started = time.perf_counter()
    total = 0
    for i in range(SPIN):
        total += i
    return time.perf_counter() - started


def beside(work: Callable[[int], object]) -> float:
    """The loop's seconds while another thread runs ``work`` without pause."""
    stop = threading.Event()

    def loop() -> None:
        k = 0
        while not stop.is_set():
            work(k)
            k += 1

    thread = threading.Thread(target=loop)
    thread.start()
    time.sleep(0.3)  # the worker is in its stride
    try:
        return spin()
    finally:
        stop.set()
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="an index built from the corpus")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    require_shared()
    quiet_third_parties()
    from kb.config import Settings
    from kb.evaluate import load_questions
    from kb.library import Library
    from kb.records import Filters
    from kb.store.contract import StoreQuery

    library = Library(Settings.from_env(store_dir=args.store))
    if library.stats().chunks == 0:
        sys.exit(f"no index at {args.store}: run `kb --store {args.store} ingest ...` first")
    questions = [q.question for q in load_questions(DEV_QUESTIONS)]
    searcher = library.searcher
    assert searcher.bm25 is not None
    dense = [library.embedder.embed_query(q) for q in questions]
    sparse = [searcher.bm25.query(q) for q in questions]
    limit = library.settings.search.candidates
    store = library.store

    def queries(k: int) -> None:
        n = k % len(questions)
        store.query(StoreQuery(dense=dense[n], sparse=None, filters=Filters(), limit=limit))
        store.query(StoreQuery(dense=None, sparse=sparse[n], filters=Filters(), limit=limit))

    def embedding(k: int) -> None:
        library.embedder.embed_documents([questions[k % len(questions)]])

    rows: dict[str, list[float]] = {"alone": [], "store queries": [], "ONNX embedding": []}
    for _ in range(args.repeat):  # interleaved, so each sees the same machine
        rows["alone"].append(spin())
        rows["store queries"].append(beside(queries))
        rows["ONNX embedding"].append(beside(embedding))
    base = statistics.median(rows["alone"])
    print(f"pure-Python loop, median of {args.repeat}; store {args.store}")
    for name, seconds in rows.items():
        median = statistics.median(seconds)
        print(f"  {name:<16} {median * 1000:7.0f} ms  {median / base:5.2f}x the loop alone")


if __name__ == "__main__":
    main()
