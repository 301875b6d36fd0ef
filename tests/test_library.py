"""kb.library's Library over a real store of the fictional corpus (hashing embedder),
and kb's public face (``from kb import ...``).

The fictional PDFs come with ``metadata.csv``: twelve documents, seven local
reviews (one each in 2019, 2020 and 2022, two in 2023, one each in 2024 and
2025), rapid review analyses from 2021 and 2025, a thematic review from 2023,
an annual report from 2022 and a national review from 2024.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import write_pdf
from fictional_library import FICTIONAL, TAXONOMY, fictional_library
from kb.config import Settings
from kb.embed.hashing import HashEmbedder
from kb.enrich.taxonomy import load_taxonomy
from kb.errors import KbError, RenderError
from kb.library import Library, Precedents
from kb.records import Filters

QUESTION = "What did reviews find about neglect and parental substance use?"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    library, report = fictional_library(tmp_path_factory.mktemp("library"))
    assert report.failed == [] and len(report.added) == 12
    yield library
    library.close()


def docs_with_theme(library: Library, theme: str) -> set[str]:
    """The documents that hold a passage tagged ``theme``, read passage by passage."""
    return {
        d.doc_id
        for d in library.documents()
        if any(theme in c.themes for c in library.chunks_of(d.doc_id))
    }


# --------------------------------------------------------------------------- stats


def test_stats_count_documents_by_type_and_year(library: Library) -> None:
    stats = library.stats()
    assert stats.documents == 12
    assert stats.by_type == {
        "local_review": 7,
        "rapid_review_analysis": 2,
        "annual_report": 1,
        "national_review": 1,
        "thematic_review": 1,
    }
    assert list(stats.by_type) == [
        "local_review", "rapid_review_analysis", "annual_report", "national_review",
        "thematic_review",
    ]  # most first, then by name
    assert stats.by_year == {
        "2019": 1, "2020": 1, "2021": 1, "2022": 2, "2023": 3, "2024": 2, "2025": 2,
    }
    assert list(stats.by_year) == sorted(stats.by_year)  # oldest first
    assert sum(stats.by_type.values()) == sum(stats.by_year.values()) == stats.documents


def test_stats_to_dict_keeps_the_cli_keys(library: Library) -> None:
    data = library.stats().to_dict()
    assert set(data) == {"documents", "pages", "chunks", "location", "size_bytes", "backend"}
    assert data["documents"] == 12 and data["backend"] == "qdrant-edge"


def test_documents_without_a_year_count_as_unknown_and_come_last(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # Plain text carries no creation date for kb to take a year from.
    (corpus / "undated.txt").write_text(
        "Notes on a visit to a family.\n\nThe notes give no date.\n", encoding="utf-8"
    )
    write_pdf(corpus / "dated.pdf", ["Notes on a visit.\n\nWritten in March 2021."])
    (corpus / "metadata.csv").write_text("file,year\ndated.pdf,2021\n", encoding="utf-8")
    library = Library(
        Settings.of(store_dir=tmp_path / ".kb", ocr=False, parse_timeout=0), embedder=HashEmbedder()
    )
    try:
        report = library.ingest([corpus])
        assert len(report.added) == 2, report.to_dict()
        by_year = library.stats().by_year
    finally:
        library.close()
    assert list(by_year.items()) == [("2021", 1), ("unknown", 1)], by_year


# --------------------------------------------------------------------------- counting


def test_count_documents_under_filters(library: Library) -> None:
    assert library.count_documents() == library.count_documents(Filters()) == 12
    assert library.count_documents(Filters(doc_types=("thematic_review",))) == 1
    assert library.count_documents(Filters(doc_types=("local_review",))) == 7
    assert library.count_documents(Filters(year_from=2024)) == 4
    assert library.count_documents(Filters(year_from=2020, year_to=2021)) == 2
    assert library.count_documents(Filters(publishers=("Nobody at all",))) == 0


def test_count_documents_follows_a_theme_filter(library: Library) -> None:
    """Themes tag passages, so a document counts when any of its passages has the
    theme: the sidebar's "N passages in M documents" must not say 12."""
    tagged = library.facets(None, Filters())["themes"]
    # A theme some documents have and others lack, so the filter has to narrow.
    theme = next(t for t in tagged if 0 < len(docs_with_theme(library, str(t))) < 12)
    filters = Filters(themes=(str(theme),))
    expected = docs_with_theme(library, str(theme))
    assert library.count_documents(filters) == len(expected)
    assert library.count_documents(filters) <= library.count(filters)
    narrowed = Filters(themes=(str(theme),), doc_types=("local_review",))
    local = {d.doc_id for d in library.documents() if d.doc_type == "local_review"}
    assert library.count_documents(narrowed) == len(expected & local)


# --------------------------------------------------------------------------- precedents


def test_precedents_are_one_group_per_review_best_first(library: Library) -> None:
    found = library.precedents(QUESTION)
    assert isinstance(found, Precedents)
    result = library.retrieve(QUESTION, top_k=40)
    assert found.no_match == result.no_match
    doc_ids = [g.document.doc_id for g in found.groups]
    assert len(doc_ids) >= 2 and len(doc_ids) == len(set(doc_ids))
    assert set(doc_ids) == {h.document.doc_id for h in result.hits}
    assert sum(g.matches for g in found.groups) == len(result.hits)
    scores = [g.score for g in found.groups]
    assert scores == sorted(scores, reverse=True)
    for group in found.groups:
        assert 1 <= len(group.hits) <= 3 and len(group.hits) <= group.matches
        assert {h.document.doc_id for h in group.hits} == {group.document.doc_id}
        hit_scores = [h.score for h in group.hits]
        assert hit_scores == sorted(hit_scores, reverse=True)


def test_precedents_take_filters_top_k_and_per_doc(library: Library) -> None:
    found = library.precedents(
        QUESTION, filters=Filters(doc_types=("local_review",)), top_k=10, per_doc=1
    )
    assert found.groups
    assert all(g.document.doc_type == "local_review" for g in found.groups)
    assert all(len(g.hits) == 1 for g in found.groups)
    assert sum(g.matches for g in found.groups) <= 10


# --------------------------------------------------------------------------- themes


def test_theme_labels_come_from_the_taxonomy_in_its_order(library: Library) -> None:
    labels = library.theme_labels()
    themes = load_taxonomy(TAXONOMY).themes
    assert list(labels.items()) == [(t.id, t.label) for t in themes]
    assert labels["neglect"] == "Neglect"


def test_theme_labels_are_empty_without_a_taxonomy(tmp_path: Path) -> None:
    missing = Library(Settings.of(store_dir=tmp_path / ".kb", taxonomy_path=tmp_path / "no.yaml"))
    assert missing.theme_labels() == {}
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: [1\n", encoding="utf-8")
    broken_library = Library(Settings.of(store_dir=tmp_path / ".kb", taxonomy_path=broken))
    assert broken_library.theme_labels() == {}
    assert not (tmp_path / ".kb").exists()  # reading labels never opens the store


# --------------------------------------------------------------------------- pages


def test_page_image_marks_the_passage_on_its_pdf_page(library: Library) -> None:
    doc = next(d for d in library.documents() if d.n_pages >= 2)
    chunk = next(c for c in library.chunks_of(doc.doc_id) if c.page_start == c.page_end)
    assert library.can_show_page(doc.path)
    image = library.page_image(doc.path, chunk.page_start, chunk.text)
    assert image.png.startswith(b"\x89PNG")
    assert image.page == chunk.page_start and image.n_pages == doc.n_pages
    assert image.highlighted > 0
    plain = library.page_image(doc.path, chunk.page_start)
    assert plain.highlighted == 0
    with pytest.raises(RenderError, match=f"no page {doc.n_pages + 1}"):
        library.page_image(doc.path, doc.n_pages + 1)


def test_can_show_page_only_for_a_pdf_that_is_there(library: Library, tmp_path: Path) -> None:
    note = tmp_path / "note.docx"
    note.write_bytes(b"PK")
    assert not library.can_show_page(note)
    assert not library.can_show_page(tmp_path / "gone.pdf")
    with pytest.raises(KbError):
        library.page_image(tmp_path / "gone.pdf", 1)


# --------------------------------------------------------------------------- the rest


def test_generation_changes_with_each_ingest(tmp_path: Path) -> None:
    settings = Settings.of(store_dir=tmp_path / ".kb", ocr=False, parse_timeout=0)
    library = Library(settings, embedder=HashEmbedder())
    try:
        assert library.generation() is None  # nothing published yet
        write_pdf(tmp_path / "a.pdf", ["A first note about a home visit."])
        library.ingest([tmp_path / "a.pdf"])
        first = library.generation()
        write_pdf(tmp_path / "b.pdf", ["A second note about a school meeting."])
        library.ingest([tmp_path / "b.pdf"])
        second = library.generation()
    finally:
        library.close()
    assert isinstance(first, str) and isinstance(second, str) and first != second
    server = Library(Settings.of(store_dir=tmp_path / ".kb", qdrant_url="http://localhost:9"))
    assert server.generation() is None  # a server has no generations (and is not asked)


def test_collections_live_beside_the_library(tmp_path: Path) -> None:
    library = Library(Settings.of(store_dir=tmp_path / ".kb"))
    made = library.collections().create("Panel notes")
    assert library.collections().names() == [made.name]
    assert (tmp_path / ".kb" / "collections").is_dir()


# --------------------------------------------------------------------------- kb's public face


def test_public_names_are_the_library_s_own() -> None:
    import importlib

    import kb

    assert "Library" in kb.__all__ and "Filters" in kb.__all__ and "KbError" in kb.__all__
    assert sorted(kb.__all__) == sorted(kb._HOMES)
    for name in kb.__all__:
        value = getattr(kb, name)
        home = importlib.import_module(kb._HOMES[name])
        assert value is getattr(home, name), name
    assert set(kb.__all__) <= set(dir(kb))
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = kb.no_such_name  # type: ignore[attr-defined]
    from kb import Filters as PublicFilters

    assert PublicFilters is Filters


def test_importing_a_subpackage_does_not_import_the_library() -> None:
    """The parse sandbox's worker imports kb.parse; kb's public face must not pull
    in the library, the store, the model or Streamlit behind it."""
    code = (
        "import sys, kb.parse.sandbox\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('kb', 'streamlit', 'torch', 'qdrant_edge', 'qdrant_client'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert "kb.parse.sandbox" in out
    inside = [m.split(".")[1] for m in out if m.startswith("kb.")]
    # Core and parse only: no library, store, model, search or app.
    assert set(inside) <= {"config", "errors", "records", "text", "files", "parse"}, out
    assert not [m for m in out if not m.startswith("kb")], out


def test_an_ingest_that_compacts_as_it_goes_loses_nothing(library: Library, tmp_path: Path) -> None:
    """``KB_COMPACT_EVERY`` (bounded memory for a national corpus): the same samples
    ingested with a compaction every 40 passages give the same library."""
    settings = library.settings.with_(store_dir=tmp_path / ".kb", compact_every=40)
    compacted = Library(settings, embedder=HashEmbedder())
    try:
        report = compacted.ingest([FICTIONAL])
        assert not report.failed
        import json

        from kb.store import generations

        live = generations.current(settings.store.store_dir)
        assert live is not None
        config = json.loads((live / "edge_config.json").read_text())
        assert config["optimizers"]["max_segment_size"] == 80_000  # EdgeTuning.bounded's
        assert compacted.stats().chunks == library.stats().chunks >= 4 * 40
        assert {d.doc_id for d in compacted.documents()} == {d.doc_id for d in library.documents()}
        for question in ("safer sleep advice", "information sharing between agencies"):
            assert [h.chunk.chunk_id for h in compacted.search(question, top_k=5)] == [
                h.chunk.chunk_id for h in library.search(question, top_k=5)
            ]
    finally:
        compacted.close()
