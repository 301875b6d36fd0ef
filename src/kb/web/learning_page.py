"""The Learning page: findings, recommendations and reflective questions across the library.

One tab per form of learning, each searchable (``--query`` ranking) and filtered
by the sidebar's filters, plus recurring recommendations as groups and a
theme-by-year count of findings. Every item can be pinned to the sidebar's
collection; the collection downloads as a session pack (``kb.workspace.session_pack``).
Document text is shown escaped (``kb.web.html``).
"""

from __future__ import annotations

import html
from collections import Counter
from functools import partial

import streamlit as st

from kb.answer.learning import LearningEntry, LearningQuery
from kb.answer.recurring import RecurringGroup
from kb.errors import KbError
from kb.records import Filters
from kb.web import html as ui
from kb.web import state
from kb.web.collections_page import DOCX_MIME
from kb.web.sidebar import Sidebar
from kb.workspace.export import file_stem
from kb.workspace.session_pack import pinned_from_entry, to_session_pack

TABS = (
    ("Findings", "finding"),
    ("Recommendations", "recommendation"),
    ("Reflective questions", "reflective_question"),
    ("Good practice", "good_practice"),
)
SHOWN = 30  # items per tab before "show more" would be needed: a page, not a dump


@st.cache_data(max_entries=64, ttl=600, show_spinner=False)
def learning(key: str, query: LearningQuery, filters: Filters) -> list[LearningEntry]:
    return state.lib().learning(query, filters)


@st.cache_data(max_entries=16, ttl=600, show_spinner=False)
def recurring(key: str, filters: Filters) -> list[RecurringGroup]:
    return state.lib().recurring(None, filters)


def learning_page(bar: Sidebar) -> None:
    st.title("Learning")
    st.caption(
        "Findings, recommendations and reflective questions from every review in the "
        "library. Pin items to a collection and download it as a session pack."
    )
    key = state.data_key()
    session_pack_button(key, bar)
    # Each tab says how many items it holds, and the page opens on the first
    # that has any: a library of guidance has recommendations but no findings,
    # and an empty first tab read as "nothing here".
    counts = [len(learning(key, LearningQuery(roles=(role,)), bar.filters)) for _, role in TABS]
    labels = [f"{name} ({n})" for (name, _), n in zip(TABS, counts, strict=True)]
    first = next((label for label, n in zip(labels, counts, strict=True) if n), labels[0])
    tabs = st.tabs(labels + ["Recurring recommendations", "Themes by year"], default=first)
    for tab, (name, role) in zip(tabs, TABS, strict=False):
        with tab:
            items_tab(key, bar, role, name)
    with tabs[len(TABS)]:
        groups_tab(key, bar)
    with tabs[len(TABS) + 1]:
        themes_by_year(key, bar.filters)


def items_tab(key: str, bar: Sidebar, role: str, name: str) -> None:
    query = st.text_input(f"Search {name.lower()}", key=f"learn-q-{role}")
    levels: tuple[str, ...] = ()
    if role == "recommendation":
        level = st.radio(
            "Addressed to", ("any", "national", "local"), horizontal=True, key="learn-level"
        )
        levels = () if level == "any" else (level,)
    audiences: tuple[str, ...] = ()
    if role == "reflective_question":
        audience = st.radio(
            "For",
            ("any", "practitioners", "leaders", "partnerships"),
            horizontal=True,
            key="learn-audience",
        )
        audiences = () if audience == "any" else (audience,)
    q = LearningQuery(roles=(role,), levels=levels, audiences=audiences, query=query)
    entries = learning(key, q, bar.filters)
    st.caption(f"{len(entries)} {name.lower()}" + (f" for “{ui.md_text(query)}”" if query else ""))
    if not entries:
        st.info(f"No {name.lower()} match. Try other words or fewer filters.")
    pinned = _pinned(bar.collection)
    for n, entry in enumerate(entries[:SHOWN], 1):
        item_card(n, entry, pinned, bar.collection, f"{role}-{n}")


def item_card(n: int, entry: LearningEntry, pinned: set[str], collection: str, key: str) -> None:
    with st.container(border=True):
        st.html(entry_html(n, entry))
        if entry.item_id in pinned:
            st.caption("Pinned")
        else:
            st.button(
                "Pin to collection",
                key=f"pin-{key}-{entry.item_id}",
                on_click=pin_entry,
                args=(entry, collection),
            )


def entry_html(n: int | None, entry: LearningEntry) -> str:
    who = ""
    if entry.role == "recommendation":
        who = f" · to {entry.addressee or 'addressee not named'} ({entry.addressee_level})"
    elif entry.audience:
        who = f" · for {entry.audience}"
    badge = f'<span class="kb-badge">{n}.</span> ' if n is not None else ""
    return (
        f'<div class="kb-card-head">{badge}<span class="kb-title">'
        f"{html.escape(entry.title or entry.doc)}</span></div>"
        f'<div class="kb-meta">{html.escape(entry.citation() + who)}</div>'
        f'<div class="kb-meta">{html.escape(entry.section)}</div>'
        f'<div class="kb-passage">{html.escape(entry.text)}</div>'
    )


def groups_tab(key: str, bar: Sidebar) -> None:
    groups = recurring(key, bar.filters)
    if not groups:
        st.info("No recommendation is made in more than one document.")
    pinned = _pinned(bar.collection)
    for g, group in enumerate(groups, 1):
        with st.container(border=True):
            st.markdown(
                f"**{group.documents} documents recommended:** {ui.md_text(group.label[:220])}"
            )
            for i, entry in enumerate(group.entries):
                item_card(i + 1, entry, pinned, bar.collection, f"group-{g}")


def themes_by_year(key: str, filters: Filters) -> None:
    entries = learning(key, LearningQuery(roles=("finding",)), filters)
    labels = state.theme_labels()
    counts: Counter[tuple[str, str]] = Counter(
        (str(e.year), labels.get(t, t)) for e in entries if e.year for t in e.themes
    )
    if not counts:
        st.info("No finding carries a theme yet.")
        return
    years = sorted({y for y, _ in counts})
    themes = sorted({t for _, t in counts})
    table = {t: [counts[(y, t)] for y in years] for t in themes}
    st.caption("Findings per theme and year of publication")
    st.bar_chart({"year": years, **table}, x="year", y=themes)


def session_pack_button(key: str, bar: Sidebar) -> None:
    try:
        col = state.collections().get(bar.collection)
    except KbError as exc:
        st.error(f"This collection can't be read: {ui.md_text(exc)}")
        return
    questions = learning(key, LearningQuery(roles=("reflective_question",)), Filters())
    st.download_button(
        f"Download session pack for “{ui.md_text(col.name)}” (DOCX)",
        data=partial(to_session_pack, col, questions),
        file_name=f"{file_stem(col)}-session-pack.docx",
        mime=DOCX_MIME,
        key="session-pack",
        disabled=not col.items,
    )


def pin_entry(entry: LearningEntry, collection: str) -> None:
    try:
        state.collections().pin(collection, pinned_from_entry(entry))
    except KbError as exc:
        st.session_state["flash_error"] = str(exc)
        return
    st.session_state["flash"] = f"Pinned to “{ui.md_text(collection)}”."


def _pinned(collection: str) -> set[str]:
    try:
        return {p.chunk_id for p in state.collections().get(collection).items}
    except KbError:
        return set()
