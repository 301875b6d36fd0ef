"""Load benchmark: N concurrent searchers against the real-corpus index.

    python bench/load.py --store DIR [--levels 1,4,16,32] [--seconds 15]

Build the index first: ``kb --store DIR ingest ../shared/corpus/real --quiet``.

Searchers are threads in one process sharing one ``Library``, which is how the
app serves its sessions: Streamlit runs each session in a thread of one
process. Each searcher asks the 50 dev questions in a closed loop (next
question as soon as the last answer arrives), starting at a different
question. Latency is wall time of ``Library.retrieve`` (hybrid search with the
query embedded, the no-match check included). Any error fails the run (exit
code 1).

Three ways of sharing the model are measured in the same run, because torch
runs each call on all cores and sixteen concurrent calls fight over two:

* ``shared``: threads call the model concurrently;
* ``lock``: one model call at a time (a lock around embedding);
* ``batch``: ``kb.embed.batching.BatchingEmbedder`` with one worker, which embeds,
  in a single call, whatever queued while it was busy;
* ``batch-2w``: ``KB_EMBED_WORKERS=2``: two such workers, each on all cores
  when alone and on its share beside the other (``batch`` is what ``Library``
  uses by default);
* ``onnx``: what ``Library`` ships (issue 18), opened from settings alone:
  questions embedded by ONNX Runtime with one intra-op thread per call behind
  ``BatchingEmbedder`` with a worker per core, which embeds in one call what
  overlapping searches queued; ``onnx-1p``: the same model and store handed in;
  ``onnx-1w``: the same with one model worker (one core);
* ``onnx-pool``: ``KB_SEARCH_PROCESSES`` set to the cores beyond the first:
  searches that overlap are also served by worker processes, each with its own
  interpreter, model and reader of the index (``kb.library.pool``); CPU per
  query counts those processes too;
* ``-1t``: the same with torch limited to one thread (``KB_THREADS=1``):
  on a busy 2-CPU machine torch's two threads wait on each other, and one
  small query could cost ~0.5 s of CPU instead of ~13 ms.

Each variant is a ``Library`` of its own over the same store and model, with
its own sentence-vector cache, warmed with the questions first (so "warm" is
the steady state of an app answering related questions). ``no-cache`` is the
diagnostic for questions never seen before: every candidate passage's
sentences are embedded for re-ranking on each query.

Baselines in the same run: N=1 (no contention), and BM25-only at each level
(no model: what the store alone costs). The variants take turns in short
slices, so each sees the same share of a machine other people use too; CPU
milliseconds per query (this process's user + system time) is reported
beside the wall-clock figures because it depends much less on that share.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEV_QUESTIONS, peak_rss_mb, quiet_third_parties, require_shared  # noqa: E402

GOAL_N = 16
GOAL_P95_MS = 300.0
GOAL_SPEEDUP = 1.6  # throughput at N=16 against N=1, same run (issue 18)


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


@dataclass
class Level:
    variant: str
    n: int
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's user + system time during the level
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def merge(self, other: Level) -> None:
        self.seconds += other.seconds
        self.cpu_seconds += other.cpu_seconds
        self.latencies_ms += other.latencies_ms
        self.errors += other.errors

    @property
    def qps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def row(self) -> dict[str, Any]:
        lat = self.latencies_ms
        return {
            "variant": self.variant,
            "n": self.n,
            "queries": len(lat),
            "qps": round(self.qps, 1),
            "p50_ms": round(statistics.median(lat), 1) if lat else None,
            "p95_ms": round(percentile(lat, 95), 1),
            "p99_ms": round(percentile(lat, 99), 1),
            "errors": len(self.errors),
            "cpu_ms_per_query": round(1000 * self.cpu_seconds / len(lat), 1) if lat else None,
        }


def run_level(
    variant: str, search: Callable[[str], Any], questions: Sequence[str], n: int, seconds: float
) -> Level:
    """``n`` threads, each asking questions in a closed loop for ``seconds``."""
    level = Level(variant, n)
    lock = threading.Lock()
    start_line = threading.Barrier(n + 1)
    deadline = [0.0]

    def searcher(offset: int) -> None:
        mine: list[float] = []
        errors: list[str] = []
        start_line.wait()
        k = offset
        while time.perf_counter() < deadline[0]:
            q = questions[k % len(questions)]
            k += 1
            t = time.perf_counter()
            try:
                search(q)
            except Exception as exc:  # noqa: BLE001 - every error is counted and fails the run
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            mine.append((time.perf_counter() - t) * 1000)
        with lock:
            level.latencies_ms.extend(mine)
            level.errors.extend(errors)

    threads = [
        threading.Thread(target=searcher, args=(i * 7,), name=f"searcher-{i}") for i in range(n)
    ]
    for th in threads:
        th.start()
    cpu = _cpu_seconds()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start_line.wait()
    for th in threads:
        th.join()
    level.seconds = time.perf_counter() - began
    level.cpu_seconds = _cpu_seconds() - cpu
    return level


def _cpu_seconds() -> float:
    """This process's CPU time plus its live children's (the search workers)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + _children_cpu_seconds()


def _children_cpu_seconds() -> float:
    ticks, me = os.sysconf("SC_CLK_TCK"), os.getpid()
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        # After the command: state, ppid, ..., utime and stime are fields 14 and 15.
        if int(fields[1]) == me:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


# --------------------------------------------------------------------------- model sharing


class LockedEmbedder:
    """One model call at a time."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.dim, self.name = inner, inner.dim, inner.name
        self._lock = threading.Lock()

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return self.inner.embed_query(text)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return self.inner.embed_documents(texts)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="index built from the corpus")
    parser.add_argument("--levels", default="1,4,16,32")
    parser.add_argument("--seconds", type=float, default=15.0, help="per level and variant")
    parser.add_argument("--rounds", type=int, default=3, help="slices per level and variant")
    parser.add_argument(
        "--variants",
        default="onnx,onnx-pool",
        help="onnx (as shipped), onnx-pool (with search worker processes), onnx-1p, onnx-1w, "
        "shared, lock, batch, batch-2w; a -1t suffix runs a torch variant with one torch thread",
    )
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument(
        "--warm-seconds", type=float, default=8.0, help="of 4 overlapping searchers, per variant"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args()
    require_shared()
    quiet_third_parties()
    from kb.config import Settings
    from kb.evaluate import load_questions
    from kb.library import Library
    from kb.retrieve.search import Searcher

    levels = [int(x) for x in args.levels.split(",")]
    questions = [q.question for q in load_questions(DEV_QUESTIONS)]
    library = Library(Settings.from_env(store_dir=args.store))
    stats = library.stats()
    if stats.chunks == 0:
        sys.exit(f"no index at {args.store}: run `kb --store {args.store} ingest ...` first")
    import torch

    from kb.embed import open_embedder
    from kb.embed.batching import BatchingEmbedder
    from kb.embed.minilm import LazyEmbedder, model_cores, set_model_threads
    from kb.embed.routing import LazyOnnxEmbedder

    # The torch variants share one torch model (kb wraps its model in
    # BatchingEmbedder; the variants measure without it too).
    model = LazyEmbedder(library.settings.embed)
    onnx_settings = library.settings.with_(query_encoder="onnx").embed
    onnx_model = LazyOnnxEmbedder(onnx_settings, fallback=model)

    # One Library per variant over the same store and model, as the app holds
    # one: each has its own sentence-vector cache (warmed below, as in use).
    def two_workers(m: Any) -> BatchingEmbedder:
        cores = model_cores(library.settings)
        return BatchingEmbedder(m, workers=2, threads=set_model_threads, cores=cores)

    wrap = {
        "shared": lambda m: m,
        "lock": LockedEmbedder,
        "batch": BatchingEmbedder,
        "batch-2w": two_workers,
        "onnx-1p": lambda m: open_embedder(onnx_settings),
        "onnx-1w": lambda m: BatchingEmbedder(onnx_model, workers=1),
    }

    def open_variant(v: str) -> Library:
        if v == "onnx":  # as shipped: opened from settings alone, its own model and store
            return Library(library.settings.with_(query_encoder="onnx"))
        if v == "onnx-pool":  # and a search worker process per core beyond the first
            spare = max(1, len(os.sched_getaffinity(0)) - 1)
            return Library(library.settings.with_(query_encoder="onnx", search_processes=spare))
        return Library(library.settings, embedder=wrap[v.removesuffix("-1t")](model),
                       store=library.store)

    libraries: dict[str, Any] = {v: open_variant(v) for v in args.variants.split(",")}
    default_threads = torch.get_num_threads()

    def threads_for(variant: str) -> int:
        # torch's thread count is per process: set it for each variant's slice.
        return 1 if variant.endswith("-1t") else default_threads
    # Diagnostic: the same search with no sentence cache (every passage's
    # sentences embedded on every query), i.e. questions never seen before.
    uncached = Searcher(library.store, model, library.settings.search)

    def hybrid(variant: str) -> Callable[[str], Any]:
        lib = libraries[variant]
        return lambda q: lib.retrieve(q, top_k=args.top_k)

    first = next(iter(libraries.values()))
    torch.set_num_threads(1)  # the warm-up is cache filling, and much faster this way here
    for variant, lib in libraries.items():
        for q in questions:  # warm-up: model, sentence cache, mmaps
            lib.retrieve(q, top_k=args.top_k)
        # Searches that overlap start the shipped library's workers: warm them too.
        run_level(variant, hybrid(variant), questions, 4, args.warm_seconds)
    torch.set_num_threads(default_threads)

    print(
        f"index: {stats.chunks} chunks, {stats.documents} documents at {args.store}; "
        f"{len(questions)} questions; models {model.name}, {onnx_model.name}; torch threads "
        f"{torch.get_num_threads()}; {args.seconds:g} s per level; load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs",
        flush=True,
    )
    rows: list[dict[str, Any]] = []
    failed = False
    for n in levels:
        runs = [(v, hybrid(v)) for v in libraries]
        runs.append(("bm25-only", lambda q: first.retrieve(q, top_k=args.top_k, mode="sparse")))
        if n in (1, GOAL_N):
            runs.append(("no-cache", lambda q: uncached.run(q, top_k=args.top_k)))
        # Variants take turns in short slices, so each sees the same share of a
        # machine that other people are using too.
        merged = {variant: Level(variant, n) for variant, _ in runs}
        for _ in range(args.rounds):
            for variant, call in runs:
                slice_s = args.seconds / args.rounds
                if variant == "no-cache":
                    slice_s = max(slice_s, 10.0)  # seconds per query: give it a few
                torch.set_num_threads(threads_for(variant))
                merged[variant].merge(run_level(variant, call, questions, n, slice_s))
        torch.set_num_threads(default_threads)
        for variant, _ in runs:
            level = merged[variant]
            row = level.row()
            rows.append(row)
            print(
                f"N={n:>2} {variant:9}  {row['qps']:6.1f} q/s  p50 {row['p50_ms']:7.1f}  "
                f"p95 {row['p95_ms']:7.1f}  p99 {row['p99_ms']:7.1f} ms  "
                f"queries {row['queries']:5}  errors {row['errors']}  "
                f"CPU {row['cpu_ms_per_query']} ms/query",
                flush=True,
            )
            if level.errors:
                failed = True
                for message in sorted(set(level.errors))[:5]:
                    print(f"    error: {message}", flush=True)
    batcher = libraries.get("batch")
    if batcher is not None and isinstance(batcher.embedder, BatchingEmbedder):
        print(f"batch variant: {batcher.embedder.calls} model calls in all")
    print(f"peak RSS {peak_rss_mb():.0f} MB; load average at the end "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    goal = [r for r in rows if r["n"] == GOAL_N and r["variant"] not in ("bm25-only", "no-cache")]
    for r in goal:
        verdict = "meets" if r["p95_ms"] <= GOAL_P95_MS and r["errors"] == 0 else "misses"
        print(f"goal p95 <= {GOAL_P95_MS:.0f} ms at N={GOAL_N}: {r['variant']} {verdict} "
              f"({r['p95_ms']} ms)")
    one = {r["variant"]: r for r in rows if r["n"] == 1}
    for r in goal:
        if r["variant"] in one and one[r["variant"]]["p95_ms"]:
            print(f"ratio p95 N={GOAL_N}/N=1 ({r['variant']}): "
                  f"{r['p95_ms'] / one[r['variant']]['p95_ms']:.1f}x; throughput "
                  f"{r['qps'] / one[r['variant']]['qps']:.2f}x the single searcher's "
                  f"(goal >= {GOAL_SPEEDUP}x)")
    print(json.dumps(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    for variant in ("onnx", "onnx-pool"):  # their own readers: let their copies go
        if variant in libraries:
            libraries[variant].close()
    library.close()
    if failed:
        sys.exit("load: errors during the run")


if __name__ == "__main__":
    main()
