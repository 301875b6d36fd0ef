"""kb.web.frame: the frame of every page, through the app (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_store import APP, hash_store
from kb.web.frame import LAYOUTS
from kb.web.sidebar import PAGES


def test_every_page_in_the_sidebar_has_a_layout() -> None:
    assert set(LAYOUTS) == set(PAGES)


def test_a_library_that_cannot_be_opened_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "damaged"
    store.mkdir()
    (store / "CURRENT").write_text("../../somewhere else\n", encoding="utf-8")
    monkeypatch.setenv("KB_STORE_DIR", str(store))
    monkeypatch.setenv("KB_EMBEDDER", "hash")
    monkeypatch.delenv("KB_APP_PASSWORD", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("The library can't be opened: "), errors
    assert "damaged" in errors[0]
    assert not at.text_input  # the run stopped before any page


@pytest.mark.parametrize("page", PAGES)
def test_each_page_opens_under_its_own_title(
    page: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in hash_store(tmp_path_factory).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KB_APP_PASSWORD", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["page"] = page
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="page").value == page
    titles = {
        "Ask": "Ask the library",
        "Similar cases": "Similar cases",
        "Learning": "Learning",
        "Collections": "Collections",
        "Library": "Library",
    }
    assert [t.value for t in at.title] == [titles[page]]


def test_a_message_from_the_last_click_is_shown_once(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in hash_store(tmp_path_factory).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KB_APP_PASSWORD", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.text_input(key="new_collection_name").set_value("   ").run()
    at.button(key="create_collection").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1  # kb's reason the name can't be used, escaped
    at.run()
    assert not at.error
