"""The Library page: what is indexed, and an upload control that adds documents.

Layout only: the counts are ``Library.stats`` (documents by type and by year
included), the table ``Library.documents``, corrections (edit, remove) are
``kb.web.library_edit``, and an upload is one ``Library.add_uploads`` call
(which decides what is kept, ``kb.workspace.uploads``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from kb.errors import KbError
from kb.library import Stats
from kb.records import Document, Progress
from kb.web import html as ui
from kb.web import state
from kb.web.library_edit import corrections
from kb.workspace.uploads import UploadReport

CHART_COLOUR = "#1f5f8b"


def library_page() -> None:
    st.title("Library")
    key = state.data_key()
    stats = state.stats(key)
    cols = st.columns(3)
    cols[0].metric("Documents", f"{stats.documents:,}")
    cols[1].metric("Pages", f"{stats.pages:,}")
    cols[2].metric("Passages", f"{stats.chunks:,}")
    if stats.documents:
        charts(stats)
        docs = state.documents(key)
        document_table(docs)
        corrections(docs)
    else:
        st.info("The library is empty. Add documents below, or run `kb ingest`.")
    upload_section()


def charts(stats: Stats) -> None:
    by_type = {ui.doc_type_label(t): n for t, n in stats.by_type.items()}
    left, right = st.columns(2)
    with left:
        st.markdown("**Documents by type**")
        st.bar_chart(
            {"type": list(by_type), "documents": list(by_type.values())},
            x="type",
            y="documents",
            color=CHART_COLOUR,
            horizontal=True,
            height=300,
        )
    with right:
        st.markdown("**Documents by year**")
        st.bar_chart(
            {"year": list(stats.by_year), "documents": list(stats.by_year.values())},
            x="year",
            y="documents",
            color=CHART_COLOUR,
            height=300,
        )


def document_table(docs: list[Document]) -> None:
    st.dataframe(
        [
            {
                "Title": d.title or d.file,
                "Publisher": d.publisher,
                "Year": d.year,
                "Type": ui.doc_type_label(d.doc_type),
                "Pages": d.n_pages,
                "Passages": d.n_chunks,
                "File": d.file,
                "Source": d.source_url,
            }
            for d in docs
        ],
        hide_index=True,
        width="stretch",
    )


def upload_section() -> None:
    st.subheader("Add documents")
    st.caption("PDF or Word (DOCX). Files are kept beside the library, in its uploads folder.")
    done = st.session_state.pop("upload_report", None)
    if isinstance(done, UploadReport):  # from the upload before this page's rerun
        st.progress(1.0, text="Done")
        ingest_summary(done)
    # A new key after each upload empties the uploader (its files are in the library now).
    round_ = st.session_state.get("upload_round", 0)
    files = st.file_uploader(
        "Choose files",
        type=["pdf", "docx"],
        accept_multiple_files=True,
        key="uploads" if not round_ else f"uploads-{round_}",
    )
    if not st.button("Add to the library", key="ingest", disabled=not files, type="primary"):
        return
    bar = st.progress(0.0, text="Starting…")

    def progress(p: Progress) -> None:
        number = min(p.done_files + (1 if p.stage else 0), p.total_files)
        text = f"{number} of {p.total_files}: {ui.md_text(p.current)}"
        if p.activity:
            text += f" ({p.activity}…)"
        bar.progress(p.share, text=text)

    try:
        uploads = [(f.name, f.getvalue()) for f in files or []]
        report = state.lib().add_uploads(uploads, progress=progress)
    except KbError as exc:
        bar.empty()
        st.error(f"Nothing was added: {ui.md_text(exc)}")
        return
    if any(u.stored for u in report.uploads):
        bar.progress(1.0, text="Done")
        state.clear_caches()
        # Rerun, so the counts and the table above show the new documents at once.
        st.session_state["upload_report"] = report
        st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
        st.rerun()
    bar.empty()
    ingest_summary(report)


def ingest_summary(report: UploadReport) -> None:
    """What happened to each upload, under the name it was uploaded with (escaped)."""
    ingest = report.ingest
    added = report.names_of(ingest.added + ingest.updated)
    if added:
        n = len(added)
        st.success(
            f"Added {n} document{'s' if n != 1 else ''} "
            f"({ingest.pages} pages, {ingest.chunks} passages): {names(added)}."
        )
        inferred_metadata(report)
    if ingest.unchanged:
        st.info(f"Already in the library: {names(report.names_of(ingest.unchanged))}.")
    for upload in report.refused:
        st.error(f"{ui.md_text(upload.name)} was not added: {ui.md_text(upload.error)}.")
    for failure in ingest.failed + ingest.skipped:
        name = ui.md_text(report.name_of(failure.path))
        st.error(f"{name} was not added: {ui.md_text(failure.reason)}.")
    for unread in ingest.unread:
        name = ui.md_text(report.name_of(unread.path))
        st.warning(f"{name} was added, but {ui.md_text(unread.reason)}.")


def inferred_metadata(report: UploadReport) -> None:
    """What kb read from each new document (title, publisher, year, type), for
    the person who uploaded it to check: inference can be wrong."""
    added = {str(Path(p).resolve()) for p in report.ingest.added + report.ingest.updated}
    docs = [d for d in state.documents(state.data_key()) if d.path in added]
    if not docs:
        return
    st.markdown("**Check what kb read from them**")
    st.caption(
        "The title, publisher, year and type were inferred from each document. If one "
        "is wrong, correct it under “Correct or remove a document” above; "
        "the correction lasts when the library is ingested again."
    )
    st.dataframe(
        [
            {
                "File": report.name_of(d.path or d.file),
                "Title": d.title,
                "Publisher": d.publisher,
                "Year": d.year,
                "Type": ui.doc_type_label(d.doc_type),
            }
            for d in docs
        ],
        hide_index=True,
        width="stretch",
        key="inferred-metadata",
    )


def names(items: list[str]) -> str:
    return ", ".join(ui.md_text(n) for n in items)
