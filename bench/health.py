"""What the store's health checks cost on the real corpus (issue 16).

Copies the store KB_BENCH_STORE names to a scratch folder, or without it ingests
../shared/corpus/real there (hashing embedder: the checks do not depend on the
model), records a manifest for its live generation the way a publish does (an
older store predates manifests), then measures in one run:

- ``kb stats`` wall time with the check on open and without it
  (``KB_OPEN_CHECK=false``), alternating, median of 7 each;
- the check on open by itself, in-process;
- ``kb check`` (the full verification) on the clean store.

Usage: PYTHONPATH=src python bench/health.py [scratch-folder]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import REAL_CORPUS, quiet_third_parties, require_shared

# An existing real-corpus store to copy; without one the bench ingests ../shared's corpus.
SOURCE = os.environ.get("KB_BENCH_STORE")
ROUNDS = 7


def _seal(store: Path) -> Path:
    import kb.store.health as health
    import kb.store.manifest as mf
    from kb.store import generations
    from kb.store.writer import verified_manifest

    live = generations.current(store)
    assert live is not None
    if mf.read(live) is None:
        mf.write(live, verified_manifest(live, 384, health.read_catalog(live)))
    return live


def _kb(store: Path, *args: str, **env: str) -> tuple[float, str]:
    environ = {**os.environ, "KB_STORE_DIR": str(store), "KB_EMBEDDER": "hash", **env}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kb.cli", *args], env=environ,
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"kb {' '.join(args)} failed: {done.stderr}")
    return elapsed, done.stdout


def _open_check_ms(store: Path, live: Path) -> float:
    import kb.store.health as health
    from kb.store.edge import EdgeStore

    started = time.perf_counter()
    expected, problems = health.files_check(live, full=False)
    assert expected is not None and not problems, problems
    files_s = time.perf_counter() - started
    shard = EdgeStore(live, 384, create=False, read_only=True)
    try:
        started = time.perf_counter()
        assert not health.shard_check(live.name, expected.manifest, shard, full=False)
        return (files_s + time.perf_counter() - started) * 1000
    finally:
        shard.close()


def main() -> None:
    quiet_third_parties()
    scratch = Path(sys.argv[1] if len(sys.argv) > 1 else "kb-health-bench")
    if not scratch.exists():
        if SOURCE:
            shutil.copytree(SOURCE, scratch)
        else:
            require_shared()
            _kb(scratch, "ingest", str(REAL_CORPUS), "--quiet")
    live = _seal(scratch)
    _kb(scratch, "stats")  # warm the page cache and the engine's first open
    on, off = [], []
    for _ in range(ROUNDS):
        on.append(_kb(scratch, "stats")[0])
        off.append(_kb(scratch, "stats", KB_OPEN_CHECK="false")[0])
    check_s, out = _kb(scratch, "check")
    print(f"load average {os.getloadavg()[0]:.1f}; store {scratch} ({live.name})")
    print(f"kb stats, check on open:  median {statistics.median(on) * 1000:.0f} ms "
          f"(min {min(on) * 1000:.0f})")
    print(f"kb stats, check off:      median {statistics.median(off) * 1000:.0f} ms "
          f"(min {min(off) * 1000:.0f})")
    extra = (statistics.median(on) - statistics.median(off)) * 1000
    print(f"difference of medians:    {extra:+.0f} ms")
    print(f"the check on open alone:  {_open_check_ms(scratch, live):.0f} ms (in-process)")
    print(f"kb check (full):          {check_s:.2f} s wall: {out.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
