"""The Streamlit app's process-wide state: settings, the open library, cached answers.

These live in a module of kb rather than in ``app.py`` because Streamlit
loads ``app.py`` twice: once as the ASGI app that ``streamlit run`` serves
(module ``app``, where ``kb.web.prerender`` answers deep links) and once per run
as the page script (module ``__main__``). Streamlit keys its caches by module,
so caches defined in ``app.py`` would open a second model and a second
store; defined here, both share one.
"""

from __future__ import annotations

import logging

import streamlit as st

from kb.answer.model import Answer
from kb.config import Settings
from kb.library import Library
from kb.records import Filters
from kb.store import generations

TOP_K = 8  # passages behind an answer

# Imported first as part of the ASGI app, before Streamlit's runtime exists, each
# cache decorator (here and in app.py) would warn that it keeps its entries in
# memory, which is what it does anyway. Seven such lines at start-up read like a
# fault to someone running `make run`.
logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)


def settings() -> Settings:
    return Settings.from_env()


def library_key(s: Settings) -> str:
    """What makes one library different from another (cache key)."""
    return f"{s.store.store_dir.resolve()}|{s.store.qdrant_url or ''}|{s.store.collection}"


@st.cache_resource(show_spinner="Opening the library (first start only)…")
def library(_settings: Settings, key: str) -> Library:
    lib = Library(_settings)
    # Load the model now, so the first question is as quick as the rest.
    lib.retrieve("child safeguarding", top_k=1)
    return lib


def lib() -> Library:
    s = settings()
    return library(s, library_key(s))


def data_key() -> str:
    """Cache key for answers, counts and lists: the library plus its live
    generation, so an ingest (here or by `kb ingest`) makes them all stale."""
    s = settings()
    version = None if s.store.uses_server else generations.current_token(s.store.store_dir)
    return f"{library_key(s)}|{version}"


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def ask(key: str, question: str, filters: Filters) -> Answer:
    return lib().ask(question, filters=filters, top_k=TOP_K)
