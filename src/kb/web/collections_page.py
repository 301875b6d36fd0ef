"""The Collections page: the passages pinned to one collection, and its exports.

Pinned passages are saved beside the library (``kb.workspace.pinned``), so
they survive a restart; each export (Markdown, Word, CSV) carries full
references and is built only when its button is clicked. Pinned findings of a
broad answer are listed as the exports order them: what reviews found, what
guidance says, then the other passages, each finding with its "also in".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from kb.errors import KbError
from kb.web import html as ui
from kb.web import state
from kb.web.cards import unpin
from kb.web.sidebar import Sidebar
from kb.workspace.export import file_stem, sections, to_csv, to_docx, to_markdown
from kb.workspace.pinned import Collection, PinnedPassage

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# (button, builder, file suffix, MIME type); the suffix also names the button's key.
EXPORTS: tuple[tuple[str, Callable[[Collection], str | bytes], str, str], ...] = (
    ("Export Markdown", to_markdown, "md", "text/markdown"),
    ("Export Word (DOCX)", to_docx, "docx", DOCX_MIME),
    ("Export CSV", to_csv, "csv", "text/csv"),
)


def collections_page(bar: Sidebar) -> None:
    st.title("Collections")
    st.caption(
        "Pinned passages are saved beside the library, so they are still here after a "
        "restart. Each export carries full references."
    )
    try:
        col = state.collections().get(bar.collection)
    except KbError as exc:
        st.error(f"This collection can't be read: {ui.md_text(exc)}")
        return
    st.subheader(ui.md_text(col.name))
    if not col.items:
        st.info("Nothing pinned yet. Use “Pin to collection” under any passage on the Ask page.")
        return
    export_buttons(col)
    for title, part in sections(col):
        if title:
            st.markdown(f"#### {title}")  # kb's own heading, not a document's
        for n, p in part:
            pinned_card(n, p, col.name)
    with st.expander("Delete this collection"):
        st.caption("This removes the collection file. Documents in the library are not affected.")
        if st.button("Delete collection", key="delete_collection", type="primary"):
            state.collections().delete(col.name)
            st.rerun()


def pinned_card(n: int, p: PinnedPassage, collection: str) -> None:
    with st.container(border=True):
        st.html(ui.pinned_header_html(n, p))
        if p.finding:
            st.markdown(f"**Finding:** {ui.md_text(p.finding)}")
        at = p.text.find(p.finding) if p.finding else -1
        spans = [(at, at + len(p.finding))] if at >= 0 else []  # the finding, marked
        st.html(f'<div class="kb-passage">{ui.highlight(p.text, spans=spans)}</div>')
        if p.also_in:
            st.markdown("**Also in:**")
            for a in p.also_in:
                st.caption(
                    f"“{ui.md_text(' '.join(a.sentence.split()))}” — {ui.md_text(a.reference())}"
                )
        if p.question:
            st.caption(f"Found by: {ui.md_text(p.question)}")
        st.code(p.reference(), language=None, wrap_lines=True)
        st.button(
            "Remove from collection",
            key=f"rm-{p.key}",
            on_click=unpin,
            args=(p.key, collection),
        )


def export_buttons(col: Collection) -> None:
    """Three downloads; each file is built only when its button is clicked."""
    stem = file_stem(col)
    with st.container(horizontal=True):
        for label, build, suffix, mime in EXPORTS:
            st.download_button(
                label,
                data=partial(build, col),
                file_name=f"{stem}.{suffix}",
                mime=mime,
                key=f"export-{suffix}",
            )
