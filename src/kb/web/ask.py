"""The Ask page: a question, then a cited answer over passage cards, or the
precedent view (one card per review).

A broad question's answer is an evidence summary of findings, with the reviews
that discuss it below (``kb.web.summary_view``); a narrow one's is the short
cited answer over its passages. Both views list only documents whose best
passage reaches the answer's evidence bar (``kb.web.summary.precedent_list``).

The question and the view live in the URL (``?q=...&view=reviews``) with the
sidebar's filters, so a search can be shared. Layout only: the answer and the
precedents are the library's (``Library.ask``, ``Library.precedents``), cached
in ``kb.web.state``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from kb.answer.model import NO_MATCH_MESSAGE
from kb.errors import KbError
from kb.records import Filters
from kb.web import html as ui
from kb.web import state, urls
from kb.web.active_filters import active_filters
from kb.web.browse_view import browse_view
from kb.web.cards import card_actions, passage_card, related_card
from kb.web.sidebar import Sidebar, sync_url
from kb.web.summary import is_summary, precedent_list
from kb.web.summary_view import precedent_cards, summary_view

T = TypeVar("T")

CONTENT_NOTE = (
    "**Content note:** these documents describe abuse, neglect and the deaths of "
    "children. Take care of yourself while reading; it is fine to step away."
)


def ask_page(bar: Sidebar) -> None:
    st.title("Ask the library")
    st.info(CONTENT_NOTE)
    with st.container(horizontal=True, vertical_alignment="bottom"):
        question = st.text_input(
            "Your question",
            key="q",
            bind="query-params",
            placeholder="e.g. What did reviews find about sharing information with the police?",
            help="Press Enter or Ask. The answer quotes the documents; it is never made up.",
            width="stretch",
        )
        # Clicking it takes the focus from the box, which hands Streamlit its text.
        st.button("Ask", key="ask", type="primary")
    if "view" not in st.session_state:
        st.session_state["view"] = urls.view_from_url(st.query_params.get("view"))
    view = st.segmented_control(
        "Show",
        list(urls.VIEWS),
        required=True,
        key="view",
        format_func=lambda v: urls.VIEWS.get(str(v), str(v)),
        label_visibility="collapsed",
    )
    sync_url("view", urls.view_param(view))
    question = (question or "").strip()
    active_filters(bar.filters, state.theme_labels())
    if not question and not bar.filters.is_empty():
        browse_view(state.data_key(), bar, pinned_ids(bar.collection))
        return
    if not question:
        st.caption(
            "Ask in your own words, as you would ask a colleague. Filters in the sidebar "
            "narrow the search; the address bar keeps your search so you can share it."
        )
        return
    key = state.data_key()
    pinned = pinned_ids(bar.collection)
    if view == "reviews":
        reviews_view(key, question, bar, pinned)
    else:
        answer_view(key, question, bar, pinned)


def pinned_ids(name: str) -> set[str]:
    try:
        # A plain pin's key is its chunk id; a pinned finding's adds its sentence.
        return {p.key for p in state.collections().get(name).items}
    except KbError as exc:  # a damaged collection file must not hide the answer
        st.warning(ui.md_text(exc))
        return set()


def searched(
    find: Callable[[str, str, Filters], T], key: str, question: str, bar: Sidebar
) -> T | None:
    """``find(key, question, filters)`` under a spinner; None once its error is shown."""
    with st.spinner("Searching…"):
        try:
            return find(key, question, bar.filters)
        except KbError as exc:
            st.error(ui.md_text(exc))
            return None


def answer_view(key: str, question: str, bar: Sidebar, pinned: set[str]) -> None:
    result = searched(state.ask, key, question, bar)
    if result is None:
        return
    if result.no_match or not result.sentences:
        no_match_notice(bool(result.passages), result.no_match_message)
        if result.passages:
            st.subheader("Related passages")
            st.caption("Nearest in meaning, shortened. Open a source page to read more.")
            for hit in result.passages:
                related_card(hit, question, pinned, bar.collection)
        return
    if is_summary(result):
        summary_view(result, pinned, bar.collection)
        found = searched(state.precedents, key, question, bar)
        if found is not None:
            reviews = precedent_list(found, state.evidence_bar(), reviews_only=True)
            precedent_cards(reviews, question, pinned, bar.collection)
        return
    st.subheader("Answer")
    st.caption("A short answer: the sentences that state it, from the best passages.")
    st.html(ui.answer_html(result))
    st.caption(
        "Each sentence is quoted word for word from the numbered passage below it cites. "
        "Read the passage in context before relying on it."
    )
    st.subheader("Passages")
    for n, hit in enumerate(result.passages, 1):
        passage_card(n, hit, question, result.spans_of(n), "ans", pinned, bar.collection)


def no_match_notice(has_related: bool, message: str = NO_MATCH_MESSAGE) -> None:
    more = (
        " The nearest passages are listed below as related reading; they are not an answer."
        if has_related
        else ""
    )
    # ``message`` is kb's own wording (kb.answer, kb.search), never a document's.
    st.warning(f"{message}{more} Try other words, or widen the filters.", icon=":material/info:")


def reviews_view(key: str, question: str, bar: Sidebar, pinned: set[str]) -> None:
    found = searched(state.precedents, key, question, bar)
    if found is None:
        return
    if found.no_match:
        no_match_notice(bool(found.groups))
        if not found.groups:
            return
        st.subheader("Related documents")
        shown = [(g.document, g.matches, g.hits) for g in found.groups]
    else:
        passing = precedent_list(found, state.evidence_bar(), reviews_only=False)
        st.subheader(passing.heading)
        st.caption(passing.note)
        shown = [(c.document, c.matches, c.hits) for c in passing.cards]
    for document, matches, hits in shown:
        with st.container(border=True):
            st.html(ui.document_header_html(document, matches))
            for hit in hits:
                st.html(ui.snippet_html(hit, question))
                card_actions(hit, question, "rev", pinned, bar.collection)
