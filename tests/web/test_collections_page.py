"""kb.web.collections_page through the app (AppTest): notes, moves and exports.

Over the fictional corpus embedded with the hashing embedder (``hash_store``);
the collection is filled through ``kb.workspace.pinned`` as a pin would fill it.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_store import APP, hash_store
from kb.config import Settings
from kb.library import Library
from kb.web import state
from kb.workspace.pinned import Collections, PinnedPassage

TIMEOUT = 120
NAME = "Session on neglect"


@pytest.fixture
def pinned(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Collections]:
    env = hash_store(tmp_path_factory)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KB_APP_PASSWORD", raising=False)
    store = Path(env["KB_STORE_DIR"])
    shutil.rmtree(store / "collections", ignore_errors=True)
    library = Library(Settings.from_env())
    cols = library.collections()
    for hit in library.search("neglect", top_k=3):
        cols.pin(NAME, PinnedPassage.from_hit(hit, question="neglect"))
    library.close()
    yield cols
    shutil.rmtree(store / "collections", ignore_errors=True)
    state.clear_caches()


def collections_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["page"] = "Collections"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_a_note_and_a_move_are_saved_and_reach_the_exports(pinned: Collections) -> None:
    ids = [p.chunk_id for p in pinned.get(NAME).items]
    at = collections_page()
    notes = [t for t in at.text_area if t.label.startswith("Note")]
    assert len(notes) == 3
    notes[1].input("Ask: who knew about the *dog*?").run()
    at.button(key=f"up-{ids[2]}").click().run()
    saved = pinned.get(NAME)
    assert [p.chunk_id for p in saved.items] == [ids[0], ids[2], ids[1]]
    assert saved.items[2].note == "Ask: who knew about the *dog*?"
    assert at.button(key=f"up-{ids[0]}").disabled and at.button(key=f"down-{ids[1]}").disabled
    labels = [b.label for b in at.download_button]
    assert labels == ["Export Markdown", "Export Word (DOCX)", "Export CSV"]
    # The bytes the page serves, as built for this state of the collection.
    rows = list(
        csv.DictReader(
            io.StringIO(state.export_bytes(saved.digest(), "csv", _csv, saved).decode("utf-8"))
        )
    )
    assert [r["note"] for r in rows] == ["", "", "Ask: who knew about the *dog*?"]


def _csv(collection):  # type: ignore[no-untyped-def]
    from kb.workspace.export import to_csv

    return to_csv(collection)


def test_exports_are_built_once_per_state_of_the_collection(pinned: Collections) -> None:
    calls: list[str] = []

    def build(collection):  # type: ignore[no-untyped-def]
        calls.append(collection.name)
        return "x"

    col = pinned.get(NAME)
    assert state.export_bytes(col.digest(), "t", build, col) == b"x"
    again = pinned.get(NAME)  # read again from disk: same content, same digest
    assert state.export_bytes(again.digest(), "t", build, again) == b"x"
    assert calls == [NAME]
    changed = pinned.set_note(NAME, col.items[0].chunk_id, "new")
    state.export_bytes(changed.digest(), "t", build, changed)
    assert calls == [NAME, NAME]


def test_a_failed_export_says_so(pinned: Collections, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.web import collections_page as page

    def broken(collection):  # type: ignore[no-untyped-def]
        raise ValueError("the Word writer broke")

    monkeypatch.setattr(
        page, "EXPORTS", (*page.EXPORTS[:1], ("Export Word (DOCX)", broken, "brk", "x/y"))
    )
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["page"] = "Collections"
    at.run()
    assert [b.label for b in at.download_button] == ["Export Markdown"]
    assert any("Export Word (DOCX) failed" in e.value for e in at.error)
