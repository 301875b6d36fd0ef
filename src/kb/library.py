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

from kb import generations
from kb.config import Settings
from kb.embed import Embedder, load_embedder
from kb.fetch import FetchReport
from kb.parse import OcrFunc
from kb.pipeline import Ingestor, IngestReport, ProgressFunc
from kb.records import Document, Filters, Hit
from kb.search import Searcher, SearchResult
from kb.store import EdgeStore, Store, open_store


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
            self._embedder = load_embedder(self.settings)
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
        return Searcher(self.store, self.embedder, self.settings)

    def search(
        self, query: str, *, filters: Filters | None = None, top_k: int = 10, mode: str = "hybrid"
    ) -> list[Hit]:
        return self.searcher.search(query, filters=filters, top_k=top_k, mode=mode)

    def run(
        self, query: str, *, filters: Filters | None = None, top_k: int = 10, mode: str = "hybrid"
    ) -> SearchResult:
        """Hits plus the no-match decision (what the app and `kb ask` build on)."""
        return self.searcher.run(query, filters=filters, top_k=top_k, mode=mode)

    def ingest(
        self, paths: Sequence[Path], *, prune: bool = False, progress: ProgressFunc | None = None
    ) -> IngestReport:
        """Ingest files or folders. On the embedded store, changes are written to
        a new generation and published atomically (see ``kb.generations``)."""
        from kb.describe import describe

        ingestor = Ingestor(
            self.store, self.embedder, self.settings, describe=describe, ocr=self._ocr()
        )
        if self.settings.uses_server:
            return ingestor.run(paths, prune=prune, progress=progress)
        store_dir = self.settings.store_dir
        with generations.writer_lock(store_dir):
            generations.collect(store_dir)
            plan = ingestor.plan(paths, prune=prune)
            if not plan.has_work:
                return plan.report
            work_dir = generations.new_generation(store_dir)
            working = EdgeStore(work_dir, self.embedder_dim)
            try:
                ingestor.store = working
                report = ingestor.execute(plan, progress=progress)
            finally:
                working.close()
            generations.publish(store_dir, work_dir)
        return report

    def _ocr(self) -> OcrFunc | None:
        """tesseract for image-only pages, when enabled and installed."""
        from kb.ocr import ocr_pdf_page, tesseract_available

        return ocr_pdf_page if self.settings.ocr and tesseract_available() else None

    def fetch(self, manifest: Path) -> FetchReport:
        """Download the manifest's publications into the cache folder."""
        from kb.fetch import fetch, load_manifest

        return fetch(load_manifest(manifest), self.settings.cache_dir, self.settings)

    def documents(self) -> list[Document]:
        return self.store.documents()

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
