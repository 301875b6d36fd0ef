"""The app's sidebar: which page, the search filters, and the collection to pin to.

Layout only: the counts come from ``kb.web.state`` (the library's, cached), what
a link's parameters mean from ``kb.web.urls``, and the filters from
``kb.web.html.FilterChoice``. The filters and the page live in the URL so that
a search can be shared; widget choices are written back to it as they change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import streamlit as st

from kb.errors import KbError
from kb.records import Filters
from kb.web import html as ui
from kb.web import state, urls

PAGES = ("Ask", "Similar cases", "Learning", "Collections", "Library")
DEFAULT_COLLECTION = "My collection"


@dataclass(frozen=True)
class Sidebar:
    page: str
    filters: Filters
    collection: str


def sidebar() -> Sidebar:
    key = state.data_key()
    stats = state.stats(key)
    with st.sidebar:
        st.markdown("### Safeguarding review search")
        st.caption(
            f"{stats.documents} documents · {stats.pages:,} pages · "
            "answers quote the documents word for word"
        )
        page = st.radio("Go to", PAGES, key="page", bind="query-params", horizontal=True)
        filters = Filters()
        if page in ("Ask", "Similar cases", "Learning"):
            filters = filter_controls(key)
        st.divider()
        collection = collection_picker()
    return Sidebar(page or PAGES[0], filters, collection)


def sync_url(name: str, values: list[str] | str | None) -> None:
    """Write a choice into the URL, or remove it when it is the default (empty)."""
    if values:
        st.query_params[name] = values
    elif name in st.query_params:
        del st.query_params[name]


def url_multiselect(
    label: str, name: str, options: list[str], labels: dict[str, str], placeholder: str
) -> list[str]:
    """A multiselect whose choice lives in the URL as ``name=id&name=id``.

    Streamlit's own binding would put the displayed labels in the URL, and these
    labels carry live counts; ids keep a shared link stable.
    """
    if name not in st.session_state:
        st.session_state[name] = urls.known_values(st.query_params.get_all(name), options)
    chosen = st.multiselect(
        label,
        options,
        key=name,
        format_func=lambda v: labels.get(v, v),
        placeholder=placeholder,
    )
    sync_url(name, chosen)
    return [str(v) for v in chosen]


def filter_controls(key: str) -> Filters:
    st.markdown("**Filters**")
    counts = state.facets(key)
    docs = state.document_facets(key)  # the labels count documents, not passages
    doc_types = facet_select(
        "Document type",
        "type",
        counts.get("doc_type", {}),
        docs["doc_type"],
        ui.doc_type_label,
        "Any type",
    )
    publishers = facet_select(
        "Publisher",
        "publisher",
        counts.get("publisher", {}),
        docs["publisher"],
        str,
        "Any publisher",
    )
    years = sorted(int(str(y)) for y in counts.get("year", {}))
    chosen_years: tuple[int, int] | None = None
    bounds: tuple[int, int] | None = None
    if len(years) >= 2:
        bounds = (years[0], years[-1])
        chosen_years = year_slider(bounds)
    themes = theme_control({str(t): n for t, n in counts.get("themes", {}).items()}, docs["themes"])
    kinds = kind_toggle()
    filters = ui.FilterChoice(
        doc_types=doc_types,
        publishers=publishers,
        themes=themes,
        years=chosen_years,
        year_bounds=bounds,
        kinds=kinds,
    ).filters()
    match_count(key, filters)
    return filters


def documents_label(n: int) -> str:
    return f"{n} document{'s' if n != 1 else ''}"


def facet_select(
    label: str,
    name: str,
    counts: dict[object, int],
    documents: dict[str, int],
    shown: Callable[[str], str],
    placeholder: str,
) -> tuple[str, ...]:
    """A URL multiselect over a facet's values (ordered by passages), each
    labelled with how many documents have it."""
    found = [str(v) for v in counts]
    labels = {v: f"{shown(v)} ({documents_label(documents.get(v, 0))})" for v in found}
    return tuple(url_multiselect(label, name, found, labels, placeholder))


def kind_toggle() -> tuple[str, ...]:
    """Only the reviews' recommendations (``kb search --kind recommendation``), in the URL."""
    if "recommendations" not in st.session_state:
        st.session_state["recommendations"] = st.query_params.get("kind") == "recommendation"
    only = st.toggle(
        "Recommendations only",
        key="recommendations",
        help="Search only the passages that make a recommendation.",
    )
    sync_url("kind", "recommendation" if only else None)
    return ("recommendation",) if only else ()


def match_count(key: str, filters: Filters) -> None:
    """How much of the library the filters leave: passages, and the documents they are in."""
    n_passages = state.passage_count(key, filters)
    if filters.is_empty():
        st.caption(f"Searching all {n_passages:,} passages.")
        return
    n_docs = state.document_count(key, filters)
    st.markdown(
        f"**{n_passages:,} passages** in {n_docs} document{'s' if n_docs != 1 else ''} "
        "match these filters."
    )


def year_slider(bounds: tuple[int, int]) -> tuple[int, int]:
    """A year range kept in the URL as ``year_from``/``year_to``."""
    if "years" not in st.session_state:
        params = st.query_params
        st.session_state["years"] = urls.year_range(
            params.get("year_from"), params.get("year_to"), bounds
        )
    # A range slider returns a pair (its value in session state is a pair).
    lo, hi = cast(tuple[int, int], st.slider("Year", bounds[0], bounds[1], key="years"))
    for name, value in urls.year_params((lo, hi), bounds).items():
        sync_url(name, value)
    return int(lo), int(hi)


def theme_control(counts: dict[str, int], documents: dict[str, int]) -> tuple[str, ...]:
    names = state.theme_labels()
    # In the taxonomy's order, which keeps its groups together (practice, harm,
    # context, agency, age); then any theme the passages carry that it lacks.
    options = list(names) + [t for t in counts if t not in names]
    chosen = url_multiselect(
        "Theme",
        "theme",
        options,
        {t: f"{names.get(t, t)} ({documents_label(documents.get(t, 0))})" for t in options},
        "Any theme" if counts else "No passages are tagged with themes yet",
    )
    return tuple(chosen)


def collection_picker() -> str:
    st.markdown("**Collection for pinned passages**")
    names = state.collections().names() or [DEFAULT_COLLECTION]
    wanted = st.session_state.pop("new_collection_made", None)
    if wanted and wanted in names:
        st.session_state["collection"] = wanted
    if st.session_state.get("collection") not in names:
        st.session_state["collection"] = names[0]
    name = st.selectbox("Pin to", names, key="collection", label_visibility="collapsed")
    with st.popover("New collection", width="stretch"):
        st.text_input("Name", key="new_collection_name", placeholder="e.g. Session on neglect")
        st.button("Create", key="create_collection", on_click=create_collection)
    return str(name)


def create_collection() -> None:
    raw = str(st.session_state.get("new_collection_name", ""))
    try:
        made = state.collections().create(raw)
    except KbError as exc:
        st.session_state["flash_error"] = str(exc)
        return
    st.session_state["new_collection_made"] = made.name
    st.session_state["new_collection_name"] = ""
