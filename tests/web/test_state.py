"""kb.web.state: the app's caches answer what the library answers, and an ingest
(by this process or by `kb ingest` in another) makes them stale.

Called directly, outside a running app: Streamlit's caches then keep their
entries in memory, as they do inside one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app_store import copy_store, hash_store
from conftest import REVIEW_PAGES, write_pdf
from kb.config import Settings
from kb.embed.hashing import HashEmbedder
from kb.library import Library
from kb.records import Filters
from kb.web import state

QUESTION = "What did reviews find about neglect and parental substance use?"


@pytest.fixture
def store(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A private copy of the hash store (these tests add documents), as the app's library."""
    env = hash_store(tmp_path_factory)
    private = copy_store(Path(env["KB_STORE_DIR"]), tmp_path / "store")
    for name, value in {**env, "KB_STORE_DIR": str(private)}.items():
        monkeypatch.setenv(name, value)
    yield private
    state.clear_caches()


def ingest_elsewhere(store: Path, pdf: Path) -> None:
    """What `kb ingest` in another process does: a new generation, published."""
    settings = Settings.of(store_dir=store, ocr=False, parse_timeout=0)
    library = Library(settings, embedder=HashEmbedder())
    try:
        assert len(library.ingest([pdf]).added) == 1
    finally:
        library.close()


def test_the_library_is_opened_once_per_store(store: Path) -> None:
    assert state.lib() is state.lib()
    assert state.lib().settings.store.store_dir == store
    assert state.library_key(state.settings()).startswith(str(store.resolve()))


def test_data_key_changes_when_the_library_does(store: Path, tmp_path: Path) -> None:
    before = state.data_key()
    assert state.data_key() == before
    listed = state.documents(before)
    ingest_elsewhere(store, write_pdf(tmp_path / "child-q.pdf", [list(p) for p in REVIEW_PAGES]))
    after = state.data_key()
    assert after != before
    assert state.documents(before) == listed  # what was cached under the old key
    assert len(state.documents(after)) == len(listed) + 1  # a new key asks the library


def test_clear_caches_forgets_counts_an_ingest_changed(store: Path, tmp_path: Path) -> None:
    key = state.data_key()
    counted = state.passage_count(key, Filters())
    documents = state.document_count(key, Filters())
    ingest_elsewhere(store, write_pdf(tmp_path / "child-q.pdf", [list(p) for p in REVIEW_PAGES]))
    assert state.passage_count(key, Filters()) == counted  # cached under the old key
    state.clear_caches()
    assert state.passage_count(key, Filters()) > counted
    assert state.document_count(key, Filters()) == documents + 1
    assert state.stats(key).documents == documents + 1


def test_the_caches_answer_what_the_library_answers(store: Path) -> None:
    key, library = state.data_key(), state.lib()
    filters = Filters(themes=("neglect",))
    assert state.document_count(key, filters) == library.count_documents(filters)
    assert state.passage_count(key, filters) == library.count(filters)
    assert state.stats(key).by_year == library.stats().by_year
    assert state.theme_labels() == library.theme_labels() != {}
    assert state.facets(key) == library.facets(None, Filters())
    cached = state.precedents(key, QUESTION, Filters())
    found = library.precedents(QUESTION, top_k=state.GROUP_TOP_K, per_doc=state.PER_REVIEW)
    assert cached == found
    assert state.ask(key, QUESTION, Filters()) == library.ask(QUESTION, top_k=state.TOP_K)


def test_page_images_and_files_come_from_the_document(store: Path) -> None:
    doc = next(d for d in state.documents(state.data_key()) if d.path)
    image = state.page_image(doc.path, 1, "")
    assert image.png.startswith(b"\x89PNG") and image.page == 1
    assert state.file_bytes(doc.path) == Path(doc.path).read_bytes()


def test_collections_are_the_library_s(store: Path) -> None:
    state.collections().create("Session on neglect")
    assert Library(Settings.of(store_dir=store)).collections().names() == ["Session on neglect"]


def test_warm_up_opens_the_library_in_the_background_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The server's start opens the library in a thread; until it is open the
    page knows (``library_ready``) and waits for it instead of drawing nothing."""
    import threading

    monkeypatch.setenv("KB_STORE_DIR", str(tmp_path / "warm"))
    release = threading.Event()
    opened: list[str] = []

    def slow_library(settings: Settings, key: str) -> str:
        release.wait(10)
        opened.append(key)
        return "the library"

    monkeypatch.setattr(state, "library", slow_library)
    monkeypatch.setattr(state, "_WARMING", {})
    assert state.library_ready()  # nothing started: the page opens it itself, as before
    state.warm_up()
    state.warm_up()  # idempotent: one thread, one library
    assert not state.library_ready()
    release.set()
    state.wait_for_library()
    assert state.library_ready() and len(opened) == 1


def test_the_server_opens_the_library_once_it_serves(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``opening_library`` is the server's lifespan: the warm-up starts from the
    event loop once the start-up is through, not while the server still starts."""
    import asyncio

    monkeypatch.setenv("KB_STORE_DIR", str(tmp_path / "served"))
    monkeypatch.setattr(state, "library", lambda settings, key: "the library")
    monkeypatch.setattr(state, "_WARMING", {})
    monkeypatch.setattr(state, "preload_page_modules", lambda: None)
    seen: list[bool] = []

    async def serve() -> None:
        async with state.opening_library(object()):
            seen.append(bool(state._WARMING))  # still starting: nothing opened yet
            await asyncio.sleep(0)  # the loop turns: the server serves
            seen.append(bool(state._WARMING))

    asyncio.run(serve())
    state.wait_for_library()
    assert seen == [False, True] and state.library_ready()


def test_page_modules_are_imported_after_the_first_page_is_drawn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """pandas, pyarrow and altair load in the warm-up, but not beside a fresh
    server's first run, which they slowed: only once a page is drawn."""
    import threading

    monkeypatch.setenv("KB_STORE_DIR", str(tmp_path / "drawn"))
    monkeypatch.setattr(state, "library", lambda settings, key: "the library")
    monkeypatch.setattr(state, "_WARMING", {})
    monkeypatch.setattr(state, "_PAGE_DRAWN", threading.Event())
    monkeypatch.setattr(state, "PRELOAD_LATEST_S", 60.0)
    preloaded = threading.Event()
    monkeypatch.setattr(state, "preload_page_modules", preloaded.set)
    state.warm_up()
    state.wait_for_library()
    assert state.library_ready()
    assert not preloaded.wait(0.3)  # open, but no page drawn yet
    state.page_drawn()
    assert preloaded.wait(10)
