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
        "type": ["Local review", "Rapid review analysis", "Annual report", "National review",
                 "Thematic review"],
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
