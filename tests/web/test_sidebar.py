"""kb.web.sidebar through the app (AppTest): the counts it shows, and links it reads.

Over the fictional corpus embedded with the hashing embedder (``hash_store``):
these tests are about what the sidebar counts and keeps in the URL, not about
which passages answer a question.
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

TIMEOUT = 120


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return hash_store(tmp_path_factory)


@pytest.fixture
def library(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Library]:
    """A reader of the app's store (the app opens its own), for the expected numbers."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KB_APP_PASSWORD", raising=False)
    library = Library(Settings.from_env())
    yield library
    library.close()


def run(**params: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def match_line(at: AppTest) -> tuple[int, int]:
    """(passages, documents) from the sidebar's "N passages in M documents" line."""
    lines = [m.value for m in at.sidebar.markdown if "match these filters" in m.value]
    assert len(lines) == 1, lines
    found = re.fullmatch(
        r"\*\*([\d,]+) passages\*\* in (\d+) documents? match these filters\.", lines[0]
    )
    assert found, lines[0]
    return int(found.group(1).replace(",", "")), int(found.group(2))


def test_without_filters_the_sidebar_counts_the_whole_library(library: Library) -> None:
    at = run()
    stats = library.stats()
    captions = [c.value for c in at.sidebar.caption]
    assert f"{stats.documents} documents · {stats.pages:,} pages" in captions[0]
    assert f"Searching all {library.count():,} passages." in captions
    assert not [m for m in at.sidebar.markdown if "match these filters" in m.value]


def test_a_theme_filter_counts_only_the_documents_its_passages_are_in(library: Library) -> None:
    """The app issue's defect: with a theme chosen, the sidebar said "56 passages
    in 23 documents", counting every document the other filters allowed."""
    docs = library.documents()
    with_theme = {
        t: {d.doc_id for d in docs if any(t in c.themes for c in library.chunks_of(d.doc_id))}
        for t in library.theme_labels()
    }
    theme = next(t for t, ids in with_theme.items() if 0 < len(ids) < len(docs))
    at = run(theme=theme)
    assert at.multiselect(key="theme").value == [theme]
    passages, documents = match_line(at)
    assert passages == library.count(Filters(themes=(theme,)))
    assert documents == len(with_theme[theme]) < len(docs)


def test_type_and_theme_filters_count_together(library: Library) -> None:
    filters = Filters(doc_types=("local_review",), themes=("neglect",))
    at = run(type="local_review", theme="neglect")
    assert match_line(at) == (library.count(filters), library.count_documents(filters))
    at.multiselect(key="theme").set_value([]).run()
    assert match_line(at) == (library.count(Filters(doc_types=("local_review",))), 7)


def test_a_hand_edited_link_keeps_only_what_the_library_has(library: Library) -> None:
    at = run(type=["local_review", "made_up_type"], year_from="soon", year_to="2023")
    assert at.multiselect(key="type").value == ["local_review"]
    assert at.slider(key="years").value == (2019, 2023)
    assert at.query_params["type"] in ("local_review", ["local_review"])  # the made-up one goes
    assert "year_from" not in at.query_params  # unreadable: the range starts at its bound
    assert at.query_params["year_to"] in ("2023", ["2023"])
    filters = Filters(doc_types=("local_review",), year_to=2023)
    assert match_line(at) == (library.count(filters), library.count_documents(filters))


def test_theme_options_are_labelled_from_the_taxonomy(library: Library) -> None:
    at = run()
    labels = library.theme_labels()
    options = at.multiselect(key="theme").options
    assert len(options) == len(labels)
    assert any(o.startswith(f"{labels['neglect']} (") for o in options), options


def test_filter_labels_count_documents(library: Library) -> None:
    at = run()
    labels = library.theme_labels()
    n = library.count_documents(Filters(themes=("neglect",)))
    options = at.multiselect(key="theme").options
    assert f"{labels['neglect']} ({n} document{'s' if n != 1 else ''})" in options
    local = sum(d.doc_type == "local_review" for d in library.documents())
    assert f"Local review ({local} documents)" in at.multiselect(key="type").options


def test_the_filters_in_force_are_shown_above_the_answer_and_clear_in_one_click(
    library: Library,
) -> None:
    at = run(q="neglect", type="local_review", theme="neglect", kind="recommendation")
    said = [m.value for m in at.main.markdown if m.value.startswith("**Filtered by**")]
    assert len(said) == 1
    assert "Local review" in said[0] and library.theme_labels()["neglect"] in said[0]
    assert "recommendations only" in said[0]
    assert at.toggle(key="recommendations").value is True
    at.button(key="clear_filters").click().run()
    assert at.multiselect(key="type").value == [] and at.multiselect(key="theme").value == []
    assert at.toggle(key="recommendations").value is False
    assert not [m for m in at.main.markdown if m.value.startswith("**Filtered by**")]
    assert set(at.query_params) <= {"q", "page", "view"}
    assert any(c.value.startswith("Searching all") for c in at.sidebar.caption)


def test_an_ask_button_sits_beside_the_question() -> None:
    at = run()
    assert at.button(key="ask").label == "Ask"
    at.text_input(key="q").set_value("neglect")
    at.button(key="ask").click().run()
    assert at.text_input(key="q").value == "neglect"
    assert not [c for c in at.main.caption if c.value.startswith("Ask in your own words")]


def test_the_filters_in_force_read_as_a_reader_would_say_them() -> None:
    from kb.web.active_filters import describe

    names = {"neglect": "Neglect"}
    assert describe(Filters(), names) == []
    assert describe(Filters(themes=("neglect", "other")), names) == ["theme: Neglect, other"]
    assert describe(Filters(year_from=2021, year_to=2023), names) == ["years 2021–2023"]
    assert describe(Filters(year_from=2025, year_to=2025), names) == ["2025"]
    assert describe(Filters(year_from=2025), names) == ["from 2025"]
    assert describe(Filters(year_to=2020, kinds=("recommendation",)), names) == [
        "up to 2020",
        "recommendations only",
    ]
