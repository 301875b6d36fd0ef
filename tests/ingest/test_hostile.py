"""Hostile input: 30+ broken, malicious and oversized files, ingested beside good ones.

The set comes from ``tests/hostile.py`` and is ingested once per module with
the real Ingestor (HashEmbedder, Qdrant Edge in a temporary folder) under a
test-sized budget: 120 s and 1024 MB per file. Every file must be reported
with a one-line reason, every good file ingested, and nothing may crash. The
budget itself is checked in ``tests/parse/test_sandbox.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

import hostile
from hostile import ADDED, FAILED, SKIPPED, Expect
from kb.cli import print_ingest_report
from kb.config import Settings
from kb.embed.hashing import HashEmbedder
from kb.errors import ConfigError
from kb.ingest.run import Ingestor
from kb.records import Filters, IngestReport
from kb.retrieve.search import Searcher
from kb.store.edge import EdgeStore

pytestmark = pytest.mark.slow

BUDGET_MB = 1024
TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Run:
    folder: Path
    expect: dict[Path, Expect]
    report: IngestReport
    store_path: Path
    starts: int


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "inbox"
    expect = hostile.write_hostile_set(folder)
    settings = Settings.of(
        store_dir=root / ".kb", ocr=False, parse_timeout=TIMEOUT_S, parse_memory_mb=BUDGET_MB
    )
    store = EdgeStore(root / "edge", 384)
    try:
        ingestor = Ingestor(store, HashEmbedder(), settings.ingest, settings.parse)
        report = ingestor.run([folder])
    finally:
        store.close()
    return Run(folder, expect, report, root / "edge", ingestor.guard.starts)


@pytest.fixture
def store(run: Run):  # type: ignore[no-untyped-def]
    s = EdgeStore(run.store_path, 384, create=False)
    yield s
    s.close()


def outcomes(report: IngestReport) -> dict[str, tuple[str, str]]:
    out = {p: (ADDED, "") for p in report.added}
    out.update({f.path: (FAILED, f.reason) for f in report.failed})
    out.update({f.path: (SKIPPED, f.reason) for f in report.skipped})
    return out


# --------------------------------------------------------------------------- the set


def test_the_set_covers_the_issue(run: Run) -> None:
    hostile_files = [p for p, e in run.expect.items() if not p.name.startswith("good-review")]
    assert len(hostile_files) >= 30
    names = {p.name for p in run.expect}
    for required in (
        "truncated-half.pdf",
        "encrypted.pdf",
        "page-tree-bomb.pdf",
        "too-many-pages.pdf",
        "nested-arrays.pdf",
        "flate-bomb.pdf",
        "single-page-50mb.pdf",
        "zip-bomb.docx",
        "scripts-and-handlers.html",
        "random-bytes.pdf",
        "empty.pdf",
        hostile.NEWLINE_GOOD,
        hostile.NEWLINE_BAD,
        hostile.UNICODE_GOOD,
        "loop-a.pdf",
    ):
        assert required in names, required
    assert (run.folder / "single-page-50mb.pdf").stat().st_size >= 50 * 1024 * 1024
    assert (run.folder / "empty.pdf").stat().st_size == 0


def test_every_file_is_reported_as_expected(run: Run) -> None:
    got = outcomes(run.report)
    wrong = {}
    for path, want in run.expect.items():
        outcome, reason = got.pop(str(path), ("missing from the report", ""))
        if outcome != want.outcome or want.reason not in reason:
            wrong[path.name] = (outcome, reason, f"expected {want.outcome} {want.reason!r}")
    assert wrong == {}
    assert got == {}, "reported files that are not in the set"


def test_every_failure_has_a_one_line_reason(run: Run) -> None:
    for failure in [*run.report.failed, *run.report.skipped]:
        assert failure.reason.strip(), failure.path
        assert "\n" not in failure.reason and "\r" not in failure.reason, failure


def test_all_good_files_are_ingested_and_searchable(run: Run, store: EdgeStore) -> None:
    good = [p for p, e in run.expect.items() if e.outcome == ADDED]
    assert {str(p) for p in good} == set(run.report.added)
    assert {d.file for d in store.documents()} == {p.name for p in good}
    searcher = Searcher(store, HashEmbedder(), Settings.of(ocr=False).search)
    hits = searcher.search("a kite with a tartan tail in the garden", top_k=50)
    review_files = {p.name for p in good if "tartan" in " ".join(_texts(store, p.name))}
    assert {"good-review-a.pdf", "good-review-b.pdf", "good-review-c.docx", hostile.NEWLINE_GOOD,
            hostile.UNICODE_GOOD, hostile.MARKUP_GOOD} <= review_files
    # Files with the same text collapse into one hit that names the copies
    # ("also in"), so a file is found when a hit or one of its copies is it.
    found = {h.document.file for h in hits} | {
        str(c["doc"]) for h in hits for c in h.extra.get("also_in", ())
    }
    assert review_files <= found


def _texts(store: EdgeStore, file: str) -> list[str]:
    (doc,) = [d for d in store.documents() if d.file == file]
    return [c.text for c in store.chunks_of(doc.doc_id)]


def test_budgets_are_named_in_the_reasons(run: Run) -> None:
    got = outcomes(run.report)
    flate = got[str(run.folder / "flate-bomb.pdf")][1]
    assert f"{BUDGET_MB} MB" in flate
    zip_bomb = got[str(run.folder / "zip-bomb.docx")][1]
    assert "3,221 MB" in zip_bomb  # what the archive claims, so a person can see why
    # A bomb costs one worker and one restart, never the ingest.
    assert run.starts >= 2


def test_script_content_is_never_indexed(run: Run, store: EdgeStore) -> None:
    (doc,) = [d for d in store.documents() if d.file == "scripts-and-handlers.html"]
    text = " ".join(c.text for c in store.chunks_of(doc.doc_id))
    assert "lantern painted with herons" in text
    for code in ("document.cookie", "Injected by script", "onerror", "onclick", "javascript:",
                 "evil.example", "color: red"):
        assert code not in text, code
    # Markup written as text in the page is kept as text (the UI must escape it).
    assert '<script>alert("xss")</script>' in text


def test_passages_render_escaped_in_the_ui(run: Run, store: EdgeStore) -> None:
    ui = pytest.importorskip("kb.web.html")
    searcher = Searcher(store, HashEmbedder(), Settings.of(ocr=False).search)
    hits = searcher.search("whiteboard script alert xss lantern herons", top_k=20)
    hits += searcher.search("Child M kite tartan", top_k=20, filters=Filters(
        files=(hostile.MARKUP_GOOD,)))
    rendered: dict[str, str] = {}
    for h in hits:  # a file may have several passages: render them all
        html = ui.passage_html(h, "herons") + ui.card_header_html(1, h)
        rendered[h.document.file] = rendered.get(h.document.file, "") + html
    assert "scripts-and-handlers.html" in rendered and hostile.MARKUP_GOOD in rendered
    for html in rendered.values():
        assert "<script" not in html.lower()
        assert "<img" not in html.lower()
        assert "onerror=" not in html.lower() or "&lt;img" in html.lower()
    assert "&lt;script&gt;" in rendered["scripts-and-handlers.html"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered[hostile.MARKUP_GOOD]


def test_cli_report_is_one_line_per_file(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    print_ingest_report(run.report)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + len(run.report.failed) + len(run.report.skipped)
    assert any("bad\\nname\\rwith controls.pdf: not a PDF" in line for line in lines)
    assert any("\u540d\u524d\\t\u30bf\u30d6.pdf" in line for line in lines)


def test_a_second_run_changes_nothing(run: Run, tmp_path: Path) -> None:
    """The same folder again: good files unchanged, the same failures, same reasons."""
    store = EdgeStore(run.store_path, 384, create=False)
    try:
        settings = Settings.of(ocr=False, parse_timeout=TIMEOUT_S, parse_memory_mb=BUDGET_MB)
        again = Ingestor(store, HashEmbedder(), settings.ingest, settings.parse).run([run.folder])
        assert again.added == [] and again.updated == []
        assert sorted(again.unchanged) == sorted(run.report.added)
        # Reasons for the budget-bound files may differ in wording, not in outcome.
        assert {f.path for f in again.failed} == {f.path for f in run.report.failed}
    finally:
        store.close()


def test_manifest_with_path_traversal_is_refused(tmp_path: Path) -> None:
    from kb.sources import load_manifest

    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(hostile.PATH_TRAVERSAL_MANIFEST, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_manifest(manifest)
    message = str(info.value)
    assert "entry 2" in message and "'..'" in message
    assert "\n" not in message
