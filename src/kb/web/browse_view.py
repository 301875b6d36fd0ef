"""Browsing without a question: what the sidebar's filters hold, by document.

Choosing a theme, a type or a publisher and asking nothing lists the
documents with such passages, newest first, each with its first passages
(``Library.browse``), under a chart of how many of them each year has.
Layout only; the groups and counts come through ``kb.web.state``.
"""

from __future__ import annotations

import streamlit as st

from kb.records import Filters
from kb.web import html as ui
from kb.web import state
from kb.web.cards import card_actions
from kb.web.sidebar import Sidebar

MAX_DOCUMENTS = 30  # a page a reader can scroll; the count above says how many there are
CHART_COLOUR = "#1f5f8b"


def browse_view(key: str, bar: Sidebar, pinned: set[str]) -> None:
    groups = state.browse(key, bar.filters)
    if not groups:
        st.info("No passage matches these filters. Widen them, or clear them above.")
        return
    n = sum(g.matches for g in groups)
    st.subheader(
        f"{n:,} passage{'s' if n != 1 else ''} in {len(groups)} "
        f"document{'s' if len(groups) != 1 else ''}, newest first"
    )
    year_chart(key, bar.filters)
    if len(groups) > MAX_DOCUMENTS:
        st.caption(f"The newest {MAX_DOCUMENTS} are listed; narrow the filters to see others.")
    for group in groups[:MAX_DOCUMENTS]:
        with st.container(border=True):
            st.html(ui.document_header_html(group.document, group.matches))
            for hit in group.hits:
                st.html(ui.snippet_html(hit, ""))
                card_actions(hit, "", "brw", pinned, bar.collection)


def year_chart(key: str, filters: Filters) -> None:
    """Passages per year under the filters: how often a theme comes up, by year."""
    by_year = state.years_of(key, filters)
    if len(by_year) < 2:
        return
    names = state.theme_labels()
    what = ", ".join(names.get(t, t) for t in filters.themes) or "these passages"
    st.markdown(f"**How often {ui.md_text(what)} comes up, by year** (passages)")
    st.bar_chart(
        {"year": list(by_year), "passages": list(by_year.values())},
        x="year",
        y="passages",
        color=CHART_COLOUR,
        height=220,
    )
