"""Browsing without a question (kb.retrieve.browse, kb.web.browse_view): a filter
and no question list the documents it admits, newest first, with honest counts.

Over the fictional corpus embedded with the hashing embedder (``hash_store``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from app_store import APP, hash_store
from kb.config import Settings
from kb.library import Library
from kb.records import Filters


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


def test_browse_counts_what_the_filters_count_newest_first(library: Library) -> None:
    for filters in (
        Filters(themes=("neglect",)),
        Filters(doc_types=("local_review",)),
        Filters(doc_types=("local_review",), themes=("neglect",), year_to=2023),
        Filters(kinds=("recommendation",)),
    ):
        groups = library.browse(filters)
        assert sum(g.matches for g in groups) == library.count(filters), filters
        assert len(groups) == library.count_documents(filters), filters
        years = [g.document.year or 0 for g in groups]
        assert years == sorted(years, reverse=True)
        for g in groups:
            assert 1 <= len(g.hits) <= 3
            assert all(h.document.doc_id == g.document.doc_id for h in g.hits)


def test_a_theme_and_no_question_lists_its_passages_with_a_chart(library: Library) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["theme"] = "neglect"
    at.run()
    assert not at.exception and not at.error
    filters = Filters(themes=("neglect",))
    head = [s.value for s in at.subheader if "newest first" in s.value]
    assert head, [s.value for s in at.subheader]
    found = re.match(r"([\d,]+) passages? in (\d+) documents?", head[0])
    assert found
    assert int(found.group(1).replace(",", "")) == library.count(filters)
    assert int(found.group(2)) == library.count_documents(filters)
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert charts, "the by-year chart"
    heads = [h.value for h in at.html if 'class="kb-card-head"' in h.value]
    assert len(heads) == library.count_documents(filters)


def test_a_click_on_a_year_s_bar_names_that_year() -> None:
    from kb.web.browse_view import chart_year

    assert chart_year({"selection": {"pick": [{"year": "2023"}]}}) == 2023
    for nothing in (None, {}, {"selection": {"pick": []}}, {"selection": {"pick": [{}]}}):
        assert chart_year(nothing) is None
