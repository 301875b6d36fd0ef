"""Browsing without a question: what the sidebar's filters hold, by document.

Choosing a theme, a type or a publisher and asking nothing lists the
documents with such passages, newest first, each with its first passages
(``Library.browse``), under a chart of how many of them each year has;
clicking a year's bar narrows the filter to that year.
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
CHART_KEY = "year_chart"


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
    """Passages per year under the filters: how often a theme comes up, by year.
    Clicking a year's bar narrows the year filter to it (``pick_year``)."""
    import altair as alt

    by_year = state.years_of(key, filters)
    if len(by_year) < 2:
        return
    names = state.theme_labels()
    what = ", ".join(names.get(t, t) for t in filters.themes) or "these passages"
    st.markdown(f"**How often {ui.md_text(what)} comes up, by year** (passages)")
    rows = [{"year": y, "passages": n} for y, n in by_year.items()]
    pick = alt.selection_point(name="pick", fields=["year"])
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color=CHART_COLOUR)
        .encode(x=alt.X("year:O", title="year"), y=alt.Y("passages:Q", title="passages"))
        .add_params(pick)
        .properties(height=220)
    )
    st.altair_chart(chart, key=CHART_KEY, on_select=pick_year, selection_mode="pick")
    st.caption("Click a year's bar to read only that year's passages.")


def pick_year() -> None:
    """The clicked year becomes the year filter (the slider and the URL follow)."""
    chosen = chart_year(st.session_state.get(CHART_KEY))
    if chosen is not None:
        st.session_state["years"] = (chosen, chosen)
        st.query_params["year_from"] = str(chosen)
        st.query_params["year_to"] = str(chosen)


def chart_year(event: object) -> int | None:
    """The year a chart selection event points at, if any."""
    try:
        points = event["selection"]["pick"]  # type: ignore[index]
        return int(points[0]["year"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
