"""Ingest benchmark: kb's fresh and unchanged ingest of the real corpus, against
the LlamaIndex quickstart in the same run.

    python bench/ingest.py [--corpus DIR] [--skip-baseline] [--against CHECKOUT]

Prints pages/s, chunks, seconds and peak RSS for each, plus the ratios.
``--against`` also times a fresh ingest by another checkout of kb (its
``src`` first on the path) after this one's, so "did this change
make ingest slower" is answered in one run on one machine.

The floor, in the same run: a bare forward pass, in a fresh process, over
exactly the model inputs the fresh ingest made (every chunk's context header
and text, with its sentence spans, read back from the index it built), through
the same embedder, precision and slices as ingest, with no parsing, tagging or
store. Ingest's time over the floor's is what parse, tagging and the store add.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REAL_CORPUS, REPO, quiet_third_parties, require_shared  # noqa: E402


def run(cmd: list[str], env: dict[str, str], cwd: Path = REPO) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) of the child, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all waited-for children so far.
    return seconds, max(peak, before) / 1024, proc.stdout


FORWARD = """
import json, sys, time
from kb.config import Settings
from kb.embed import open_embedder
from kb.ingest.run import EMBED_SLICE, embedding_inputs
from kb.library import Library
library = Library(Settings.from_env())
inputs = []
for doc in library.documents():
    inputs.append(embedding_inputs(doc, library.store.chunks_of(doc.doc_id)))
embedder = open_embedder(library.settings.embed)
embedder.embed_passages(["warm up the model"], [[(0, 17)]])  # load, probe precision
cpu, t = time.process_time(), time.perf_counter()
n = 0
for texts, spans in inputs:
    for start in range(0, len(texts), EMBED_SLICE):
        embedder.embed_passages(texts[start:start + EMBED_SLICE], spans[start:start + EMBED_SLICE])
        n += len(texts[start:start + EMBED_SLICE])
print("RESULT", json.dumps({{"seconds": time.perf_counter() - t, "cpu_s": time.process_time() - cpu,
                            "chunks": n}}))
"""

BASELINE = """
import sys, time
sys.path.insert(0, {bench!r})
from pathlib import Path
from _common import LlamaIndexQuickstart
t = time.perf_counter()
q = LlamaIndexQuickstart(Path({corpus!r}), Path({store!r}))
print("RESULT", q.n_documents, time.perf_counter() - t)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REAL_CORPUS)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--against", type=Path, default=None, help="Another kb checkout.")
    args = parser.parse_args()
    require_shared()
    quiet_third_parties()
    env = dict(os.environ)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        env["KB_STORE_DIR"] = str(Path(tmp) / "kb")
        cmd = [sys.executable, "-m", "ingest", str(args.corpus), "--json", "--quiet"]
        seconds, rss, out = run(cmd, env)
        report = json.loads(out)
        results["kb fresh"] = {
            "seconds": seconds,
            "pages": report["pages"],
            "chunks": report["chunks"],
            "tokens": report["tokens"],
            "failed": len(report["failed"]),
            "peak_rss_mb": rss,
        }
        seconds, _, out = run(cmd, env)
        again = json.loads(out)
        print(f"kb fresh (so far): {json.dumps(results['kb fresh'])}", flush=True)
        results["kb unchanged"] = {
            "seconds": seconds,
            "pages": again["pages"],
            "chunks": again["chunks"],
            "unchanged": len(again["unchanged"]),
        }
        _, _, out = run([sys.executable, "-c", FORWARD.format()], env)
        line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
        results["bare forward pass"] = json.loads(line.split(" ", 1)[1])
        if args.against is not None:
            results["kb fresh, other checkout"] = other_checkout(args, env, Path(tmp))
        if not args.skip_baseline:
            code = BASELINE.format(
                bench=str(Path(__file__).parent),
                corpus=str(args.corpus),
                store=str(Path(tmp) / "llama"),
            )
            seconds, rss_b, out = run([sys.executable, "-c", code], env)
            # LlamaIndex prints its own notices on stdout; our line is tagged.
            line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
            results["llamaindex quickstart"] = {
                "seconds": seconds,
                "documents": float(line.split()[1]),
            }

    fresh = results["kb fresh"]
    print(f"corpus: {args.corpus}")
    print(
        f"kb fresh ingest:      {fresh['seconds']:7.1f} s  {fresh['pages']:.0f} pages "
        f"({fresh['pages'] / fresh['seconds']:.1f} pages/s)  {fresh['chunks']:.0f} chunks  "
        f"{fresh['tokens']:.0f} model tokens ({fresh['tokens'] / fresh['seconds']:.0f}/s)  "
        f"failed {fresh['failed']:.0f}  peak RSS {fresh['peak_rss_mb']:.0f} MB"
    )
    unchanged = results["kb unchanged"]
    print(
        f"kb unchanged re-run:  {unchanged['seconds']:7.1f} s  "
        f"({100 * unchanged['seconds'] / fresh['seconds']:.1f} % of fresh)  "
        f"unchanged {unchanged['unchanged']:.0f}, re-embedded chunks {unchanged['chunks']:.0f}"
    )
    floor = results["bare forward pass"]
    print(
        f"bare forward pass:    {floor['seconds']:7.1f} s over the same {floor['chunks']:.0f} "
        f"chunks  ->  ingest takes {fresh['seconds'] / floor['seconds']:.2f}x the floor"
    )
    if "llamaindex quickstart" in results:
        base = results["llamaindex quickstart"]
        print(
            f"llamaindex quickstart: {base['seconds']:6.1f} s  (1,024-token chunks; the model "
            f"reads only the first 256 tokens of each)"
        )
        print(f"ratio kb/quickstart:  {fresh['seconds'] / base['seconds']:.2f}x the time")
    if "kb fresh, other checkout" in results:
        other = results["kb fresh, other checkout"]
        print(
            f"kb fresh, {args.against}: {other['seconds']:7.1f} s  {other['chunks']:.0f} chunks"
            f"  ->  this checkout takes {fresh['seconds'] / other['seconds']:.2f}x its time"
        )
    print(json.dumps(results))


def other_checkout(args: argparse.Namespace, env: dict[str, str], tmp: Path) -> dict[str, float]:
    """A fresh ingest of the same corpus by the checkout at ``args.against``."""
    checkout = args.against.resolve()
    other = {**env, "KB_STORE_DIR": str(tmp / "kb-other"), "PYTHONPATH": str(checkout / "src")}
    cmd = [sys.executable, "-m", "ingest", str(args.corpus), "--json", "--quiet"]
    seconds, rss, out = run(cmd, other, cwd=checkout)
    report = json.loads(out)
    return {"seconds": seconds, "chunks": report["chunks"], "peak_rss_mb": rss}


if __name__ == "__main__":
    main()
