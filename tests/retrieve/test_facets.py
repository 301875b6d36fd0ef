"""Facets and filters over a real store of the fictional corpus (hashing embedder).

The fictional PDFs come with ``metadata.csv``, so their types, publishers and
years are known: twelve documents, one year or more in each of 2019 to 2025 -
seven local reviews (2019 to 2025), rapid review analyses from 2021 and 2025, a
thematic review from 2023, an annual report from 2022 and a national review
from 2024.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from fictional_library import fictional_library
from kb.cli import cli
from kb.library import Library
from kb.records import Filters


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, Path]]:
    root = tmp_path_factory.mktemp("facets")
    library, report = fictional_library(root)
    assert report.failed == [] and len(report.added) == 12
    yield library, root
    library.close()


@pytest.fixture
def library(built: tuple[Library, Path]) -> Library:
    return built[0]


def run_cli(built: tuple[Library, Path], *args: str) -> str:
    library, root = built
    library.close()  # the CLI opens the store itself
    env = {"KB_TAXONOMY_PATH": str(library.settings.ingest.taxonomy_path), "KB_PARSE_TIMEOUT": "0"}
    result = CliRunner().invoke(cli, ["--store", str(root / ".kb"), *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_filter_facets_count_every_matching_passage(library: Library) -> None:
    counts = library.facets(None, Filters())
    assert set(counts) == {"themes", "doc_type", "publisher", "year"}
    total = library.count(Filters())
    assert sum(counts["doc_type"].values()) == total
    assert sum(counts["year"].values()) == total
    assert set(counts["doc_type"]) == {
        "local_review", "thematic_review", "rapid_review_analysis", "national_review",
        "annual_report",
    }
    assert set(counts["year"]) == set(range(2019, 2026))
    assert list(counts["year"]) == list(range(2025, 2018, -1))  # newest first
    for doc_type, n in counts["doc_type"].items():
        assert n == library.count(Filters(doc_types=(doc_type,)))
    for theme, n in counts["themes"].items():
        assert n == library.count(Filters(themes=(theme,)))


def test_filter_facets_respect_the_filter(library: Library) -> None:
    counts = library.facets(None, Filters(year_from=2024))
    assert set(counts["year"]) == {2024, 2025}
    assert "thematic_review" not in counts["doc_type"]  # 2023
    assert "annual_report" not in counts["doc_type"]  # 2022
    assert sum(counts["year"].values()) == library.count(Filters(year_from=2024))


def test_query_facets_count_the_top_hits(library: Library) -> None:
    counts = library.facets("neglect and parental substance use", Filters(), top_n=20)
    assert sum(counts["doc_type"].values()) == 20
    assert "neglect" in counts["themes"]
    narrowed = library.facets("neglect", Filters(doc_types=("thematic_review",)), top_n=20)
    assert set(narrowed["doc_type"]) == {"thematic_review"}


def test_recommendations_are_typed_chunks(library: Library) -> None:
    recs = library.count(Filters(kinds=("recommendation",)))
    assert 5 <= recs < library.count(Filters()) / 2
    hits = library.search(
        "information sharing", filters=Filters(kinds=("recommendation",)), top_k=10
    )
    assert hits and all(h.chunk.kind == "recommendation" for h in hits)
    assert len({h.document.file for h in hits}) >= 3  # across documents
    # kb.recommend types recommendation *and* learning passages as "recommendation";
    # the corpus words them both ways ("Recommendation 2:", "Learning point 3:").
    assert all(re.search(r"Recommendation|Learning point \d", h.chunk.text) for h in hits)
    assert sum("Recommendation" in h.chunk.text for h in hits) >= len(hits) / 2


def test_search_filters_by_theme_type_and_year(built: tuple[Library, Path]) -> None:
    """`kb search ... --theme --type --year-from` returns only passages meeting all three,
    while the same search unfiltered returns passages that fail each one."""
    question = "police attended a domestic incident but did not tell the school"
    unfiltered = json.loads(run_cli(built, "search", question, "--top-k", "40", "--json"))
    assert any("agency_police" not in h["themes"] for h in unfiltered)
    assert any(h["doc_type"] != "local_review" for h in unfiltered)
    assert any(h["year"] < 2023 for h in unfiltered)
    filtered = json.loads(
        run_cli(
            built, "search", question, "--theme", "agency_police", "--type", "local_review",
            "--year-from", "2023", "--top-k", "40", "--json",
        )
    )
    assert filtered
    for hit in filtered:
        assert "agency_police" in hit["themes"]
        assert hit["doc_type"] == "local_review"
        assert hit["year"] >= 2023


def test_cli_facets_prints_counts_by_theme_type_and_year(built: tuple[Library, Path]) -> None:
    out = run_cli(built, "facets", "neglect")
    assert "top 100 passages for 'neglect'" in out
    for section in ("\nthemes\n", "\ndoc_type\n", "\npublisher\n", "\nyear\n"):
        assert section in out
    assert "thematic_review" in out and "2023" in out
    data = json.loads(run_cli(built, "facets", "--type", "local_review", "--json"))
    assert set(data["facets"]["doc_type"]) == {"local_review"}
    assert data["query"] is None


def test_cli_docs_lists_documents_with_counts(built: tuple[Library, Path]) -> None:
    data = json.loads(run_cli(built, "docs", "--json"))
    assert len(data) == 12
    assert all(d["n_pages"] > 0 and d["n_chunks"] > 0 and d["fictional"] for d in data)
    willow = next(d for d in data if d["file"] == "northvale-lcspr-baby-willow.pdf")
    assert (willow["year"], willow["doc_type"]) == (2024, "local_review")
    text = run_cli(built, "docs")
    assert "Local Child Safeguarding Practice Review: Baby Willow" in text
    assert "12 documents" in text
