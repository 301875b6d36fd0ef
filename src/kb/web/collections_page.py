"""The Collections page: the passages pinned to one collection, and its exports.

Pinned passages are saved beside the library (``kb.workspace.pinned``), so
they survive a restart. Pinned findings of a broad answer are listed as the
exports order them: what reviews found, what guidance says, then the other
passages, each finding with its "also in". A trainer writes a note under each
pin and moves pins up or down; the notes go into every export (Markdown, Word,
CSV), which carry full references.

Each export's bytes are built once per state of the collection (cached by its
content hash in ``kb.web.state``) and handed to the browser as a plain file:
its download button does not rerun the page (``on_click="ignore"``), so a
second and third click while the first file is still on its way each get their
file too (a rerun used to drop the first file before the browser had fetched
it). The page's body is a fragment: a note, a move or a removal reruns only it.
"""

from __future__ import annotations

from collections.abc import Callable

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
        "restart. Each export carries full references and your notes."
    )
    collection_body(bar.collection)


@st.fragment
def collection_body(name: str) -> None:
    try:
        col = state.collections().get(name)
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
            pinned_item(col, n, p)
    with st.expander("Delete this collection"):
        st.caption("This removes the collection file. Documents in the library are not affected.")
        if st.button("Delete collection", key="delete_collection", type="primary"):
            state.collections().delete(col.name)
            st.rerun(scope="app")  # the sidebar's list of collections changes too


def pinned_item(col: Collection, n: int, p: PinnedPassage) -> None:
    """One pin: its text and reference (a finding's key sentence marked, with its
    "also in"), the trainer's note, and its actions."""
    key = p.key
    with st.container(border=True):
        st.html(ui.pinned_header_html(n, p))
        finding_lines(p)
        if p.question:
            st.caption(f"Found by: {ui.md_text(p.question)}")
        st.code(p.reference(), language=None, wrap_lines=True)
        note_key = f"note-{col.digest()[:8]}-{key}"
        st.text_area(
            "Note (goes into every export)",
            value=p.note,
            key=note_key,
            placeholder="e.g. Ask the group who held the whole picture.",
            on_change=save_note,
            args=(col.name, key, note_key),
            height=80,
        )
        with st.container(horizontal=True):
            st.button(
                "Move up", key=f"up-{key}", on_click=move, args=(col.name, key, -1), disabled=n == 1
            )
            st.button(
                "Move down",
                key=f"down-{key}",
                on_click=move,
                args=(col.name, key, 1),
                disabled=n == len(col.items),
            )
            st.button(
                "Remove from collection", key=f"rm-{key}", on_click=unpin, args=(key, col.name)
            )


def finding_lines(p: PinnedPassage) -> None:
    """The pinned text, and for a finding its key sentence marked and its "also in"."""
    if p.finding:
        st.markdown(f"**Finding:** {ui.md_text(p.finding)}")
        if p.context:
            st.caption(ui.md_text(p.context))
    at = p.text.find(p.finding) if p.finding else -1
    spans = [(at, at + len(p.finding))] if at >= 0 else []
    st.html(f'<div class="kb-passage">{ui.highlight(p.text, spans=spans)}</div>')
    if p.also_in:
        st.markdown("**Also in:**")
        for a in p.also_in:
            st.caption(
                f"“{ui.md_text(' '.join(a.sentence.split()))}” — {ui.md_text(a.reference())}"
            )


def save_note(name: str, pin: str, key: str) -> None:
    try:
        state.collections().set_note(name, pin, str(st.session_state.get(key, "")))
    except KbError as exc:
        st.session_state["flash_error"] = str(exc)


def move(name: str, pin: str, offset: int) -> None:
    try:
        state.collections().move(name, pin, offset)
    except KbError as exc:
        st.session_state["flash_error"] = str(exc)


def export_buttons(col: Collection) -> None:
    """Three downloads, each built once for this state of the collection."""
    stem = file_stem(col)
    digest = col.digest()
    with st.container(horizontal=True):
        for label, build, suffix, mime in EXPORTS:
            try:
                data = state.export_bytes(digest, suffix, build, col)
            except Exception as exc:  # noqa: BLE001 - whatever broke, the reader is told
                st.error(f"{label} failed, so there is no file to download: {ui.md_text(exc)}")
                continue
            st.download_button(
                label,
                data=data,
                file_name=f"{stem}.{suffix}",
                mime=mime,
                key=f"export-{suffix}",
                on_click="ignore",  # no rerun: the file's address stays valid while it downloads
            )
