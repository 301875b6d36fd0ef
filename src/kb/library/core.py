"""``Library``: the facade itself (its contract is described in ``kb.library``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.answer.extract import answer
from kb.answer.findings import with_findings
from kb.answer.learning import (
    LearningEntry,
    LearningQuery,
    document_passes,
    entries_of,
    select,
)
from kb.answer.model import Answer
from kb.answer.recurring import RecurringGroup, group_recommendations
from kb.config import Settings
from kb.data import existing
from kb.embed import open_embedder
from kb.embed.cache import EmbedCache
from kb.embed.contract import DIM, Embedder
from kb.embed.routing import summary as embedding_summary
from kb.enrich.taxonomy import load_taxonomy
from kb.errors import KbError, UsageError
from kb.ingest import overrides
from kb.ingest.overrides import OverriddenStore
from kb.library.ingesting import ingestor_for
from kb.library.pool import Run, SearchJob, SearchPool, run_job, search_workers
from kb.library.records import Precedents, Stats, bounded, by_type, by_year
from kb.records import Chunk, Document, Filters, Hit, IngestReport, PageImage, ProgressFunc
from kb.retrieve.browse import browse
from kb.retrieve.facets import TOP_N, hit_facets, store_facets
from kb.retrieve.precedents import Precedent, ReviewGroup, find_precedents, group_by_review
from kb.retrieve.search import Searcher, SearchResult
from kb.store import open_store, open_writer
from kb.store.check import CheckReport, check_store
from kb.store.contract import Store
from kb.store.generations import current_token
from kb.text.limits import CASE_MAX_CHARS, QUERY_MAX_CHARS
from kb.workspace.pinned import Collections
from kb.workspace.querylog import log_query
from kb.workspace.uploads import UploadReport

if TYPE_CHECKING:
    # Imported where used: a question (`kb search`, the app) never needs the
    # downloader (kb.sources), and importing it costs a cold start.
    from kb.sources import FetchReport

# More distinct values than any library holds: a facet on doc_id returns them all.
ALL_VALUES = 1_000_000


class Library:
    """Opens things lazily: ``kb stats`` never loads the model."""

    def __init__(
        self, settings: Settings, *, embedder: Embedder | None = None, store: Store | None = None
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._store = store
        # Worker processes open their own model and store: not what was handed in.
        self._own_parts = embedder is None and store is None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = open_embedder(self.settings.embed)
        return self._embedder

    @property
    def store(self) -> Store:
        if self._store is None:
            # Reads show Panel staff's corrections at once (kb.ingest.overrides).
            opened = open_store(self.settings.store, self.embedder_dim)
            self._store = OverriddenStore(opened, self.settings.store.store_dir)
        return self._store

    @property
    def embedder_dim(self) -> int:
        return self._embedder.dim if self._embedder is not None else DIM

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(
            self.store, self.embedder, self.settings.search, embed_sentences=self._sentence_cache
        )

    @cached_property
    def _pool(self) -> SearchPool:
        """Where searches run: here, or in worker processes once they overlap."""
        searcher, workers = self.searcher, search_workers(self.settings) if self._own_parts else 0
        local: Run = lambda job: run_job(searcher, job)  # noqa: E731
        return SearchPool(local, self.settings, workers)

    @cached_property
    def _sentence_cache(self) -> EmbedCache:
        # Sentences search and the answer embed themselves (an old index's,
        # a sentence cut from a run-in heading) come back for related questions.
        return EmbedCache(self.embedder.embed_documents)

    def _log(self, query: str, mode: str) -> None:
        bounded(query, QUERY_MAX_CHARS, "question")
        # A no-op unless KB_LOG_QUERIES is on.
        log_query(self.settings.store.store_dir, self.settings.app.log_queries, query, mode=mode)

    def search(
        self, query: str, *, filters: Filters | None = None, top_k: int = 10, mode: str = "hybrid"
    ) -> list[Hit]:
        """The top passages for ``query``, each with its citation."""
        self._log(query, mode)
        return self._pool.run(SearchJob(query, filters, top_k, mode, judge_terms=False)).hits

    def retrieve(
        self, query: str, *, filters: Filters | None = None, top_k: int = 10, mode: str = "hybrid"
    ) -> SearchResult:
        """The top passages plus the evidence of whether they answer ``query``."""
        self._log(query, mode)
        return self._pool.run(SearchJob(query, filters, top_k, mode))

    def ask(self, question: str, *, filters: Filters | None = None, top_k: int = 8) -> Answer:
        """An extractive answer: verbatim sentences from the top passages, each
        citing its passage; none when the search says nothing matches closely."""
        result = self.retrieve(question, filters=filters, top_k=top_k)
        extractive = answer(
            question,
            result.hits,
            no_match=result.no_match,
            best_similarity=result.best_similarity,
            no_match_reason=result.no_match_reason,
            embed=self._sentence_cache,
            stored=result.sentence_vectors,
        )
        # A broad question also gets its evidence summary (kb.answer.findings).
        return with_findings(
            extractive, result.form, embed=self._sentence_cache, stored=result.sentence_vectors
        )

    def count(self, filters: Filters | None = None) -> int:
        """Passages the filters let through (the app's live result count)."""
        return self.store.count(filters or Filters())

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return self.store.chunks_of(doc_id)

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        prune: bool = False,
        progress: ProgressFunc | None = None,
        rebuild: bool = False,
    ) -> IngestReport:
        """Ingest files or folders. On the embedded store, changes go to a new
        generation, checked and published atomically when the run ends
        (``kb.store``), built on the last generation that passes its check;
        ``rebuild`` builds on nothing, embedding every document again."""
        reader = self.store if self.settings.store.uses_server else None
        settings, dim = self.settings.store, self.embedder_dim
        with open_writer(settings, dim, reader=reader, rebuild=rebuild) as store:
            ingestor = ingestor_for(self.settings, store, self.embedder)
            report = ingestor.run(paths, prune=prune, progress=progress)
            report.notes.extend(getattr(store, "notes", ()))
        return report

    @property
    def notice(self) -> str | None:
        """A line for the person when the library serves an earlier generation
        than the live one because that one is damaged (the app's banner); None
        when all is well, or before anything is opened."""
        return getattr(self._store, "notice", None) if self._store is not None else None

    def check(self) -> CheckReport:
        """Verify the embedded index in full (``kb check``): see ``kb.store.check``."""
        if self.settings.store.uses_server:
            raise UsageError("kb check verifies the embedded index; this library uses a server")
        return check_store(self.settings.store.store_dir, self.embedder_dim)

    def fetch(self, manifest: Path) -> FetchReport:
        """Download the manifest's publications into the cache folder."""
        from kb.sources import fetch, load_manifest

        return fetch(load_manifest(manifest), self.settings.cache_dir, self.settings.fetch)

    def add_uploads(
        self, files: Sequence[tuple[str, bytes]], *, progress: ProgressFunc | None = None
    ) -> UploadReport:
        """Keep uploaded ``(name, bytes)`` files in ``<store_dir>/uploads/`` under
        unique names (``kb.workspace.uploads``), then ingest those kept."""
        from kb.workspace import uploads

        kept = uploads.keep_all(self.settings.store.store_dir / uploads.FOLDER, files)
        paths = uploads.stored_paths(kept)
        if not paths:
            return UploadReport(tuple(kept))
        relay = uploads.relay_progress(progress, kept)
        return UploadReport(tuple(kept), self.ingest(paths, progress=relay))

    def documents(self) -> list[Document]:
        return self.store.documents()

    def find_document(self, ref: str) -> Document:
        """The document ``ref`` names: its id, an id prefix or its file name."""
        return overrides.resolve(self.documents(), ref)

    def remove_document(self, ref: str) -> Document:
        """Take a document (id, id prefix or file name) out of the library, for
        good: recorded in the store's overrides, so a re-ingest passes it over."""
        doc = self.find_document(ref)
        overrides.mark_removed(self.settings.store.store_dir, doc)
        reader = self.store if self.settings.store.uses_server else None
        with open_writer(self.settings.store, self.embedder_dim, reader=reader) as store:
            store.delete_document(doc.doc_id)
        return doc

    def edit_document(self, ref: str, changes: Mapping[str, object]) -> Document:
        """Correct a document's title, publisher, year or type; the correction is
        kept in the store's overrides (every read and every ingest applies it),
        and the document is re-indexed so that filters and counts use it too."""
        doc = self.find_document(ref)
        checked = dict(overrides.parse_assignment(f"{k}={v}") for k, v in changes.items())
        overrides.set_fields(self.settings.store.store_dir, doc.doc_id, checked)
        if doc.path and Path(doc.path).is_file():
            self._reindex(Path(doc.path), doc.doc_id)
        return overrides.load(self.settings.store.store_dir).apply(doc)

    def _reindex(self, path: Path, doc_id: str) -> None:
        reader = self.store if self.settings.store.uses_server else None
        with open_writer(self.settings.store, self.embedder_dim, reader=reader) as store:
            store.delete_document(doc_id)
            report = ingestor_for(self.settings, store, self.embedder).run([path])
            if report.failed:  # raised inside: the new generation is not published
                raise KbError(f"{path.name} could not be re-indexed: {report.failed[0].reason}")

    def facets(
        self, query: str | None = None, filters: Filters | None = None, *, top_n: int = TOP_N
    ) -> dict[str, dict[Any, int]]:
        """Passage counts per theme, doc_type, publisher and year (``kb.retrieve.facets``).

        Without a query: every passage the filters let through, by Qdrant's facet
        API. With a query: its top ``top_n`` hybrid hits within the filters.
        """
        filters = filters or Filters()
        if query is None or not query.strip():
            return store_facets(self.store, filters)
        return hit_facets(self.search(query, filters=filters, top_k=top_n))

    def similar(
        self, text: str, *, filters: Filters | None = None, top_docs: int = 5
    ) -> list[Precedent]:
        """Documents that dealt with the same pattern as the case in ``text``
        (``kb.retrieve.precedents``)."""
        bounded(text, CASE_MAX_CHARS, "case summary")
        searcher = self.searcher
        return find_precedents(
            text,
            lambda q, f, k: searcher.search(q, filters=f, top_k=k),
            self.embedder.count_tokens,
            filters=filters,
            top_docs=top_docs,
        )

    def learning(
        self, query: LearningQuery | None = None, filters: Filters | None = None
    ) -> list[LearningEntry]:
        """Findings, recommendations, reflective questions, practice episodes and good
        practice across the library (``kb.answer.learning``), by relevance to
        ``query.query`` when it has one, else in library order."""
        q = query or LearningQuery()
        f = filters or Filters()
        if f.themes:
            q = replace(q, themes=tuple(dict.fromkeys((*q.themes, *f.themes))))
        entries = [
            e
            for d in self.store.documents()
            if document_passes(d, f)
            for e in entries_of(d, self.store.chunks_of(d.doc_id))
        ]
        return select(
            entries, q, embed=self._sentence_cache, embed_query=self.embedder.embed_query
        )

    def recurring(
        self, query: LearningQuery | None = None, filters: Filters | None = None
    ) -> list[RecurringGroup]:
        """The same recommendation made in two or more documents (``kb.answer.recurring``)."""
        q = replace(query or LearningQuery(), roles=("recommendation",), limit=0)
        return group_recommendations(self.learning(q, filters), self._sentence_cache)

    def stats(self) -> Stats:
        docs = self.store.documents()
        return Stats(
            documents=len(docs),
            pages=sum(d.n_pages for d in docs),
            chunks=self.store.count(Filters()),
            location=self.store.location,
            size_bytes=self.store.size_bytes(),
            backend="qdrant-server" if self.settings.store.uses_server else "qdrant-edge",
            by_type=by_type(docs),
            by_year=by_year(docs),
            notice=self.notice,
            embedding=embedding_summary(self.settings.embed),
        )

    def close(self) -> None:
        pool = self.__dict__.pop("_pool", None)
        if pool is not None:
            pool.close()  # its workers and their reading copies go
        self.__dict__.pop("searcher", None)  # it holds the store closed below
        if self._store is not None:
            self._store.close()
            self._store = None

    def precedents(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        top_k: int = 40,
        per_doc: int = 3,
    ) -> Precedents:
        """The top ``top_k`` passages for ``question``, grouped by document (at
        most ``per_doc`` shown each), documents ranked by their best passages."""
        result = self.retrieve(question, filters=filters, top_k=top_k)
        return Precedents(result.no_match, tuple(group_by_review(result.hits, per_doc=per_doc)))

    def browse(self, filters: Filters, *, per_doc: int = 3) -> list[ReviewGroup]:
        """Without a question: documents with passages the filters admit, newest
        first, each with its first ``per_doc`` (``kb.retrieve.browse``)."""
        return browse(self.store, filters, per_doc=per_doc)

    def count_documents(self, filters: Filters | None = None) -> int:
        """Documents with at least one passage the filters let through.

        Counted on passages, so a theme filter (themes tag passages, not
        documents) narrows it as it narrows ``count``."""
        return len(self.store.facet("doc_id", filters or Filters(), limit=ALL_VALUES))

    def document_facets(self) -> dict[str, dict[str, int]]:
        """Documents (not passages) per doc_type, publisher, year and theme: the
        app's filter labels. A theme counts the documents with a passage tagged with it."""
        docs = self.documents()
        themes = self.facets(None, Filters()).get("themes", {})
        return {
            "doc_type": dict(Counter(d.doc_type for d in docs)),
            "publisher": dict(Counter(d.publisher for d in docs if d.publisher)),
            "year": dict(Counter(str(d.year) for d in docs if d.year)),
            "themes": {str(t): self.count_documents(Filters(themes=(str(t),))) for t in themes},
        }

    def theme_labels(self) -> dict[str, str]:
        """Theme id -> label, in the configured taxonomy's order; empty without one."""
        try:
            taxonomy = load_taxonomy(existing(self.settings.ingest.taxonomy_path, "taxonomy.yaml"))
        except KbError:  # no taxonomy, or an unreadable one: themes show by id
            return {}
        return {t.id: t.label for t in taxonomy.themes}

    def can_show_page(self, doc_path: str | Path) -> bool:
        """Whether ``page_image`` can draw this file's pages (a PDF that is there)."""
        from kb.parse.render import can_render

        return can_render(doc_path)

    def page_image(self, doc_path: str | Path, page: int, highlight: str = "") -> PageImage:
        """1-based ``page`` of the PDF as PNG, ``highlight``'s text marked on it.

        Raises RenderError (a KbError) when the page cannot be shown."""
        from kb.parse.render import render_page

        return render_page(doc_path, page, highlight=highlight)

    def generation(self) -> str | None:
        """The embedded store's live generation (it changes with every ingest,
        by this process or another); None on a server, which has none."""
        if self.settings.store.uses_server:
            return None
        token = current_token(self.settings.store.store_dir)
        return None if token is None else f"{token[0]}:{token[1]}"

    def collections(self) -> Collections:
        """The pinned-passage collections kept beside this library."""
        return Collections.for_settings(self.settings.store)


def open_worker_search(settings: Settings) -> tuple[Run, Callable[[], None]]:
    """A search worker's searcher (``kb.library.worker``), opened in that process
    from the same settings and warmed (model, index): a damaged index fails the
    start, not a search, and the first search is as quick as the rest."""
    library = Library(settings.with_(search_processes=0))
    searcher = library.searcher
    run_job(searcher, SearchJob("child safeguarding", top_k=1))
    return (lambda job: run_job(searcher, job)), library.close
