"""The Streamlit app's process-wide state: settings, the open library, and every cache.

These live in a module of kb rather than in ``app.py`` because Streamlit
loads ``app.py`` twice: once as the ASGI app that ``streamlit run`` serves
(module ``app``, where ``kb.web.prerender`` answers deep links) and once per run
as the page script (module ``__main__``). Streamlit keys its caches by module,
so caches defined in ``app.py`` would open a second model and a second
store; defined here, both share one.

Every cache is here, in one place, so that ``clear_caches`` can drop all that an
ingest makes stale. Data caches take ``data_key()`` first: it changes when the
library does (an upload here, or ``kb ingest`` in another process), so an answer
or a count is never served from before the change.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, wait
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from kb.answer.model import Answer
from kb.config import Settings
from kb.records import Document, Filters, PageImage
from kb.workspace.pinned import Collection, Collections

if TYPE_CHECKING:
    from kb.library import Library, Precedent, Precedents, ReviewGroup, Stats

TOP_K = 8  # passages behind an answer
GROUP_TOP_K = 40  # passages grouped into reviews in the precedent view
PER_REVIEW = 3  # passages shown per review there
SIMILAR_TOP_DOCS = 10  # documents ranked for a case summary, before the evidence bar

# Imported first as part of the ASGI app, before Streamlit's runtime exists, each
# cache decorator here would warn that it keeps its entries in memory, which is
# what it does anyway. A dozen such lines at start-up read like a fault to
# someone running `make run`.
logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
# The same for the warm-up thread (``warm_up``), which opens the library outside
# any page's run, on purpose: "missing ScriptRunContext! This warning can be ignored".
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)


def settings() -> Settings:
    return Settings.from_env()


def library_key(s: Settings) -> str:
    """What makes one library different from another (cache key)."""
    return f"{s.store.store_dir.resolve()}|{s.store.qdrant_url or ''}|{s.store.collection}"


@st.cache_resource(show_spinner="Opening the library (first start only)…")
def library(_settings: Settings, key: str) -> Library:
    from kb.library import Library  # the heavy import (numpy, the store): see warm_up

    lib = Library(_settings)
    # Load the model now, so the first question is as quick as the rest.
    lib.retrieve("child safeguarding", top_k=1)
    return lib


def lib() -> Library:
    s = settings()
    return library(s, library_key(s))


# --------------------------------------------------------------------------- start-up

# The library being opened in the background, by library key (``warm_up``).
_WARMING: dict[str, Future[Library]] = {}
_WARMING_LOCK = threading.Lock()


@asynccontextmanager
async def opening_library(_app: object) -> AsyncIterator[None]:
    """The server's lifespan (``st.App(lifespan=...)``): ``warm_up`` once it serves.

    Not at import: the import of kb.library (numpy, the store: ~1.5 s here by -X importtime) and
    the model would then come before the server listens, and a fresh server's
    first paint with them. Scheduled on the event loop, the thread starts as
    uvicorn begins to serve, after Streamlit's own start."""
    asyncio.get_running_loop().call_soon(warm_up)
    yield


def warm_up() -> None:
    """Open the library (model and store) in a background thread, now.

    Called when the server starts (``opening_library``), so the model loads while the
    first visitor's browser fetches the page, not after it asks; the page
    says "Loading the library…" meanwhile (``kb.web.frame``), and a deep link's
    HTML is served at once (``library_ready``). Idempotent per library."""
    s = settings()
    key = library_key(s)
    with _WARMING_LOCK:
        if key in _WARMING:
            return
        future: Future[Library] = Future()
        _WARMING[key] = future
    threading.Thread(
        target=_open_into, args=(s, key, future), name="kb-warm-up", daemon=True
    ).start()


def _open_into(s: Settings, key: str, future: Future[Library]) -> None:
    try:
        future.set_result(library(s, key))  # the same cache the page's runs read
    except BaseException as exc:  # handed to whoever waits; the page shows it
        future.set_exception(exc)
    # Not beside the first page's run: imported then, they slowed a fresh server's
    # first answer (bench/app.py). Without a visitor, soon anyway.
    _PAGE_DRAWN.wait(timeout=PRELOAD_LATEST_S)
    preload_page_modules()


# Set when a page's run has drawn it (``page_drawn``).
_PAGE_DRAWN = threading.Event()
PRELOAD_LATEST_S = 20.0


def page_drawn() -> None:
    """Called at the end of a page's run: the warm-up may now import ``PAGE_MODULES``."""
    _PAGE_DRAWN.set()


# What Streamlit's tables and charts import on first use, which the first visit
# to the Library page paid (bench/app.py, docs/benchmarks.md: 1.5-1.6 s to switch
# to it before, 0.65-0.85 s with these imported here).
PAGE_MODULES = ("pandas", "pyarrow", "altair")


def preload_page_modules() -> None:
    """Import ``PAGE_MODULES`` now, in the warm-up thread, after the library."""
    for name in PAGE_MODULES:
        with suppress(ImportError):
            importlib.import_module(name)


def library_ready() -> bool:
    """False while ``warm_up`` is still opening this library (True if none was started)."""
    future = _WARMING.get(library_key(settings()))
    return future is None or future.done()


def wait_for_library() -> None:
    """Block until ``warm_up``'s library is open (or failed: ``lib()`` then says why)."""
    future = _WARMING.get(library_key(settings()))
    if future is not None:
        wait([future])


def data_key() -> str:
    """Cache key for answers, counts and lists: the library plus its live
    generation, so an ingest (here or by `kb ingest`) makes them all stale."""
    s = settings()
    from kb.library import Library

    # A Library opens nothing until asked to, so reading its generation is cheap.
    return f"{library_key(s)}|{Library(s).generation()}"


def evidence_bar() -> float:
    """The best-sentence similarity the answer's no-match decision asks of the
    top passages; a precedent's best passage must reach it too."""
    return settings().search.no_match_below


def collections() -> Collections:
    return lib().collections()


# --------------------------------------------------------------------------- answers


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def ask(key: str, question: str, filters: Filters) -> Answer:
    return lib().ask(question, filters=filters, top_k=TOP_K)


@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def precedents(key: str, question: str, filters: Filters) -> Precedents:
    return lib().precedents(question, filters=filters, top_k=GROUP_TOP_K, per_doc=PER_REVIEW)


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def similar(key: str, case: str, filters: Filters) -> list[Precedent]:
    return lib().similar(case, filters=filters, top_docs=SIMILAR_TOP_DOCS)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def browse(key: str, filters: Filters) -> list[ReviewGroup]:
    return lib().browse(filters, per_doc=PER_REVIEW)


# --------------------------------------------------------------------------- counts and lists


@st.cache_data(ttl=60, show_spinner=False)
def years_of(key: str, filters: Filters) -> dict[str, int]:
    """Passages per year under ``filters``, every year of the library's range
    (a year without any shows as 0, so the chart's gaps are real)."""
    library = lib()
    found = {int(str(y)): n for y, n in library.facets(None, filters).get("year", {}).items()}
    years = [int(str(y)) for y in library.facets(None, Filters()).get("year", {})] or list(found)
    if not years:
        return {}
    return {str(y): found.get(y, 0) for y in range(min(years), max(years) + 1)}


@st.cache_data(ttl=60, show_spinner=False)
def documents(key: str) -> list[Document]:
    return lib().documents()


@st.cache_data(ttl=60, show_spinner=False)
def stats(key: str) -> Stats:
    return lib().stats()


@st.cache_data(ttl=60, show_spinner=False)
def facets(key: str) -> dict[str, dict[object, int]]:
    return lib().facets(None, Filters())


@st.cache_data(ttl=60, show_spinner=False)
def document_facets(key: str) -> dict[str, dict[str, int]]:
    return lib().document_facets()


@st.cache_data(ttl=60, show_spinner=False)
def passage_count(key: str, filters: Filters) -> int:
    return lib().count(filters)


@st.cache_data(ttl=60, show_spinner=False)
def document_count(key: str, filters: Filters) -> int:
    return lib().count_documents(filters)


def theme_labels() -> dict[str, str]:
    """Theme id -> label from the library's taxonomy, read once per taxonomy file."""
    library = lib()
    return _theme_labels(library, str(library.settings.ingest.taxonomy_path))


@st.cache_data(show_spinner=False)
def _theme_labels(_library: Library, path: str) -> dict[str, str]:
    return _library.theme_labels()


def clear_caches() -> None:
    """Forget everything an ingest changes (taxonomy labels and page images stay)."""
    for fn in (
        browse,
        years_of,
        documents,
        stats,
        facets,
        document_facets,
        passage_count,
        document_count,
        ask,
        precedents,
    ):
        fn.clear()


# --------------------------------------------------------------------------- files


@st.cache_data(max_entries=48, show_spinner=False)
def page_image(path: str, page: int, passage: str) -> PageImage:
    return lib().page_image(path, page, passage)


@st.cache_data(max_entries=16, show_spinner=False)
def file_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


@st.cache_data(max_entries=48, show_spinner=False)
def export_bytes(
    digest: str, suffix: str, _build: Callable[[Collection], str | bytes], _collection: Collection
) -> bytes:
    """One export of a collection, built once per content (``Collection.digest``)
    and format: every rerun hands the browser the same bytes at the same address."""
    data = _build(_collection)
    return data.encode("utf-8") if isinstance(data, str) else data
