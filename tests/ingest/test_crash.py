"""Crash safety and reading while an ingest writes (issue: reliability).

An ingest is SIGKILLed at random moments; after each kill a complete re-run
must leave the index identical to a clean build. Separately, searches run in
a loop while another process ingests, and must never fail.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kb.config import Settings
from kb.library import Library
from kb.records import Filters

REPO = Path(__file__).resolve().parents[2]


def _write_corpus(folder: Path, make_pdf, n: int, tag: str = "") -> None:  # type: ignore[no-untyped-def]
    folder.mkdir(parents=True, exist_ok=True)
    topics = ["neglect", "bruising", "exploitation", "missing", "school", "housing", "sleep",
              "drugs", "violence", "health"]
    for i in range(n):
        pages = [
            [f"Review {i}{tag}: {topics[i % len(topics)]} in family {i}",
             *[f"Paragraph {p}.{k} of review {i} describes {topics[(i + k) % len(topics)]} "
               f"and what agency {k} knew at the time about child {i}{tag}." for k in range(40)]]
            for p in range(6)
        ]
        make_pdf(pages, name=f"review-{i:02d}.pdf", folder=folder)


def _env(store: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(KB_STORE_DIR=str(store), KB_EMBEDDER="hash", KB_OCR="false",
               UNSTRUCTURED_DISABLE_NOTICE="1")
    return env


def _ingest_cmd(corpus: Path) -> list[str]:
    return [sys.executable, "-m", "ingest", str(corpus), "--quiet", "--prune"]


def _snapshot(store: Path) -> dict[str, object]:
    lib = Library(Settings.of(store_dir=store, embedder="hash"))
    try:
        docs = lib.documents()
        per_doc = {d.file: [c.index for c in lib.store.chunks_of(d.doc_id)] for d in docs}
        return {
            "documents": sorted((d.file, d.doc_id, d.n_chunks) for d in docs),
            "chunks": lib.store.count(Filters()),
            "chunk_docs": sorted(lib.store.chunk_doc_ids()),
            "indexes": per_doc,
        }
    finally:
        lib.close()


def _sync(src: Path, dst: Path) -> None:
    """Make ``dst`` hold exactly ``src``'s files (same bytes, so same hashes)."""
    dst.mkdir(exist_ok=True)
    for f in dst.iterdir():
        if not (src / f.name).exists():
            f.unlink()
    for f in src.iterdir():
        shutil.copy2(f, dst / f.name)


@pytest.mark.slow
def test_sigkill_at_random_moments_then_rerun_equals_clean_build(tmp_path, make_pdf) -> None:  # type: ignore[no-untyped-def]
    # Two states of one corpus: B changes two files, drops one and adds one.
    state_a, state_b = tmp_path / "a", tmp_path / "b"
    _write_corpus(state_a, make_pdf, 8)
    _sync(state_a, state_b)
    _write_corpus(tmp_path / "b-new", make_pdf, 9, tag="-b")
    for name in ("review-01.pdf", "review-05.pdf", "review-08.pdf"):
        shutil.copy2(tmp_path / "b-new" / name, state_b / name)
    (state_b / "review-03.pdf").unlink()

    expected, duration = {}, float("inf")
    for state in (state_a, state_b):
        clean = tmp_path / f"clean-{state.name}"
        started = time.perf_counter()
        subprocess.run(_ingest_cmd(state), env=_env(clean), cwd=REPO, check=True,
                       capture_output=True)
        duration = min(duration, time.perf_counter() - started)
        expected[state.name] = _snapshot(clean)

    corpus, store = tmp_path / "corpus", tmp_path / "crashy"
    rng = random.Random(20261126)
    kills = 0
    trial = 0
    # Keep going until ten runs were really killed mid-way: on a busy machine a
    # run sometimes finishes before its chosen moment, which proves nothing.
    while kills < 10 and trial < 40:
        state = (state_a, state_b)[trial % 2]
        _sync(state, corpus)
        proc = subprocess.Popen(_ingest_cmd(corpus), env=_env(store), cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # A random moment inside the run: start-up, parsing, writing or publishing.
        deadline = time.perf_counter() + rng.uniform(0.05, duration)
        while proc.poll() is None and time.perf_counter() < deadline:
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        subprocess.run(_ingest_cmd(corpus), env=_env(store), cwd=REPO, check=True,
                       capture_output=True)
        assert _snapshot(store) == expected[state.name], f"trial {trial}"
        trial += 1
    assert kills >= 10


def test_searches_never_fail_while_another_process_ingests(tmp_path, make_pdf) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, make_pdf, 3)
    store = tmp_path / "store"
    subprocess.run(_ingest_cmd(corpus), env=_env(store), cwd=REPO, check=True,
                   capture_output=True)
    reader = Library(Settings.of(store_dir=store, embedder="hash"))
    errors: list[str] = []
    seen_counts: set[int] = set()
    stop = threading.Event()

    def search_loop() -> None:
        while not stop.is_set():
            try:
                hits = reader.search("what agency knew about neglect", top_k=5)
                seen_counts.add(len(reader.documents()))
                if not hits:
                    errors.append("no hits")
            except Exception as exc:  # noqa: BLE001 - any failure is what we count
                errors.append(f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=search_loop)
    thread.start()
    try:
        _write_corpus(corpus, make_pdf, 8, tag="-v2")  # changes 3 files, adds 5
        run = subprocess.run(_ingest_cmd(corpus), env=_env(store), cwd=REPO,
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
        # Let the reader notice the new generation before stopping it.
        deadline = time.perf_counter() + 10
        while 8 not in seen_counts and time.perf_counter() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
        reader.close()
    assert errors == []
    assert seen_counts <= {3, 8}  # the old or the new state, never a mix
    assert 8 in seen_counts
