"""The frame every page of the app shares: page settings, access control, the
sidebar, messages from the last click, and which page's layout runs.

``app.py`` calls these in order on every run. Document text is only ever shown
escaped (``kb.web.html``), so a PDF can't inject HTML or script: as HTML through
``st.html``, and through ``md_text`` wherever Streamlit reads a string as
Markdown (captions, labels, alerts, toasts, headers), so a title can't become
an image the browser fetches from elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from kb.errors import KbError
from kb.web import auth, state
from kb.web import html as ui
from kb.web.ask import ask_page
from kb.web.cards import messages
from kb.web.collections_page import collections_page
from kb.web.learning_page import learning_page
from kb.web.library_page import library_page
from kb.web.sidebar import Sidebar
from kb.web.sidebar import sidebar as sidebar_controls
from kb.web.similar_page import similar_page

PAGE_TITLE = "Safeguarding review search"
LAYOUTS: dict[str, Callable[[Sidebar], None]] = {
    "Ask": ask_page,
    "Similar cases": similar_page,
    "Learning": learning_page,
    "Collections": collections_page,
    "Library": lambda bar: library_page(),  # it takes nothing from the sidebar
}


def open_page() -> None:
    """Page settings, then the access gate (``kb.web.auth``), then kb's styles.

    The gate stops this run until the visitor is let in, so nothing after it
    (the library, a search box) exists for a visitor who isn't."""
    # Reading passages is easier in a narrow column; the Library's table needs room.
    page = st.session_state.get("page", st.query_params.get("page"))
    st.set_page_config(
        page_title=PAGE_TITLE,
        page_icon=ui.page_icon(),  # local: a :material/ icon is fetched from Google's fonts
        layout="wide" if page == "Library" else "centered",
        initial_sidebar_state="auto",  # and kb's own collapse up to 900 px (ui.NARROW_SCRIPT)
    )
    # Off unless OIDC ([auth] in secrets) or KB_APP_PASSWORD is configured.
    auth.gate(st, state.settings().app)
    st.html(ui.CSS)
    st.html(ui.NARROW_SCRIPT, unsafe_allow_javascript=True)


def protected() -> bool:
    """Whether access control is on (so nothing may be shown before sign-in)."""
    return auth.protected(st, state.settings().app)


def sidebar() -> Sidebar:
    """The sidebar; stops this run with an error when the library can't be opened."""
    loading()
    try:
        return sidebar_controls()
    except KbError as exc:
        st.error(f"The library can't be opened: {ui.md_text(exc)}")
        st.stop()


def loading() -> None:
    """"Loading the library…" while the server still opens it (``state.warm_up``),
    so a fresh server's page is never blank; gone once it is open."""
    if state.library_ready():
        return
    slot = st.empty()
    slot.info(ui.LOADING)
    state.wait_for_library()
    slot.empty()


def show(bar: Sidebar) -> None:
    """Messages left by the last click's callback, then the chosen page."""
    flash()
    if notice := state.lib().notice:  # the index fell back to an earlier generation
        st.warning(ui.md_text(notice))
    LAYOUTS.get(bar.page, ask_page)(bar)
    state.page_drawn()


def flash() -> None:
    messages()  # kb.web.cards: a fragment's own rerun shows them there
