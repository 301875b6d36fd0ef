"""kb.web.library_page through the app (AppTest): its counts and charts are the library's.

Over the fictional corpus embedded with the hashing embedder (``hash_store``);
uploading is tested on the real model's store in tests/test_app.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app_store import APP, hash_store
from kb.config import Settings
from kb.library import Library
from kb.web import html as ui


@pytest.fixture
def library(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Library]:
    for name, value in hash_store(tmp_path_factory).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KB_APP_PASSWORD", raising=False)
    library = Library(Settings.from_env())
    yield library
    library.close()


def chart_data(chart: Any) -> dict[str, list[Any]]:
    """The table a Streamlit chart element was drawn from."""
    import pyarrow as pa

    (dataset,) = chart.proto.datasets
    return dict(pa.ipc.open_stream(dataset.data.data).read_all().to_pydict())


def library_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["page"] = "Library"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_metrics_are_the_library_s_stats(library: Library) -> None:
    stats = library.stats()
    metrics = {m.label: m.value for m in library_page().metric}
    assert metrics == {
        "Documents": f"{stats.documents:,}",
        "Pages": f"{stats.pages:,}",
        "Passages": f"{stats.chunks:,}",
    }
    assert stats.chunks == sum(d.n_chunks for d in library.documents())


def test_charts_count_documents_by_type_and_by_year(library: Library) -> None:
    at = library_page()
    headings = [m.value for m in at.markdown]
    assert "**Documents by type**" in headings and "**Documents by year**" in headings
    by_type, by_year = (chart_data(c) for c in at.get("vega_lite_chart"))
    assert by_type == {
        "type": [
            "Local review",
            "Rapid review analysis",
            "Annual report",
            "National review",
            "Thematic review",
        ],
        "documents": [7, 2, 1, 1, 1],
    }
    assert by_type["type"] == [ui.doc_type_label(t) for t in library.stats().by_type]
    assert by_year == {
        "year": ["2019", "2020", "2021", "2022", "2023", "2024", "2025"],
        "documents": [1, 1, 1, 2, 3, 2, 2],
    }


def test_the_table_lists_every_document(library: Library) -> None:
    at = library_page()
    (table,) = at.dataframe
    assert sorted(table.value["File"]) == sorted(d.file for d in library.documents())
    assert set(table.value["Type"]) == {ui.doc_type_label(t) for t in library.stats().by_type}


@pytest.fixture
def private(
    tmp_path: Any, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Library]:
    """A private copy of the hash store: these tests change it."""
    from pathlib import Path

    from app_store import copy_store
    from kb.web import state

    env = hash_store(tmp_path_factory)
    store = copy_store(Path(env["KB_STORE_DIR"]), tmp_path / "store")
    for name, value in {**env, "KB_STORE_DIR": str(store)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KB_APP_PASSWORD", raising=False)
    library = Library(Settings.from_env())
    yield library
    library.close()
    state.clear_caches()


def test_a_document_s_metadata_is_corrected_from_the_library_page(private: Library) -> None:
    doc = private.documents()[0]
    at = library_page()
    at.selectbox(key="edit_doc").set_value(doc.doc_id).run()
    by_label = {w.label: w for w in [*at.text_input, *at.selectbox]}
    by_label["Title"].set_value("A corrected title")
    by_label["Year"].set_value("2018")
    by_label["Type"].set_value("thematic_review")
    submit = [b for b in at.button if b.label == "Save changes"]
    submit[0].click().run()
    assert not at.error, [e.value for e in at.error]
    edited = {d.doc_id: d for d in private.documents()}[doc.doc_id]
    assert (edited.title, edited.year, edited.doc_type) == (
        "A corrected title",
        2018,
        "thematic_review",
    )
    table = at.dataframe[0].value
    assert "A corrected title" in list(table["Title"])


def test_a_document_is_removed_from_the_library_page(private: Library) -> None:
    before = private.documents()
    doc = before[-1]
    at = library_page()
    at.selectbox(key="edit_doc").set_value(doc.doc_id).run()
    at.checkbox(key="remove_ok").check().run()
    at.button(key="remove_doc").click().run()
    assert not at.error, [e.value for e in at.error]
    assert doc.doc_id not in {d.doc_id for d in private.documents()}
    assert at.metric[0].value == f"{len(before) - 1:,}"
