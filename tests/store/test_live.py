"""Serving while ingesting: readers survive every publish, copies stay sparse,
old generations go once nobody reads them, and a full disk stops an ingest cleanly.

A reader is a ``Library`` in this (long-lived) process; publishes come from
other processes running ``kb ingest``, as they do beside the app.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.config import Settings
from kb.errors import StoreError
from kb.library import Library
from kb.records import Filters
from kb.store import generations
from kb.store.live import LiveEdgeStore, open_writer

REPO = Path(__file__).resolve().parents[2]
TOPICS = ("neglect", "bruising", "exploitation", "housing", "sleep", "school", "drugs")


def _doc(make_pdf, folder: Path, i: int) -> Path:  # type: ignore[no-untyped-def]
    topic = TOPICS[i % len(TOPICS)]
    lines = [f"Review {i}: {topic} in family {i}"] + [
        f"Paragraph {k} of review {i} says what agency {k} knew about {topic} and child {i}."
        for k in range(30)
    ]
    return make_pdf([lines, lines[::-1]], name=f"review-{i:02d}.pdf", folder=folder)  # type: ignore[no-any-return]


def _env(store: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(KB_STORE_DIR=str(store), KB_EMBEDDER="hash", KB_OCR="false",
               UNSTRUCTURED_DISABLE_NOTICE="1", **extra)
    return env


def _kb(store: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb.cli", *args], env=_env(store, **extra),
                          cwd=REPO, capture_output=True, text=True, timeout=300)


def _temp_copies() -> list[str]:
    return [p for p in os.listdir(tempfile.gettempdir()) if p.startswith("kb-snapshot-")]


def test_a_reader_serves_through_five_publishes_by_another_process(tmp_path, make_pdf) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "store"
    first = _doc(make_pdf, tmp_path / "in", 0)
    assert _kb(store, "ingest", str(first), "--quiet").returncode == 0
    before = set(_temp_copies())
    reader = Library(Settings.of(store_dir=store, embedder="hash"))
    errors: list[str] = []
    stop = threading.Event()

    def ask_loop() -> None:
        while not stop.is_set():
            try:
                if not reader.search("what agency knew about neglect", top_k=3):
                    errors.append("no hits")
            except Exception as exc:  # noqa: BLE001 - any failure is what this counts
                errors.append(f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=ask_loop)
    thread.start()
    try:
        for i in range(1, 6):
            run = _kb(store, "ingest", str(_doc(make_pdf, tmp_path / "in", i)), "--quiet")
            assert run.returncode == 0, run.stdout + run.stderr
            # The very next read shows the new generation: one refresh, no waiting.
            assert len(reader.documents()) == i + 1
            name = f"review-{i:02d}.pdf"
            new = reader.search(f"review {i}", top_k=1, filters=Filters(files=(name,)))
            assert new and new[0].document.file == name
    finally:
        stop.set()
        thread.join()
        reader.close()
    assert errors == []
    assert set(_temp_copies()) == before
    assert not (store / generations.READERS).exists() or not any((store / "readers").iterdir())
    # Only the live generation is left once the reader has let go of the others.
    assert [p.name for p in generations.generations_dir(store).iterdir()] == [
        generations.current(store).name  # type: ignore[union-attr]
    ]


@pytest.fixture
def disk_dir() -> Iterator[Path]:
    """A folder on a real disk. pytest's tmp_path is on tmpfs here (conftest), where
    the engine's memory-mapped files become fully allocated once touched, so
    allocated sizes there say nothing about a store on disk."""
    folder = Path(tempfile.mkdtemp(prefix="kb-test-", dir="/var/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_five_publishes_keep_the_store_near_a_clean_build(  # type: ignore[no-untyped-def]
    tmp_path, disk_dir, make_pdf
) -> None:
    docs = [_doc(make_pdf, tmp_path / "in", i) for i in range(5)]
    incremental, clean = disk_dir / "incremental", disk_dir / "clean"
    for doc in docs:
        assert _kb(incremental, "ingest", str(doc), "--quiet").returncode == 0
    assert _kb(clean, "ingest", *map(str, docs), "--quiet").returncode == 0
    size = generations.allocated_bytes(incremental)
    baseline = generations.allocated_bytes(clean)
    assert size <= 1.3 * baseline, (size, baseline)


def test_a_full_disk_stops_the_ingest_and_leaves_the_live_index(tmp_path, make_pdf) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "store"
    assert _kb(store, "ingest", str(_doc(make_pdf, tmp_path / "in", 0)), "--quiet").returncode == 0
    live = (store / generations.CURRENT).read_text()
    run = _kb(store, "ingest", str(_doc(make_pdf, tmp_path / "in", 1)), "--quiet",
              KB_MIN_FREE_MB=str(10**9))  # asks for more room than any disk has
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "not enough free disk space" in lines[0], run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert (store / generations.CURRENT).read_text() == live
    assert len(list(generations.generations_dir(store).iterdir())) == 1
    found = _kb(store, "search", "what agency knew", "--json")
    assert found.returncode == 0 and "review-00.pdf" in found.stdout


def test_a_second_reading_process_uses_one_private_copy_and_removes_it(tmp_path, make_pdf) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "store"
    assert _kb(store, "ingest", str(_doc(make_pdf, tmp_path / "in", 0)), "--quiet").returncode == 0
    holder = Library(Settings.of(store_dir=store, embedder="hash"))
    try:
        assert holder.documents()  # this process now holds the live shard's lock
        for _ in range(3):
            run = _kb(store, "search", "agency knew", "--json")
            assert run.returncode == 0, run.stderr
            assert "review-00.pdf" in run.stdout
        assert list((store / generations.READERS).iterdir()) == []
    finally:
        holder.close()


def test_a_leased_generation_outlives_its_publish_and_goes_with_its_reader(  # type: ignore[no-untyped-def]
    tmp_path, make_pdf
) -> None:
    store = tmp_path / "store"
    assert _kb(store, "ingest", str(_doc(make_pdf, tmp_path / "in", 0)), "--quiet").returncode == 0
    reader = LiveEdgeStore(store, 384)
    held = reader.generation
    assert held is not None
    assert _kb(store, "ingest", str(_doc(make_pdf, tmp_path / "in", 1)), "--quiet").returncode == 0
    assert held.is_dir()  # the writer's collection left it: a reader holds it
    assert len(reader.documents()) == 2  # the reader moves on, letting go of the old one
    assert not held.exists()
    reader.close()


def test_reads_in_one_reading_block_see_one_generation_whatever_is_published(  # type: ignore[no-untyped-def]
    tmp_path, make_pdf
) -> None:
    """One search's several reads (``Store.reading``) must not straddle a publish."""
    store = tmp_path / "store"
    assert _kb(store, "ingest", str(_doc(make_pdf, tmp_path / "in", 0)), "--quiet").returncode == 0
    reader = LiveEdgeStore(store, 384)
    try:
        with reader.reading():
            before = reader.count(Filters())
            held = reader.generation
            second = _doc(make_pdf, tmp_path / "in", 1)
            assert _kb(store, "ingest", str(second), "--quiet").returncode == 0
            with reader.reading():  # nested: still the same one
                assert len(reader.documents()) == 1 and reader.count(Filters()) == before
            seen: list[int] = []  # another thread's read moves the reader on meanwhile
            other = threading.Thread(target=lambda: seen.append(len(reader.documents())))
            other.start()
            other.join(60)
            assert seen == [2]
            assert reader.generation == held and len(reader.documents()) == 1
        assert len(reader.documents()) == 2  # the block over, reads move on
        assert reader.count(Filters()) > before
        assert held is not None and not held.exists()  # and the held one is let go
    finally:
        reader.close()


def test_a_failed_write_removes_the_new_generation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "store"
    with pytest.raises(StoreError), open_writer(store, 384) as writer:
        writer.delete_document("nothing")  # makes the working generation
        raise StoreError("the ingest failed half-way")
    assert generations.current(store) is None
    assert list(generations.generations_dir(store).iterdir()) == []


def test_an_upload_grows_the_index_by_its_share_of_passages(disk_dir: Path) -> None:
    """Issue 14: after one upload in the app (a reader in this process, the
    upload's ingest in the same Library), the index is at most 10 % larger than
    the new document's share of passages implies: the old generation goes as
    soon as the reader has moved on."""
    fictional = REPO / "corpus" / "fictional"
    held_out = fictional / "westbrook-thematic-neglect-substance-use.pdf"
    corpus = disk_dir / "corpus"
    corpus.mkdir()
    for path in fictional.iterdir():
        if path.suffix in (".pdf", ".csv") and path != held_out:
            shutil.copy(path, corpus / path.name)
    settings = Settings.of(store_dir=disk_dir / "store", embedder="hash", ocr=False)
    library = Library(settings)
    try:
        assert not library.ingest([corpus]).failed
        assert library.search("neglect and parental substance use")  # the app reads
        index = generations.generations_dir(settings.store.store_dir)
        before, chunks_before = generations.allocated_bytes(index), library.stats().chunks
        report = library.add_uploads([(held_out.name, held_out.read_bytes())])
        assert len(report.ingest.added) == 1, report.ingest.to_dict()
        assert library.search("neglect and parental substance use")  # moves to the new one
        after, chunks_after = generations.allocated_bytes(index), library.stats().chunks
    finally:
        library.close()
    assert len(list(index.iterdir())) == 1  # the old generation is gone
    allowed = 1.10 * before * chunks_after / chunks_before
    assert after <= allowed, (after, before, chunks_before, chunks_after)
