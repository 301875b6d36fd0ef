"""The Library page's corrections: edit a document's metadata, or remove it.

Panel staff fix what was inferred wrongly (title, publisher, year, type) or
take a document out. Each is one ``Library`` call (``edit_document``,
``remove_document``), kept in the store's overrides so a re-ingest keeps it;
afterwards every cache is dropped, so counts, filters and answers agree at once.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from kb.errors import KbError
from kb.records import Document
from kb.web import html as ui
from kb.web import state


def corrections(docs: list[Document]) -> None:
    st.subheader("Correct or remove a document")
    st.caption(
        "Changes are kept beside the library, so they last when documents are ingested again."
    )
    by_id = {d.doc_id: d for d in docs}
    doc_id = st.selectbox(
        "Document",
        list(by_id),
        format_func=lambda i: f"{by_id[i].title or by_id[i].file} ({by_id[i].file})",
        key="edit_doc",
    )
    if doc_id is None:
        return
    doc = by_id[str(doc_id)]
    with st.form(f"edit-{doc.doc_id}", border=True):
        title = st.text_input("Title", value=doc.title or doc.file)
        publisher = st.text_input("Publisher", value=doc.publisher)
        year = st.text_input("Year", value=str(doc.year or ""), placeholder="e.g. 2021")
        types = sorted({d.doc_type for d in docs} | set(ui.DOC_TYPE_LABELS))
        doc_type = st.selectbox(
            "Type",
            types,
            index=types.index(doc.doc_type) if doc.doc_type in types else 0,
            format_func=ui.doc_type_label,
        )
        saved = st.form_submit_button("Save changes", type="primary")
    if saved:
        changes = {"title": title, "publisher": publisher, "year": year, "doc_type": doc_type}
        run(lambda: state.lib().edit_document(doc.doc_id, changes), f"Saved: {doc.file}.")
    with st.expander(f"Remove {ui.md_text(doc.file)} from the library"):
        sure = st.checkbox("Yes, remove it (pinned passages keep their copy)", key="remove_ok")
        if st.button("Remove document", key="remove_doc", disabled=not sure):
            run(lambda: state.lib().remove_document(doc.doc_id), f"Removed: {doc.file}.")


def run(action: Callable[[], object], done: str) -> None:
    """Carry out a correction; on success drop every cache and rerun the page."""
    try:
        with st.spinner("Updating the library…"):
            action()
    except KbError as exc:
        st.error(f"Nothing was changed: {ui.md_text(exc)}")
        return
    state.clear_caches()
    st.session_state["flash"] = ui.md_text(done)
    st.rerun()
