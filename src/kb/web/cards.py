"""Passage cards: a passage with its header, and the row of actions under it.

Under every passage: open the source at its page (the PDF page drawn with the
passage marked, or the text the library holds for a file that is not a PDF),
copy its full reference, and pin it to the chosen collection. Layout only; the
page image, the file and the collections come through ``kb.web.state``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from kb.errors import KbError
from kb.records import Document, Hit
from kb.web import html as ui
from kb.web import state
from kb.workspace.pinned import PinnedPassage, reference_for


def pin(hit: Hit, question: str, collection: str) -> None:
    try:
        state.collections().pin(collection, PinnedPassage.from_hit(hit, question=question))
    except KbError as exc:
        st.session_state["flash_error"] = str(exc)
        return
    st.session_state["flash"] = f"Pinned to “{ui.md_text(collection)}”."


def unpin(key: str, collection: str) -> None:
    """Remove the pin with this key (a passage's chunk id, or a pinned finding's key)."""
    state.collections().unpin(collection, key)


def passage_card(
    number: int | None,
    hit: Hit,
    question: str,
    spans: list[tuple[int, int]],
    context: str,
    pinned: set[str],
    collection: str,
) -> None:
    with st.container(border=True):
        st.html(ui.card_header_html(number, hit))
        st.html(ui.passage_html(hit, question, spans))
        card_actions(hit, question, context, pinned, collection)


def related_card(hit: Hit, question: str, pinned: set[str], collection: str) -> None:
    """A nearest passage when nothing answers: shortened, unnumbered, never an answer."""
    with st.container(border=True):
        st.html(
            f'<div class="kb-related">{ui.card_header_html(None, hit)}'
            f"{ui.snippet_html(hit, question, with_head=False)}</div>"
        )
        card_actions(hit, question, "rel", pinned, collection)


def messages() -> None:
    """What the last click's callback left to say: a toast, or an error."""
    message = st.session_state.pop("flash", None)
    if message:
        st.toast(message)  # built escaped, by ``pin``
    error = st.session_state.pop("flash_error", None)
    if error:
        st.error(ui.md_text(error))


def is_pinned(chunk_id: str, collection: str) -> bool:
    try:
        return chunk_id in state.collections().get(collection)
    except KbError:  # a damaged collection file: the page above says so
        return False


@st.fragment
def card_actions(hit: Hit, question: str, context: str, pinned: set[str], collection: str) -> None:
    """Open the source page, copy the citation, pin: one row under a passage.

    A fragment: pinning, unpinning, opening the source and paging through it
    rerun only this row, not the page (and not the search behind it). So whether
    the passage is pinned is read here, each time: ``pinned`` is what the page
    knew when it last ran, which a rerun of this row alone leaves as it was."""
    messages()
    cid = hit.chunk.chunk_id
    pinned = {cid} if is_pinned(cid, collection) else set()
    cols = st.columns([1.3, 1.1, 1.0], vertical_alignment="center")
    with cols[0]:
        show = st.toggle("Open the source at this page", key=f"src-{context}-{cid}")
    with cols[1], st.popover("Copy citation", width="stretch"):
        st.code(reference_for(hit), language=None, wrap_lines=True)
        st.caption("Use the copy icon in the box's corner.")
    with cols[2]:
        if cid in pinned:
            st.button(
                "Pinned ✓ (unpin)",
                key=f"unpin-{context}-{cid}",
                on_click=unpin,
                args=(cid, collection),
                width="stretch",
            )
        else:
            st.button(
                "Pin to collection",
                key=f"pin-{context}-{cid}",
                on_click=pin,
                args=(hit, question, collection),
                width="stretch",
            )
    if show:
        source_view(hit, context)


def source_view(hit: Hit, context: str, mark: str = "") -> None:
    """The page (a PDF's drawn, with ``mark``, else the whole passage, marked on it)."""
    # The library's own record of the document: it knows where the file is.
    docs = {d.doc_id: d for d in state.documents(state.data_key())}
    doc = docs.get(hit.document.doc_id, hit.document)
    c = hit.chunk
    page = c.page_start
    if c.page_end > c.page_start:
        page = int(
            st.segmented_control(
                "Page",
                list(range(c.page_start, c.page_end + 1)),
                default=c.page_start,
                required=True,
                key=f"page-{context}-{c.chunk_id}",
            )
            or c.page_start
        )
    if doc.path and state.lib().can_show_page(doc.path):
        page_picture(doc, page, mark or c.text)
    else:
        page_text(doc, page)
    source_links(doc, page, f"{context}-{c.chunk_id}")


def page_picture(doc: Document, page: int, passage: str) -> None:
    """The PDF page as an image, the passage marked on it."""
    try:
        image = state.page_image(doc.path, page, passage)
    except KbError as exc:
        st.error(f"This page can't be shown: {ui.md_text(exc)}")
        return
    note = (
        "The passage is highlighted in yellow."
        if image.highlighted
        else "The passage could not be marked on this image, but its text is on this page."
    )
    title = ui.md_text(doc.title or doc.file)
    st.image(
        image.png,
        caption=f"{title}, page {page} of {image.n_pages}. {note}",
        width="stretch",
    )


def page_text(doc: Document, page: int) -> None:
    """What the library holds for a page of a file it can't draw (not a PDF)."""
    st.caption(
        f"{ui.md_text(doc.file)} is not a PDF, so here is the text the library holds "
        f"for page {page}."
    )
    on_page = [x for x in state.lib().chunks_of(doc.doc_id) if x.page_start <= page <= x.page_end]
    with st.container(height=320, border=True):
        for chunk in on_page:
            st.html(f'<div class="kb-passage">{ui.highlight(chunk.text, marks=chunk.marks)}</div>')


def source_links(doc: Document, page: int, key: str) -> None:
    """The published document at this page, and the file itself."""
    with st.container(horizontal=True):
        if doc.source_url.startswith(("https://", "http://")):
            # Browsers' PDF viewers open a published PDF at #page=N.
            anchor = f"#page={page}" if doc.source_url.lower().endswith(".pdf") else ""
            st.link_button("Open the published document", doc.source_url + anchor)
        if doc.path and Path(doc.path).is_file():
            path = doc.path
            st.download_button(
                f"Download {ui.md_text(doc.file)}",
                data=lambda: state.file_bytes(path),  # read only when clicked
                file_name=doc.file,
                key=f"dl-{key}",
                on_click="ignore",  # no rerun while the file is on its way
            )
