"""The filters in force, said above the answer, with one click to clear them.

Filters live in the sidebar and in the URL, so a theme chosen for one question
still narrows the next; a reader who doesn't see the sidebar (a narrow screen,
a shared link) must be told. Layout only: the words come from the filters and
the taxonomy's labels.
"""

from __future__ import annotations

import streamlit as st

from kb.records import Filters
from kb.web import html as ui

# The sidebar's widget keys and URL parameters the filters live in.
LIST_KEYS = ("type", "publisher", "theme")
URL_PARAMS = ("type", "publisher", "theme", "year_from", "year_to", "kind")


def describe(filters: Filters, theme_names: dict[str, str]) -> list[str]:
    """One phrase per filter, as a reader would say it."""
    parts = []
    if filters.doc_types:
        parts.append("type: " + ", ".join(ui.doc_type_label(t) for t in filters.doc_types))
    if filters.publishers:
        parts.append("publisher: " + ", ".join(filters.publishers))
    if filters.themes:
        parts.append("theme: " + ", ".join(theme_names.get(t, t) for t in filters.themes))
    lo, hi = filters.year_from, filters.year_to
    if lo is not None and hi is not None:
        parts.append(f"{lo}" if lo == hi else f"years {lo}–{hi}")
    elif lo is not None:
        parts.append(f"from {lo}")
    elif hi is not None:
        parts.append(f"up to {hi}")
    if "recommendation" in filters.kinds:
        parts.append("recommendations only")
    return parts


def active_filters(filters: Filters, theme_names: dict[str, str]) -> None:
    """ "Filtered by …" and a Clear filters button; nothing when no filter is on."""
    parts = describe(filters, theme_names)
    if not parts:
        return
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(f"**Filtered by** {ui.md_text('; '.join(parts))}")
        st.button("Clear filters", key="clear_filters", on_click=clear_filters, type="tertiary")


def clear_filters() -> None:
    for key in LIST_KEYS:
        st.session_state[key] = []
    st.session_state["recommendations"] = False
    st.session_state.pop("years", None)  # the slider starts again at the whole range
    for name in URL_PARAMS:
        if name in st.query_params:
            del st.query_params[name]
