"""The Ask page's broad answer: the evidence summary, then the reviews that discuss it.

Each finding is an expandable item headed by its key sentence, where it is and
how many documents state it; inside, the key passage's source page and the
"also in" sentences, each opening its own source page (the same page view as a
passage card, ``kb.web.cards.source_view``), and a button that pins the
finding to the chosen collection. Below, one card per review whose best
passage reaches the answer's evidence bar (``kb.web.summary``). Layout only.
"""

from __future__ import annotations

import streamlit as st

from kb.answer.model import Answer, Finding
from kb.errors import KbError
from kb.web import html as ui
from kb.web import state
from kb.web.cards import card_actions, source_view, unpin
from kb.web.summary import (
    Citation,
    FindingItem,
    PrecedentList,
    citation_html,
    form_heading,
    summary_groups,
)
from kb.workspace.pinned import pin_finding

SUMMARY_NOTE = (
    "Each finding is a sentence quoted word for word from a document, with the other "
    "documents that make the same or a closely related point. Open a finding to read "
    "them and see their pages."
)


def summary_view(answer: Answer, pinned: set[str], collection: str) -> None:
    st.subheader(form_heading(answer))
    st.caption(SUMMARY_NOTE)
    for g, group in enumerate(summary_groups(answer)):
        st.markdown(f"#### {group.title}")  # kb's own heading, not a document's
        for i, item in enumerate(group.items):
            finding_item(answer, item, f"f{g}-{i}", pinned, collection)


def finding_item(
    answer: Answer, item: FindingItem, context: str, pinned: set[str], collection: str
) -> None:
    with st.expander(item.label):
        st.html(citation_html(item.key))
        citation_source(item.key, f"{context}-key", "Open the source at this page")
        if item.also_in:
            st.markdown("**Also in:**")
            for j, cite in enumerate(item.also_in):
                st.html(citation_html(cite))
                citation_source(cite, f"{context}-also{j}", "Open this page")
        else:
            st.caption("No other document among the nearest passages makes a close point.")
        pin_button(answer, item.finding, context, pinned, collection)


def citation_source(cite: Citation, context: str, label: str) -> None:
    """A toggle that opens the cited page, the sentence marked on it."""
    if st.toggle(label, key=f"src-{context}-{cite.hit.chunk.chunk_id}"):
        source_view(cite.hit, context, mark=cite.sentence)


def pin_button(
    answer: Answer, finding: Finding, context: str, pinned: set[str], collection: str
) -> None:
    key = pin_finding(answer, finding).key
    if key in pinned:
        st.button(
            "Finding pinned ✓ (unpin)",
            key=f"unpinf-{context}",
            on_click=unpin,
            args=(key, collection),
        )
    else:
        st.button(
            "Pin this finding",
            key=f"pinf-{context}",
            on_click=pin,
            args=(answer, finding, collection),
        )


def pin(answer: Answer, finding: Finding, collection: str) -> None:
    try:
        state.collections().pin(collection, pin_finding(answer, finding))
    except KbError as exc:
        st.session_state["flash_error"] = str(exc)
        return
    st.session_state["flash"] = f"Finding pinned to “{ui.md_text(collection)}”."


def precedent_cards(found: PrecedentList, question: str, pinned: set[str], collection: str) -> None:
    """One card per review that discusses the question: header, best passage, actions."""
    st.subheader(found.heading)
    st.caption(found.note)
    for card in found.cards:
        with st.container(border=True):
            st.html(ui.card_header_html(None, card.hit))
            st.html(ui.snippet_html(card.hit, question, with_head=False))
            card_actions(card.hit, question, "prec", pinned, collection)
