"""The kb command line through click's CliRunner, with KB_STORE_DIR in a temporary folder.

Only two commands load the real model (one ingest, one search, sharing a
module-scoped index); the rest never need it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import REVIEW_PAGES, write_pdf
from kb.cli import cli

HIT_KEYS = {
    "doc",
    "title",
    "page_start",
    "page_end",
    "heading",
    "text",
    "score",
    "publisher",
    "year",
    "doc_type",
}


def run(store_dir: Path, *args: str, **env: str) -> Result:
    environ: dict[str, str | None] = {
        "KB_STORE_DIR": str(store_dir),
        "QDRANT_URL": None,
        "KB_QDRANT_URL": None,
        **env,
    }
    return CliRunner().invoke(cli, list(args), env=environ, catch_exceptions=False)


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Result]:
    """One real ingest: a good review PDF and a garbage .pdf in the same folder."""
    root = tmp_path_factory.mktemp("cli")
    corpus = root / "corpus"
    write_pdf(corpus / "child-q-review.pdf", REVIEW_PAGES, title="Child Q Practice Review")
    (corpus / "broken.pdf").write_bytes(b"this is not a PDF\n" * 20)
    store_dir = root / ".kb"
    result = run(store_dir, "ingest", str(corpus))
    return store_dir, corpus, result


def test_stats_says_what_embeds_questions_and_passages(tmp_path: Path) -> None:
    # Read from the settings and the precision probe's cache: no model is loaded.
    result = run(tmp_path / ".kb", "stats", KB_MODEL_CACHE=str(tmp_path / "cache"))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "questions onnx auto (not measured on this machine yet)" in lines
    assert "passages  auto (torch or onnx fp32, not measured on this machine yet)" in lines
    forced = run(tmp_path / ".kb", "stats", KB_QUERY_ENCODER="torch", KB_PRECISION="fp32")
    assert "questions torch fp32" in forced.output.splitlines()
    assert "passages  torch fp32" in forced.output.splitlines()
    onnx = run(tmp_path / ".kb", "stats", KB_PASSAGE_ENCODER="onnx")
    assert "passages  onnx fp32 (packed)" in onnx.output.splitlines()


def test_stats_json_on_an_empty_store(tmp_path: Path) -> None:
    result = run(tmp_path / ".kb", "stats", "--json")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["documents"] == 0
    assert stats["pages"] == 0
    assert stats["chunks"] == 0
    assert stats["backend"] == "qdrant-edge"
    assert Path(stats["location"]).is_relative_to(tmp_path / ".kb")
    assert set(stats) == {"documents", "pages", "chunks", "location", "size_bytes", "backend"}


def test_store_option_overrides_the_environment(tmp_path: Path) -> None:
    result = run(tmp_path / "env", "--store", str(tmp_path / "flag"), "stats", "--json")
    assert result.exit_code == 0, result.output
    assert Path(json.loads(result.stdout)["location"]).is_relative_to(tmp_path / "flag")


@pytest.mark.parametrize(
    "args",
    [
        ["search"],  # missing QUESTION
        ["search", "neglect", "--top-k", "0"],
        ["search", "neglect", "--mode", "psychic"],
        ["search", "neglect", "--year-from", "last year"],
        ["frobnicate"],
        ["stats", "--no-such-flag"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = run(tmp_path / ".kb", *args)
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.stderr or "Error:" in result.stderr
    assert_no_traceback(result)


def test_bad_setting_is_a_one_line_error_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path / ".kb", "stats", KB_MAX_TOKENS="lots")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["kb: error: KB_MAX_TOKENS: expected a whole number, got 'lots'"]


@pytest.mark.slow
def test_ingest_with_a_bad_file_exits_1_and_names_it(
    ingested: tuple[Path, Path, Result],
) -> None:
    _, corpus, result = ingested
    assert result.exit_code == 1, result.output
    assert_no_traceback(result)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("added 1, updated 0, unchanged 0, removed 0, failed 1"), (
        result.stdout
    )
    failed = [ln for ln in lines if "failed:" in ln]
    assert failed == [f"  failed: {corpus / 'broken.pdf'}: not a PDF (no %PDF header)"]


@pytest.mark.slow
def test_ingest_json_second_run(ingested: tuple[Path, Path, Result]) -> None:
    store_dir, corpus, _ = ingested
    result = run(store_dir, "ingest", "--json", str(corpus))
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["unchanged"] == [str(corpus / "child-q-review.pdf")]
    assert summary["added"] == []
    assert summary["failed"] == [
        {"file": str(corpus / "broken.pdf"), "reason": "not a PDF (no %PDF header)"}
    ]

    stats = json.loads(run(store_dir, "stats", "--json").stdout)
    assert stats["documents"] == 1
    assert stats["pages"] == 3
    assert stats["chunks"] > 0


@pytest.mark.slow
def test_search_json_shape(ingested: tuple[Path, Path, Result]) -> None:
    store_dir, _, _ = ingested
    result = run(store_dir, "search", "--json", "--top-k", "3", "what was in the baby's cot?")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert isinstance(hits, list) and 1 <= len(hits) <= 3
    for hit in hits:
        assert set(hit) >= HIT_KEYS
        assert hit["doc"] == "child-q-review.pdf"
        assert isinstance(hit["page_start"], int) and isinstance(hit["score"], float)
    assert any("zebra-striped blanket" in h["text"] for h in hits)

    # Sparse mode needs no model; the filter still reaches the store.
    sparse = run(store_dir, "search", "--json", "--mode", "sparse", "zebra blanket")
    assert sparse.exit_code == 0
    assert "zebra-striped blanket" in json.loads(sparse.stdout)[0]["text"]
    filtered = run(
        store_dir, "search", "--json", "--mode", "sparse", "--type", "national_review", "zebra"
    )
    assert filtered.exit_code == 0
    assert json.loads(filtered.stdout) == []


# --------------------------------------------------------------------------- corrections

HASH = {"KB_EMBEDDER": "hash", "KB_OCR": "false", "KB_PARSE_TIMEOUT": "0"}


@pytest.fixture
def two_reviews(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    write_pdf(corpus / "child-a-review.pdf", REVIEW_PAGES, title="Child A Practice Review")
    other = [tuple(line.replace("Child", "Infant") for line in p) for p in REVIEW_PAGES]
    write_pdf(corpus / "infant-b-review.pdf", other, title="Infant B Practice Review")
    store = tmp_path / ".kb"
    assert run(store, "ingest", "--quiet", str(corpus), **HASH).exit_code == 0
    return store, corpus


def docs_json(store: Path) -> dict[str, dict[str, object]]:
    result = run(store, "docs", "--json", **HASH)
    return {str(d["file"]): d for d in json.loads(result.output)}


def test_edited_metadata_shows_in_docs_search_and_filters_and_survives_reingest(
    two_reviews: tuple[Path, Path],
) -> None:
    store, corpus = two_reviews
    edits = [
        "title=Child A: the corrected title",
        "publisher=Eastmarsh SCP",
        "year=2019",
        "type=thematic_review",
    ]
    args = [a for e in edits for a in ("--set", "child-a-review.pdf", e)]
    result = run(store, "docs", *args, **HASH)
    assert result.exit_code == 0, result.output
    assert "Child A: the corrected title" in result.output
    doc = docs_json(store)["child-a-review.pdf"]
    assert (doc["title"], doc["publisher"], doc["year"], doc["doc_type"]) == (
        "Child A: the corrected title",
        "Eastmarsh SCP",
        2019,
        "thematic_review",
    )
    found = run(
        store,
        "search",
        "--json",
        "--type",
        "thematic_review",
        "--year-to",
        "2019",
        "information sharing",
        **HASH,
    )
    hits = json.loads(found.output)
    assert hits and {h["title"] for h in hits} == {"Child A: the corrected title"}
    assert run(store, "ingest", "--quiet", str(corpus), **HASH).exit_code == 0
    assert docs_json(store)["child-a-review.pdf"]["publisher"] == "Eastmarsh SCP"
    # A new index from scratch: the sidecar alone brings the correction back.
    fresh = store.parent / "fresh"
    fresh.mkdir()
    (fresh / "overrides.json").write_bytes((store / "overrides.json").read_bytes())
    assert run(fresh, "ingest", "--quiet", str(corpus), **HASH).exit_code == 0
    assert docs_json(fresh)["child-a-review.pdf"]["year"] == 2019


def test_a_removed_document_is_gone_and_stays_gone_after_reingest(
    two_reviews: tuple[Path, Path],
) -> None:
    store, corpus = two_reviews
    result = run(store, "remove", "infant-b-review.pdf", "--yes", **HASH)
    assert result.exit_code == 0, result.output
    assert "removed infant-b-review.pdf" in result.output
    assert list(docs_json(store)) == ["child-a-review.pdf"]
    again = run(store, "ingest", "--quiet", str(corpus), **HASH)
    assert again.exit_code == 0 and "removed from the library" in again.output
    assert list(docs_json(store)) == ["child-a-review.pdf"]
    hits = json.loads(run(store, "search", "--json", "Infant", **HASH).output)
    assert all(h["doc"] != "infant-b-review.pdf" for h in hits)


def test_bad_corrections_are_usage_errors(two_reviews: tuple[Path, Path]) -> None:
    store, _ = two_reviews
    for args in (
        ("docs", "--set", "child-a-review.pdf", "colour=blue"),
        ("docs", "--set", "child-a-review.pdf", "year=soon"),
        ("docs", "--set", "child-a-review.pdf", "title="),
        ("docs", "--set", "nowhere.pdf", "year=2020"),
        ("remove", "nowhere.pdf", "--yes"),
    ):
        result = run(store, *args, **HASH)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("kb: error:")
        assert_no_traceback(result)
    assert not (store / "overrides.json").exists()
