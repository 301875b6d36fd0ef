"""Cold `kb search`: whole processes, the ONNX question path against torch's.

    python bench/query.py --cold --store DIR [--repeat 5]

Each round runs one `kb search` process per encoder (KB_QUERY_ENCODER=onnx,
then torch: today's path, which imports sentence-transformers and loads the
model), on the next dev question, and times the process from start to exit:
interpreter start, imports, model load, the query, the printout. One
unmeasured run of each first makes the ONNX export and the precision probes
(once per machine), and warms the OS file cache for both alike. The load
average is printed with the figures: the machine is shared.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(store: Path, encoder: str, question: str) -> tuple[float, float]:
    """Wall and CPU seconds of one `kb search` process."""
    env = {**os.environ, "KB_STORE_DIR": str(store), "KB_QUERY_ENCODER": encoder}
    cpu = _child_cpu()
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "kb.cli", "search", "--top-k", "5", question],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"kb search ({encoder}) failed: {proc.stderr[-2000:]}")
    return wall, _child_cpu() - cpu


def cold(store: Path, questions: list[str], repeat: int) -> dict[str, dict[str, float]]:
    encoders = ("onnx", "torch")
    for encoder in encoders:
        run_once(store, encoder, "unmeasured warm-up")
    walls: dict[str, list[float]] = {e: [] for e in encoders}
    cpus: dict[str, list[float]] = {e: [] for e in encoders}
    load = [os.getloadavg()[0]]
    for i in range(repeat):
        for encoder in encoders:  # interleaved, so both see the same machine
            wall, cpu = run_once(store, encoder, questions[i % len(questions)])
            walls[encoder].append(wall)
            cpus[encoder].append(cpu)
        load.append(os.getloadavg()[0])
    out = {}
    for encoder in encoders:
        w = sorted(walls[encoder])
        out[encoder] = {
            "wall_min": w[0],
            "wall_median": statistics.median(w),
            "wall_max": w[-1],
            "cpu_median": statistics.median(cpus[encoder]),
        }
        print(
            f"cold kb search, {encoder:5}: wall min {w[0]:5.2f} s  median "
            f"{statistics.median(w):5.2f} s  max {w[-1]:5.2f} s | CPU median "
            f"{statistics.median(cpus[encoder]):5.2f} s  ({repeat} processes)"
        )
    ratio = out["onnx"]["wall_median"] / out["torch"]["wall_median"]
    print(
        f"onnx / torch median wall: {ratio:.2f}x; load average (1 min) during the run "
        f"{min(load):.1f}-{max(load):.1f} on {os.cpu_count()} CPUs"
    )
    return out
