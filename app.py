"""kb's Streamlit app: ask a question, read a cited answer, gather precedents.

Run with ``streamlit run app.py``. Every action is one ``kb`` call; this file
only lays things out. Three pages, chosen in the sidebar:

- Ask: a cited extractive answer over passage cards, or the precedent view
  (one card per review); filters in the sidebar; the question, filters and
  view live in the URL (``?q=...&type=...``) so a search can be shared.
- Collections: pinned passages, exported as Markdown, DOCX or CSV.
- Library: what is indexed, and an upload control that adds documents.

Document text is only ever shown escaped (``kb.web.html``), so a PDF can't inject
HTML or script: as HTML through ``st.html``, and through ``ui.md_text`` wherever
Streamlit reads a string as Markdown (captions, labels, alerts, toasts,
headers), so a title can't become an image the browser fetches from elsewhere.
The model and the store load once per process (``st.cache_resource``); answers,
counts and page images are cached, so changing a widget re-runs nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

import streamlit as st

from kb.answer.model import NO_MATCH_MESSAGE, Answer
from kb.enrich.taxonomy import Taxonomy, load_taxonomy
from kb.errors import KbError
from kb.ingest.run import Progress
from kb.parse import PageImage, can_render, render_page
from kb.records import Document, Filters, Hit
from kb.retrieve.precedents import ReviewGroup, group_by_review
from kb.web import html as ui
from kb.web import prerender
from kb.web.state import ask, data_key, lib, settings
from kb.workspace.export import file_stem, to_csv, to_docx, to_markdown
from kb.workspace.pinned import Collection, Collections, PinnedPassage, reference_for
from kb.workspace.uploads import UploadReport

GROUP_TOP_K = 40  # passages grouped into reviews in the precedent view
PER_REVIEW = 3
DEFAULT_COLLECTION = "My collection"
PAGES = ("Ask", "Collections", "Library")
VIEWS = {"answer": "Answer and passages", "reviews": "Group by review"}
CONTENT_NOTE = (
    "**Content note:** these documents describe abuse, neglect and the deaths of "
    "children. Take care of yourself while reading; it is fine to step away."
)


# --------------------------------------------------------------------------- loading


@st.cache_resource
def taxonomy(path: str) -> Taxonomy | None:
    try:
        return load_taxonomy(Path(path))
    except KbError:
        return None


@st.cache_data(ttl=60, show_spinner=False)
def documents(key: str) -> list[Document]:
    return lib().documents()


@st.cache_data(ttl=60, show_spinner=False)
def facets(key: str) -> dict[str, dict[object, int]]:
    return lib().facets(None, Filters())


@st.cache_data(ttl=60, show_spinner=False)
def passage_count(key: str, filters: Filters) -> int:
    return lib().count(filters)


@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def precedents(key: str, question: str, filters: Filters) -> tuple[bool, list[ReviewGroup]]:
    result = lib().retrieve(question, filters=filters, top_k=GROUP_TOP_K)
    return result.no_match, group_by_review(result.hits, per_doc=PER_REVIEW)


@st.cache_data(max_entries=48, show_spinner=False)
def page_image(path: str, page: int, passage: str) -> PageImage:
    return render_page(path, page, highlight=passage)


@st.cache_data(max_entries=16, show_spinner=False)
def file_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def clear_caches() -> None:
    for fn in (documents, facets, passage_count, ask, precedents):
        fn.clear()


def doc_map() -> dict[str, Document]:
    return {d.doc_id: d for d in documents(data_key())}


def collections() -> Collections:
    return Collections.for_settings(settings().store)


# --------------------------------------------------------------------------- sidebar


@dataclass(frozen=True)
class Sidebar:
    page: str
    filters: Filters
    collection: str


def sidebar() -> Sidebar:
    key = data_key()
    docs = documents(key)
    with st.sidebar:
        st.markdown("### Safeguarding review search")
        st.caption(
            f"{len(docs)} documents · {sum(d.n_pages for d in docs):,} pages · "
            "answers quote the documents word for word"
        )
        page = st.radio("Go to", PAGES, key="page", bind="query-params", horizontal=True)
        filters = Filters()
        if page == "Ask":
            filters = filter_controls(key, docs)
        st.divider()
        collection = collection_picker()
    return Sidebar(page or PAGES[0], filters, collection)


def url_multiselect(
    label: str, name: str, options: list[str], labels: dict[str, str], placeholder: str
) -> list[str]:
    """A multiselect whose choice lives in the URL as ``name=id&name=id``.

    Streamlit's own binding would put the displayed labels in the URL, and these
    labels carry live counts; ids keep a shared link stable.
    """
    if name not in st.session_state:
        st.session_state[name] = [v for v in st.query_params.get_all(name) if v in options]
    chosen = st.multiselect(
        label,
        options,
        key=name,
        format_func=lambda v: labels.get(v, v),
        placeholder=placeholder,
    )
    sync_url(name, chosen)
    return [str(v) for v in chosen]


def sync_url(name: str, values: list[str] | str | None) -> None:
    """Write a choice into the URL, or remove it when it is the default (empty)."""
    if values:
        st.query_params[name] = values
    elif name in st.query_params:
        del st.query_params[name]


def filter_controls(key: str, docs: list[Document]) -> Filters:
    st.markdown("**Filters**")
    counts = facets(key)
    types = {str(t): n for t, n in counts.get("doc_type", {}).items()}
    doc_types = url_multiselect(
        "Document type",
        "type",
        list(types),
        {t: f"{ui.doc_type_label(t)} ({n})" for t, n in types.items()},
        "Any type",
    )
    publishers = {str(p): n for p, n in counts.get("publisher", {}).items()}
    chosen_publishers = url_multiselect(
        "Publisher",
        "publisher",
        list(publishers),
        {p: f"{p} ({n})" for p, n in publishers.items()},
        "Any publisher",
    )
    years = sorted(int(str(y)) for y in counts.get("year", {}))
    chosen_years: tuple[int, int] | None = None
    bounds: tuple[int, int] | None = None
    if len(years) >= 2:
        bounds = (years[0], years[-1])
        chosen_years = year_slider(bounds)
    themes = theme_control({str(t): n for t, n in counts.get("themes", {}).items()})
    choice = ui.FilterChoice(
        doc_types=tuple(doc_types),
        publishers=tuple(chosen_publishers),
        themes=themes,
        years=chosen_years,
        year_bounds=bounds,
    )
    filters = choice.filters()
    n_docs = len(ui.matching_documents(docs, filters))
    n_passages = passage_count(key, filters)
    if filters.is_empty():
        st.caption(f"Searching all {n_passages:,} passages.")
    else:
        st.markdown(
            f"**{n_passages:,} passages** in {n_docs} document{'s' if n_docs != 1 else ''} "
            "match these filters."
        )
    return filters


def year_slider(bounds: tuple[int, int]) -> tuple[int, int]:
    """A year range kept in the URL as ``year_from``/``year_to``."""
    params = st.query_params
    if "years" not in st.session_state:
        lo = ui.parse_year(params.get("year_from", bounds[0]), bounds[0])
        hi = ui.parse_year(params.get("year_to", bounds[1]), bounds[1])
        lo, hi = max(bounds[0], min(lo, bounds[1])), min(bounds[1], max(hi, bounds[0]))
        st.session_state["years"] = (min(lo, hi), max(lo, hi))
    # A range slider returns a pair (its value in session state is a pair).
    lo, hi = cast(tuple[int, int], st.slider("Year", bounds[0], bounds[1], key="years"))
    sync_url("year_from", str(lo) if lo != bounds[0] else None)
    sync_url("year_to", str(hi) if hi != bounds[1] else None)
    return int(lo), int(hi)


def theme_control(counts: dict[str, int]) -> tuple[str, ...]:
    from kb.data import existing

    tax = taxonomy(str(existing(settings().ingest.taxonomy_path, "taxonomy.yaml")))
    names = {t.id: t.label for t in tax.themes} if tax else {}
    options = list(counts) + [t for t in names if t not in counts]
    chosen = url_multiselect(
        "Theme",
        "theme",
        options,
        {t: f"{names.get(t, t)} ({counts.get(t, 0)})" for t in options},
        "Any theme" if counts else "No passages are tagged with themes yet",
    )
    return tuple(chosen)


def collection_picker() -> str:
    st.markdown("**Collection for pinned passages**")
    names = collections().names() or [DEFAULT_COLLECTION]
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
        made = collections().create(raw)
    except KbError as exc:
        st.session_state["flash_error"] = str(exc)
        return
    st.session_state["new_collection_made"] = made.name
    st.session_state["new_collection_name"] = ""


# --------------------------------------------------------------------------- cards


def pin(hit: Hit, question: str, collection: str) -> None:
    try:
        collections().pin(collection, PinnedPassage.from_hit(hit, question=question))
    except KbError as exc:
        st.session_state["flash_error"] = str(exc)
        return
    st.session_state["flash"] = f"Pinned to “{ui.md_text(collection)}”."


def unpin(chunk_id: str, collection: str) -> None:
    collections().unpin(collection, chunk_id)


def card_actions(hit: Hit, question: str, context: str, pinned: set[str], collection: str) -> None:
    """Open the source page, copy the citation, pin: one row under a passage."""
    cid = hit.chunk.chunk_id
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


def source_view(hit: Hit, context: str) -> None:
    doc = doc_map().get(hit.document.doc_id, hit.document)
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
    if doc.path and can_render(doc.path):
        try:
            image = page_image(doc.path, page, c.text)
        except KbError as exc:
            st.error(f"This page can't be shown: {ui.md_text(exc)}")
        else:
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
    else:
        st.caption(
            f"{ui.md_text(doc.file)} is not a PDF, so here is the text the library holds "
            f"for page {page}."
        )
        on_page = [x for x in lib().chunks_of(doc.doc_id) if x.page_start <= page <= x.page_end]
        with st.container(height=320, border=True):
            for chunk in on_page:
                st.html(f'<div class="kb-passage">{ui.highlight(chunk.text)}</div>')
    with st.container(horizontal=True):
        if doc.source_url.startswith(("https://", "http://")):
            # Browsers' PDF viewers open a published PDF at #page=N.
            anchor = f"#page={page}" if doc.source_url.lower().endswith(".pdf") else ""
            st.link_button("Open the published document", doc.source_url + anchor)
        if doc.path and Path(doc.path).is_file():
            path = doc.path
            st.download_button(
                f"Download {ui.md_text(doc.file)}",
                data=lambda: file_bytes(path),  # read only when clicked
                file_name=doc.file,
                key=f"dl-{context}-{c.chunk_id}",
            )


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


# --------------------------------------------------------------------------- pages


def flash() -> None:
    message = st.session_state.pop("flash", None)
    if message:
        st.toast(message)  # built escaped, by pin()
    error = st.session_state.pop("flash_error", None)
    if error:
        st.error(ui.md_text(error))


def ask_page(bar: Sidebar) -> None:
    st.title("Ask the library")
    st.info(CONTENT_NOTE)
    question = st.text_input(
        "Your question",
        key="q",
        bind="query-params",
        placeholder="e.g. What did reviews find about sharing information with the police?",
        help="Press Enter to ask. The answer quotes the documents; it is never made up.",
    )
    if "view" not in st.session_state:
        wanted = st.query_params.get("view", "answer")
        st.session_state["view"] = wanted if wanted in VIEWS else "answer"
    view = st.segmented_control(
        "Show",
        list(VIEWS),
        required=True,
        key="view",
        format_func=lambda v: VIEWS.get(str(v), str(v)),
        label_visibility="collapsed",
    )
    sync_url("view", view if view != "answer" else None)
    question = (question or "").strip()
    if not question:
        st.caption(
            "Ask in your own words, as you would ask a colleague. Filters in the sidebar "
            "narrow the search; the address bar keeps your search so you can share it."
        )
        return
    key = data_key()
    pinned = _pinned_ids(bar.collection)
    if view == "reviews":
        reviews_view(key, question, bar, pinned)
    else:
        answer_view(key, question, bar, pinned)


def _pinned_ids(name: str) -> set[str]:
    try:
        return {p.chunk_id for p in collections().get(name).items}
    except KbError as exc:  # a damaged collection file must not hide the answer
        st.warning(ui.md_text(exc))
        return set()


def answer_view(key: str, question: str, bar: Sidebar, pinned: set[str]) -> None:
    with st.spinner("Searching…"):
        try:
            result = ask(key, question, bar.filters)
        except KbError as exc:
            st.error(ui.md_text(exc))
            return
    if result.no_match or not result.sentences:
        no_match_notice(bool(result.passages), result.no_match_message)
        if result.passages:
            st.subheader("Related passages")
            st.caption("Nearest in meaning, shortened. Open a source page to read more.")
            for hit in result.passages:
                related_card(hit, question, pinned, bar.collection)
        return
    st.subheader("Answer")
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
    st.warning(
        f"{message}{more} Try other words, or widen the filters.", icon=":material/info:"
    )


def reviews_view(key: str, question: str, bar: Sidebar, pinned: set[str]) -> None:
    with st.spinner("Searching…"):
        try:
            no_match, groups = precedents(key, question, bar.filters)
        except KbError as exc:
            st.error(ui.md_text(exc))
            return
    if no_match:
        no_match_notice(bool(groups))
        if not groups:
            return
        st.subheader("Related documents")
    else:
        st.subheader(f"{len(groups)} document{'s' if len(groups) != 1 else ''}, best first")
    for group in groups:
        with st.container(border=True):
            st.html(ui.document_header_html(group.document, group.matches))
            for hit in group.hits:
                st.html(ui.snippet_html(hit, question))
                card_actions(hit, question, "rev", pinned, bar.collection)


def collections_page(bar: Sidebar) -> None:
    st.title("Collections")
    st.caption(
        "Pinned passages are saved beside the library, so they are still here after a "
        "restart. Each export carries full references."
    )
    try:
        col = collections().get(bar.collection)
    except KbError as exc:
        st.error(f"This collection can't be read: {ui.md_text(exc)}")
        return
    st.subheader(ui.md_text(col.name))
    if not col.items:
        st.info("Nothing pinned yet. Use “Pin to collection” under any passage on the Ask page.")
        return
    export_buttons(col)
    for n, p in enumerate(col.items, 1):
        with st.container(border=True):
            st.html(ui.pinned_header_html(n, p))
            st.html(f'<div class="kb-passage">{ui.highlight(p.text)}</div>')
            if p.question:
                st.caption(f"Found by: {ui.md_text(p.question)}")
            st.code(p.reference(), language=None, wrap_lines=True)
            st.button(
                "Remove from collection",
                key=f"rm-{p.chunk_id}",
                on_click=unpin,
                args=(p.chunk_id, col.name),
            )
    with st.expander("Delete this collection"):
        st.caption("This removes the collection file. Documents in the library are not affected.")
        if st.button("Delete collection", key="delete_collection", type="primary"):
            collections().delete(col.name)
            st.rerun()


def export_buttons(col: Collection) -> None:
    """Three downloads; each file is built only when its button is clicked."""
    stem = file_stem(col)
    with st.container(horizontal=True):
        st.download_button(
            "Export Markdown",
            data=lambda: to_markdown(col),
            file_name=f"{stem}.md",
            mime="text/markdown",
            key="export-md",
        )
        st.download_button(
            "Export Word (DOCX)",
            data=lambda: to_docx(col),
            file_name=f"{stem}.docx",
            mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            key="export-docx",
        )
        st.download_button(
            "Export CSV",
            data=lambda: to_csv(col),
            file_name=f"{stem}.csv",
            mime="text/csv",
            key="export-csv",
        )


def library_page() -> None:
    st.title("Library")
    key = data_key()
    docs = documents(key)
    cols = st.columns(3)
    cols[0].metric("Documents", f"{len(docs):,}")
    cols[1].metric("Pages", f"{sum(d.n_pages for d in docs):,}")
    cols[2].metric("Passages", f"{sum(d.n_chunks for d in docs):,}")
    if docs:
        by_type: dict[str, int] = {}
        by_year: dict[str, int] = {}
        for d in docs:
            label = ui.doc_type_label(d.doc_type)
            by_type[label] = by_type.get(label, 0) + 1
            year = str(d.year) if d.year else "unknown"
            by_year[year] = by_year.get(year, 0) + 1
        charts = st.columns(2)
        with charts[0]:
            st.markdown("**Documents by type**")
            st.bar_chart(
                {"type": list(by_type), "documents": list(by_type.values())},
                x="type",
                y="documents",
                color="#1f5f8b",
                horizontal=True,
                height=300,
            )
        with charts[1]:
            st.markdown("**Documents by year**")
            years = sorted(by_year)
            st.bar_chart(
                {"year": years, "documents": [by_year[y] for y in years]},
                x="year",
                y="documents",
                color="#1f5f8b",
                height=300,
            )
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
    else:
        st.info("The library is empty. Add documents below, or run `kb ingest`.")
    upload_section()


def upload_section() -> None:
    st.subheader("Add documents")
    st.caption("PDF or Word (DOCX). Files are kept beside the library, in its uploads folder.")
    files = st.file_uploader(
        "Choose files", type=["pdf", "docx"], accept_multiple_files=True, key="uploads"
    )
    if not st.button("Add to the library", key="ingest", disabled=not files, type="primary"):
        return
    bar = st.progress(0.0, text="Starting…")

    def progress(p: Progress) -> None:
        share = p.done_files / p.total_files if p.total_files else 1.0
        text = f"{p.done_files} of {p.total_files}: {ui.md_text(p.current)}"
        bar.progress(min(1.0, share), text=text)

    try:
        report = lib().add_uploads([(f.name, f.getvalue()) for f in files or []], progress=progress)
    except KbError as exc:
        bar.empty()
        st.error(f"Nothing was added: {ui.md_text(exc)}")
        return
    if any(u.stored for u in report.uploads):
        bar.progress(1.0, text="Done")
        clear_caches()
    else:
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
    if ingest.unchanged:
        st.info(f"Already in the library: {names(report.names_of(ingest.unchanged))}.")
    for upload in report.refused:
        st.error(f"{ui.md_text(upload.name)} was not added: {ui.md_text(upload.error)}.")
    for failure in ingest.failed + ingest.skipped:
        name = ui.md_text(report.name_of(failure.path))
        st.error(f"{name} was not added: {ui.md_text(failure.reason)}.")


def names(items: list[str]) -> str:
    return ", ".join(ui.md_text(n) for n in items)


# --------------------------------------------------------------------------- main


def main() -> None:
    # Reading passages is easier in a narrow column; the Library's table needs room.
    page = st.session_state.get("page", st.query_params.get("page"))
    st.set_page_config(
        page_title="Safeguarding review search",
        page_icon=ui.page_icon(),  # local: a :material/ icon is fetched from Google's fonts
        layout="wide" if page == "Library" else "centered",
        initial_sidebar_state="expanded",
    )
    # --- access control (kb.auth): off unless OIDC ([auth] in secrets) or
    # KB_APP_PASSWORD is configured; stops this run until the visitor is let in.
    from kb.web import auth

    auth.gate(st, settings().app)
    # --- end access control ---
    st.html(ui.CSS)
    try:
        bar = sidebar()
    except KbError as exc:
        st.error(f"The library can't be opened: {ui.md_text(exc)}")
        st.stop()
    flash()
    if bar.page == "Collections":
        collections_page(bar)
    elif bar.page == "Library":
        library_page()
    else:
        ask_page(bar)


def prerendered_answer(question: str) -> Answer | None:
    """A deep link's answer for ``kb.web.prerender`` (None while access control is on).

    Through the same cache as the page, so the app's first run of that link
    finds the answer ready."""
    from kb.web import auth

    if auth.protected(st, settings().app):
        return None
    return ask(data_key(), question, Filters())


# `streamlit run app.py` finds this ASGI app and serves through it: Streamlit
# itself, plus kb.prerender, which writes a deep link's cited answer into the
# page's HTML. Streamlit runs this file as the page script, named __main__.
app = st.App(__file__, middleware=prerender.middleware(prerendered_answer))

if __name__ == "__main__":
    main()
