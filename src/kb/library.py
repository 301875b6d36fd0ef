"""The library: one object that opens the model and the store from settings.

The CLI, the app and the benchmarks all go through it, so each of them makes
one call per action and none of them touches an engine directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from kb.answer.extract import Answer, EmbedCache, answer
from kb.config import Settings
from kb.embed.batching import BatchingEmbedder
from kb.embed.minilm import Embedder, load_embedder, model_cores, set_model_threads
from kb.ingest.run import Ingestor, IngestReport, ProgressFunc
from kb.parse import OcrFunc
from kb.records import Chunk, Document, Filters, Hit
from kb.retrieve.facets import TOP_N, hit_facets, store_facets
from kb.retrieve.precedents import Precedent, find_precedents
from kb.retrieve.search import Searcher, SearchResult
from kb.sources.fetch import FetchReport
from kb.store.contract import Store, open_store
from kb.workspace.querylog import log_query
from kb.workspace.uploads import UploadReport


@dataclass(frozen=True)
class Stats:
    documents: int
    pages: int
    chunks: int
    location: str
    size_bytes: int
    backend: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Library:
    """Opens things lazily: ``kb stats`` never loads the model."""

    def __init__(
        self, settings: Settings, *, embedder: Embedder | None = None, store: Store | None = None
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._store = store

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            # Concurrent searches (app sessions are threads) share model calls.
            real = self.settings.embedder == "minilm"
            self._embedder = BatchingEmbedder(
                load_embedder(self.settings),
                workers=self.settings.embed_workers,
                threads=set_model_threads if real else None,
                cores=model_cores(self.settings),
            )
        return self._embedder

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.settings, self.embedder_dim)
        return self._store

    @property
    def embedder_dim(self) -> int:
        return self._embedder.dim if self._embedder is not None else 384

    @cached_property
    def searcher(self) -> Searcher:
        # One sentence-vector cache for re-ranking and answer extraction: search
        # fills it with the top passages' stored sentence vectors, so answer
        # extraction seldom needs the model for them.
        return Searcher(
            self.store,
            self.embedder,
            self.settings,
            embed_sentences=self._sentence_vectors,
            remember_sentences=self._sentence_vectors.add,
        )

    def search(
        self, query: str, *, filters: Filters | None = None, top_k: int = 10, mode: str = "hybrid"
    ) -> list[Hit]:
        log_query(self.settings, query, mode=mode)  # a no-op unless KB_LOG_QUERIES is on
        return self.searcher.search(query, filters=filters, top_k=top_k, mode=mode)

    def run(
        self, query: str, *, filters: Filters | None = None, top_k: int = 10, mode: str = "hybrid"
    ) -> SearchResult:
        """Hits plus the no-match decision (what the app and `kb ask` build on)."""
        log_query(self.settings, query, mode=mode)  # a no-op unless KB_LOG_QUERIES is on
        return self.searcher.run(query, filters=filters, top_k=top_k, mode=mode)

    @cached_property
    def _sentence_vectors(self) -> EmbedCache:
        return EmbedCache(self.embedder.embed_documents)

    def ask(self, question: str, *, filters: Filters | None = None, top_k: int = 8) -> Answer:
        """An extractive answer: verbatim sentences from the top passages, each
        citing its passage; none when the search says nothing matches closely."""
        result = self.run(question, filters=filters, top_k=top_k)
        return answer(
            question,
            result.hits,
            no_match=result.no_match,
            best_similarity=result.best_similarity,
            no_match_reason=result.no_match_reason,
            embed=self._sentence_vectors,
        )

    def count(self, filters: Filters | None = None) -> int:
        """Passages the filters let through (the app's live result count)."""
        return self.store.count(filters or Filters())

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return self.store.chunks_of(doc_id)

    def ingest(
        self, paths: Sequence[Path], *, prune: bool = False, progress: ProgressFunc | None = None
    ) -> IngestReport:
        """Ingest files or folders. On the embedded store, changes are written to
        a new generation and published atomically (see ``kb.store.live``)."""
        if self.settings.uses_server:
            return self._ingestor(self.store).run(paths, prune=prune, progress=progress)
        from kb.store.live import open_writer

        # The writer plans from the live generation's catalog and writes a new
        # generation, so it never opens the live shard (the app may hold it).
        with open_writer(
            self.settings.store_dir, self.embedder_dim, reserve_mb=self.settings.min_free_mb
        ) as writer:
            return self._ingestor(writer).run(paths, prune=prune, progress=progress)

    def _ingestor(self, store: Store) -> Ingestor:
        from kb.describe.document import describe
        from kb.enrich.themes import build_tagger

        return Ingestor(
            store,
            self.embedder,
            self.settings,
            describe=describe,
            ocr=self._ocr(),
            tagger=build_tagger(self.settings.taxonomy_path, self.embedder),
        )

    def _ocr(self) -> OcrFunc | None:
        """tesseract for image-only pages, when enabled and installed."""
        from kb.parse import ocr_pdf_page, tesseract_available

        return ocr_pdf_page if self.settings.ocr and tesseract_available() else None

    def fetch(self, manifest: Path) -> FetchReport:
        """Download the manifest's publications into the cache folder."""
        from kb.sources.fetch import fetch, load_manifest

        return fetch(load_manifest(manifest), self.settings.cache_dir, self.settings)

    def add_uploads(
        self, files: Sequence[tuple[str, bytes]], *, progress: ProgressFunc | None = None
    ) -> UploadReport:
        """Keep uploaded ``(name, bytes)`` files in ``<store_dir>/uploads/`` under
        unique names (``kb.workspace.uploads``), then ingest those kept."""
        from kb.workspace import uploads

        kept = uploads.keep_all(self.settings.store_dir / uploads.FOLDER, files)
        paths = uploads.stored_paths(kept)
        if not paths:
            return UploadReport(tuple(kept))
        relay = uploads.relay_progress(progress, kept)
        return UploadReport(tuple(kept), self.ingest(paths, progress=relay))

    def documents(self) -> list[Document]:
        return self.store.documents()

    def facets(
        self, query: str | None = None, filters: Filters | None = None, *, top_n: int = TOP_N
    ) -> dict[str, dict[Any, int]]:
        """Passage counts per theme, doc_type, publisher and year (see ``kb.retrieve.facets``).

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
        searcher = self.searcher
        return find_precedents(
            text,
            lambda q, f, k: searcher.search(q, filters=f, top_k=k),
            self.embedder.count_tokens,
            filters=filters,
            top_docs=top_docs,
        )

    def stats(self) -> Stats:
        docs = self.store.documents()
        return Stats(
            documents=len(docs),
            pages=sum(d.n_pages for d in docs),
            chunks=self.store.count(Filters()),
            location=self.store.location,
            size_bytes=self.store.size_bytes(),
            backend="qdrant-server" if self.settings.uses_server else "qdrant-edge",
        )

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
