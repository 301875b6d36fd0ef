"""A damaged index is detected, reported in one line and healed (issue 16).

Each case changes one file of a store built from the fictional samples
(``corpus/fictional``, hashing embedder), the kinds of damage the issue's table
lists. Then ``kb stats`` must either fall back to an earlier generation and
say so, or fail with one line naming the problem, never a traceback and
never an empty library presented as healthy; ``kb check`` must name the
problem; and after one ``kb ingest`` the library must answer five fixed
questions with the same top five passages as a clean build.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kb.cli import cli
from kb.config import Settings
from kb.library import Library
from kb.store import generations
from kb.store.live import LiveEdgeStore

FICTIONAL = Path(__file__).resolve().parents[2] / "corpus" / "fictional"
QUESTIONS = (
    "neglect and parental substance use",
    "safe sleeping advice for babies",
    "information sharing between agencies",
    "child sexual abuse in the family",
    "missing from school and home education",
)


def kb(store: Path, *args: str) -> Result:
    env = {"KB_STORE_DIR": str(store), "KB_EMBEDDER": "hash", "KB_OCR": "false",
           "QDRANT_URL": None, "KB_QDRANT_URL": None}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=True)


def top5(store: Path) -> list[list[str]]:
    library = Library(Settings.of(store_dir=store, embedder="hash", ocr=False))
    try:
        return [[h.chunk.chunk_id for h in library.search(q, top_k=5)] for q in QUESTIONS]
    finally:
        library.close()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[str]]]:
    store = tmp_path_factory.mktemp("clean") / "store"
    result = kb(store, "ingest", str(FICTIONAL), "--quiet")
    assert result.exit_code == 0, result.output
    return store, top5(store)


def _live(store: Path) -> Path:
    live = generations.current(store)
    assert live is not None
    return live


def _segment(store: Path) -> Path:
    return next((_live(store) / "segments").iterdir())


def _flip(path: Path, offset: int = 4096, length: int = 64) -> None:
    with path.open("r+b") as fh:
        fh.seek(offset)
        data = fh.read(length)
        fh.seek(offset)
        fh.write(bytes(b ^ 0xFF for b in data))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "dense vectors flipped": lambda s: _flip(
        _segment(s) / "vector_storage-dense" / "vectors" / "chunk_0.mmap"),
    "sentence vectors flipped": lambda s: _flip(
        _segment(s) / "vector_storage-sentences" / "vectors" / "chunk_0.mmap"),
    "payload storage flipped": lambda s: _flip(
        _segment(s) / "payload_storage" / "page_0.dat", offset=2000),
    "id tracker deleted": lambda s: (_segment(s) / "mutable_id_tracker.mappings").unlink(),
    "segments folder deleted": lambda s: shutil.rmtree(_live(s) / "segments"),
    "segment json garbage": lambda s: (_segment(s) / "segment.json").write_text("garbage{"),
    "wal garbage": lambda s: _flip(_live(s) / "wal" / "open-1", offset=0, length=16),
    "edge config garbage": lambda s: (_live(s) / "edge_config.json").write_text("garbage{"),
    "CURRENT random bytes": lambda s: (s / "CURRENT").write_bytes(os.urandom(40)),
    "CURRENT deleted": lambda s: (s / "CURRENT").unlink(),
    "CURRENT names a missing generation": lambda s: (s / "CURRENT").write_text(
        "g" + "1".zfill(20) + "\n"),
    "CURRENT leads outside the store": lambda s: (s / "CURRENT").write_text("../../../etc\n"),
}


def _no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output + result.stderr


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damage_is_reported_in_one_line_and_healed_by_one_ingest(
    kind: str, clean: tuple[Path, list[list[str]]], tmp_path: Path
) -> None:
    source, expected = clean
    store = tmp_path / "store"
    shutil.copytree(source, store)
    DAMAGE[kind](store)

    stats = kb(store, "stats")
    _no_traceback(stats)
    lines = stats.stderr.strip().splitlines()
    assert len(lines) == 1 and "damaged" in lines[0], stats.stderr
    if stats.exit_code == 0:
        # Fell back: the earlier generation is whole and says it is not the live one.
        assert "serving the earlier generation" in lines[0] and "health" in stats.stdout
        assert "chunks    164" in stats.stdout
        assert top5(store) == expected
    else:
        assert stats.exit_code == 1 and lines[0].startswith("kb: error: the index is damaged")

    search = kb(store, "search", QUESTIONS[0])
    _no_traceback(search)
    assert search.exit_code in (0, 1) and "damaged" in search.stderr

    check = kb(store, "check")
    _no_traceback(check)
    assert check.exit_code == 1
    first = check.stdout.splitlines()[0].split(":")[0]  # each problem line names where
    assert first == "store" or (first.startswith("g") and len(first) == 21), check.stdout

    ingest = kb(store, "ingest", str(FICTIONAL), "--quiet")
    _no_traceback(ingest)
    assert ingest.exit_code == 0, ingest.output
    assert "note: the index" in ingest.stdout
    assert kb(store, "check").exit_code == 0
    assert top5(store) == expected


def test_a_reader_falls_back_to_the_generation_it_holds(
    clean: tuple[Path, list[list[str]]], tmp_path: Path, make_pdf
) -> None:  # type: ignore[no-untyped-def]
    """The app holds the clean generation; a later one is damaged after publish:
    the app keeps serving the clean one with a banner, and so does a new process."""
    source, expected = clean
    store = tmp_path / "store"
    shutil.copytree(source, store)
    app = Library(Settings.of(store_dir=store, embedder="hash", ocr=False))
    try:
        assert app.stats().chunks == 164 and app.notice is None
        extra = make_pdf([["An extra review about neglect and agencies."] * 5],
                         name="extra.pdf", folder=tmp_path / "more")
        assert kb(store, "ingest", str(extra), "--quiet").exit_code == 0
        _flip(_segment(store) / "vector_storage-dense" / "vectors" / "chunk_0.mmap")
        assert app.stats().chunks == 164  # the clean generation, still held
        assert app.notice is not None and "serving the earlier generation" in app.notice
        other = kb(store, "stats")
        assert other.exit_code == 0 and "chunks    164" in other.stdout
        assert "serving the earlier generation" in other.stderr
        assert top5(store) == expected
    finally:
        app.close()


def test_check_passes_on_a_clean_store_and_says_so_as_json(
    clean: tuple[Path, list[list[str]]]
) -> None:
    import json

    result = kb(clean[0], "check", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["documents"] == 12 and report["chunks"] == 164
    assert report["problems"] == []


def test_check_json_names_the_document_of_a_damaged_payload(
    clean: tuple[Path, list[list[str]]], tmp_path: Path
) -> None:
    import json

    store = tmp_path / "store"
    shutil.copytree(clean[0], store)
    DAMAGE["payload storage flipped"](store)
    report = json.loads(kb(store, "check", "--json").stdout)
    assert not report["ok"]
    subjects = [p["subject"] for p in report["problems"]]
    assert any(s.startswith("file ") and "payload storage" in s for s in subjects)
    assert any(s.startswith("document ") and s.endswith(".pdf") for s in subjects), subjects


def test_rebuild_embeds_every_document_again(
    clean: tuple[Path, list[list[str]]], tmp_path: Path
) -> None:
    store = tmp_path / "store"
    shutil.copytree(clean[0], store)
    before = _live(store).name
    result = kb(store, "ingest", str(FICTIONAL), "--quiet", "--rebuild", "--json")
    assert result.exit_code == 0, result.output
    assert '"added"' in result.stdout and result.stdout.count(".pdf") >= 12
    assert _live(store).name != before
    assert top5(store) == clean[1]


def test_an_unchanged_ingest_of_a_healthy_store_writes_nothing(
    clean: tuple[Path, list[list[str]]], tmp_path: Path
) -> None:
    store = tmp_path / "store"
    shutil.copytree(clean[0], store)
    before = _live(store).name
    result = kb(store, "ingest", str(FICTIONAL), "--quiet")
    assert result.exit_code == 0 and "unchanged 12" in result.stdout
    assert _live(store).name == before
    assert LiveEdgeStore(store, 384).notice is None
