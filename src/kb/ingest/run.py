"""The ingestion job as a library call: files in, chunks with vectors in the store.

Documents are keyed by the sha256 of their bytes, so an unchanged file costs
one hash and re-embeds nothing, a changed file replaces its old chunks, and
running twice never duplicates a chunk (point ids are a function of the hash
and the chunk index). Each document's marker point is written after its
chunks: chunks without a marker are leftovers of an interrupted run and are
deleted at the start of the next one.

Parsing the next file runs in a worker thread while the model embeds the
current one; torch releases the GIL, so the two overlap on separate cores.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from kb.config import IngestSettings, ParseSettings
from kb.embed.bm25 import Bm25Encoder
from kb.embed.contract import Embedder
from kb.errors import KbError, ParseError, StoreError
from kb.files import file_sha256
from kb.ingest.chunk import Chunker, embed_text
from kb.ingest.discover import discover
from kb.ingest.marks import mark_pages
from kb.ingest.overrides import Overrides
from kb.ingest.progress import Embedded, Tracker
from kb.parse import OcrFunc, ParseGuard
from kb.records import Chunk, Document, Failure, IngestReport, Page, ProgressFunc
from kb.store.contract import EmbeddedChunks, Store
from kb.text.limits import TITLE_MAX_CHARS, cap_headings, clip
from kb.text.sentences import sentence_spans

# Files parsed ahead of the one being embedded (see ``Ingestor._prefetch``).
PREFETCH = 8
# A long document is embedded this many passages at a time, so its time
# budget is checked between slices; shorter ones go in one call, as always.
EMBED_SLICE = 512
# An ingest note lists at most this many of a file's pages that have no text.
UNREAD_SHOWN = 10
# What a stored document's vectors are. A document stored under an older
# format is re-embedded by the next ingest, even though its bytes are unchanged.
# 0: sentence vectors pooled from the passage's forward pass (or none);
# 1: each sentence embedded on its own, packed into the passage's pass.
INDEX_FORMAT = 1

# A tagger sets themes and kinds on a document's chunks just before they are
# stored. It gets the dense vectors already computed for them (one row per chunk),
# so tagging by embedding similarity costs no second pass through the model.
Tagger = Callable[[Document, list[Chunk], np.ndarray], list[Chunk]]


@dataclass(frozen=True)
class IngestPlan:
    """What a run will do; computed from the store without writing to it."""

    todo: tuple[tuple[Path, str], ...]  # (file, sha256) to parse, embed and store
    stale: dict[str, str]  # old doc_id -> path now holding different bytes
    removals: tuple[Document, ...]  # documents whose files are gone (--prune)
    orphans: tuple[str, ...]  # doc_ids with chunks but no marker: an interrupted run
    report: IngestReport
    # Paths in ``todo`` whose bytes are stored already, in an older INDEX_FORMAT.
    upgrades: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Prepared:
    """A parsed and chunked document waiting for its vectors."""

    document: Document
    pages: tuple[Page, ...]
    chunks: list[Chunk]
    chunk_s: float = 0.0  # seconds its chunking took, out of its budget
    unread: tuple[int, ...] = ()  # image-only pages left without text (not searchable)


class Ingestor:
    """Runs an ingest against one store with one embedder."""

    def __init__(
        self,
        store: Store | None,
        embedder: Embedder,
        settings: IngestSettings,
        parse: ParseSettings | None = None,
        *,
        describe: Callable[[Path, Any], Document] | None = None,
        tagger: Tagger | None = None,
        ocr: OcrFunc | None = None,
        overrides: Overrides | None = None,
    ) -> None:
        self.store = store
        # Panel staff's corrections (kb.ingest.overrides): removed documents are
        # passed over, edited fields replace the inferred ones.
        self.overrides = overrides or Overrides()
        self.embedder = embedder
        self.settings = settings
        self.parse_settings = parse or ParseSettings()
        self.bm25 = Bm25Encoder()
        self.chunker = Chunker(
            embedder.count_tokens, max_tokens=settings.max_tokens, overlap=settings.chunk_overlap
        )
        self.describe = describe
        self.tagger = tagger
        self.ocr = ocr
        # Parsing runs in a worker process with a time and memory budget per file.
        self.guard = ParseGuard.from_settings(self.parse_settings)

    def plan(self, paths: Sequence[Path], *, prune: bool = False) -> IngestPlan:
        """Decide what a run must do, reading the store but writing nothing.

        Hashing is the only per-file cost, so an unchanged corpus is planned
        (and found to need nothing) without loading the model.
        """
        source = self._target()
        report = IngestReport()
        files = discover(paths, report)
        known = {d.doc_id: d for d in source.documents()}
        orphans = tuple(i for i in source.chunk_doc_ids() if i not in known)
        todo: list[tuple[Path, str]] = []
        stale: dict[str, str] = {}  # doc_id -> path whose bytes changed or duplicated
        seen_paths: set[str] = set()
        seen_ids: set[str] = set()
        queued: dict[str, Path] = {}  # digest -> first file with those bytes in this run
        upgrades: set[str] = set()
        for path in files:
            key = str(path.resolve())
            seen_paths.add(key)
            try:
                digest = file_sha256(path)
            except OSError as exc:
                report.failed.append(Failure(str(path), f"cannot read: {exc.strerror or exc}"))
                continue
            seen_ids.add(digest)
            if self._removed(path, digest, report):
                continue
            # Any other document recorded at this path is an older version of it
            # (or the remains of a run killed between writing the new and
            # deleting the old): it goes once the current bytes are stored.
            for doc in known.values():
                if doc.path == key and doc.doc_id != digest:
                    stale[doc.doc_id] = str(path)
            if digest in known and not self._outdated(known[digest]):
                report.unchanged.append(str(path))
            elif digest in known and digest not in queued:
                queued[digest] = path
                todo.append((path, digest))
                upgrades.add(str(path))
            elif digest in known:
                report.skipped.append(Failure(str(path), f"same content as {queued[digest]}"))
            elif digest in queued:
                # One document, two copies: index it once, under the first name.
                report.skipped.append(Failure(str(path), f"same content as {queued[digest]}"))
            else:
                queued[digest] = path
                todo.append((path, digest))
        removals: list[Document] = []
        if prune:
            removals = [
                d
                for d in known.values()
                if d.path
                and d.doc_id not in seen_ids
                and d.path not in seen_paths
                and d.doc_id not in stale
                and _gone(Path(d.path))
            ]
        return IngestPlan(tuple(todo), stale, tuple(removals), orphans, report, frozenset(upgrades))

    def _outdated(self, doc: Document) -> bool:
        """Whether a stored document must be read again though its bytes are the
        same: vectors of an older format, or pages no OCR read when OCR is on now."""
        return doc.index_format < INDEX_FORMAT or bool(doc.unread_pages) and self._reads_scans

    @property
    def _reads_scans(self) -> bool:
        return self.ocr is not None and self.parse_settings.ocr

    def _removed(self, path: Path, digest: str, report: IngestReport) -> bool:
        if not self.overrides.is_removed(digest):
            return False
        report.skipped.append(Failure(str(path), "removed from the library (kb remove)"))
        return True

    def run(
        self, paths: Sequence[Path], *, prune: bool = False, progress: ProgressFunc | None = None
    ) -> IngestReport:
        return self.execute(self.plan(paths, prune=prune), progress=progress)

    def _target(self) -> Store:
        if self.store is None:
            raise StoreError("no store to write to")
        return self.store

    def execute(self, plan: IngestPlan, *, progress: ProgressFunc | None = None) -> IngestReport:
        """Carry out a plan against ``self.store``."""
        store = self._target()
        started = time.perf_counter()
        report = plan.report
        for doc_id in plan.orphans:
            store.delete_document(doc_id)
        report.orphans_removed = len(plan.orphans)
        replaced = set(plan.stale.values()) | plan.upgrades
        tracker = Tracker(progress, report, len(plan.todo), sum(_size(p) for p, _ in plan.todo))
        with self.guard, ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-parse") as pool:
            for path, _digest, future in self._prefetch(pool, list(plan.todo)):
                tracker.start(path.name)
                try:
                    prepared = future.result()
                    self._store(prepared, tracker.embedding)
                except StoreError:
                    raise  # the store failed, not this file: the whole run stops
                except KbError as exc:
                    reason = exc.reason if isinstance(exc, ParseError) else str(exc)
                    report.failed.append(Failure(str(path), reason))
                else:
                    (report.updated if str(path) in replaced else report.added).append(str(path))
                    report.pages += len(prepared.pages)
                    report.chunks += len(prepared.chunks)
                    report.tokens += sum(c.n_tokens for c in prepared.chunks)
                    if prepared.unread:
                        report.unread.append(Failure(str(path), self._unread_note(prepared.unread)))
                tracker.finish(_size(path))
        failed = {f.path for f in report.failed}
        for doc_id, stale_path in plan.stale.items():
            # Keep the old version when the new one failed: never lose a document.
            if stale_path not in failed:
                store.delete_document(doc_id)
        for doc in plan.removals:
            store.delete_document(doc.doc_id)
            report.removed.append(doc.path)
        report.seconds = time.perf_counter() - started
        return report

    def _prefetch(
        self, pool: ThreadPoolExecutor, todo: list[tuple[Path, str]]
    ) -> Iterator[tuple[Path, str, Future[Prepared]]]:
        """Yield each file with the parses of the next ``PREFETCH`` files queued.

        Parsing runs while the model embeds. One file ahead is not enough: a
        slow parse (an HTML page through unstructured, a scanned PDF) after a
        short document would leave the model waiting, while a few files ahead
        lets the parser use a long document's embedding time.
        """
        queued: deque[tuple[Path, str, Future[Prepared]]] = deque()
        for p, d in todo:
            queued.append((p, d, pool.submit(self.prepare, p, d)))
            if len(queued) > PREFETCH:
                yield queued.popleft()
        while queued:
            yield queued.popleft()

    def _unread_note(self, pages: tuple[int, ...]) -> str:
        """Why a file's ``pages`` cannot be found by a search, and what to do."""
        shown = ", ".join(str(p) for p in pages[:UNREAD_SHOWN])
        more = f" and {len(pages) - UNREAD_SHOWN} more" if len(pages) > UNREAD_SHOWN else ""
        which = f"page{'s' if len(pages) > 1 else ''} {shown}{more}"
        if self._reads_scans:
            return f"{which} without text, even by OCR: not searchable"
        return (
            f"{which} without a text layer, not OCR'd (tesseract is not installed "
            "or KB_OCR is off): not searchable until the next `kb ingest` with OCR"
        )

    def prepare(self, path: Path, digest: str) -> Prepared:
        """Parse, describe and chunk one file (no model inference here)."""
        raw = self.guard.parse(path, ocr=self.ocr if self.parse_settings.ocr else None)
        started = time.monotonic()
        chars = sum(len(p.text) for p in raw.pages)
        if chars > self.settings.doc_max_chars:
            raise ParseError(
                path,
                f"too much text to index: {chars:,} characters, the limit is "
                f"{self.settings.doc_max_chars:,} (KB_DOC_MAX_CHARS)",
            )
        document = (
            self.describe(path, raw)
            if self.describe is not None
            else Document(doc_id=digest, file=path.name, title=path.stem)
        )
        document = replace(
            self.overrides.apply(replace(document, doc_id=digest)),
            doc_id=digest,
            file=path.name,
            path=str(path.resolve()),
            title=clip(document.title, TITLE_MAX_CHARS),
            n_pages=len(raw.pages),
            index_format=INDEX_FORMAT,
            # Pages OCR found nothing on are not kept: reading them again finds nothing.
            unread_pages=() if self._reads_scans else tuple(raw.skipped_pages),
        )
        pages = tuple(mark_pages(cap_headings(raw.pages)))
        chunks = self.chunker.chunk(document, pages)
        if not chunks:
            raise ParseError(path, "no text to index")
        tokens = sum(c.n_tokens for c in chunks)
        if tokens > self.settings.doc_max_tokens:
            raise ParseError(
                path,
                f"too much text to index: {tokens:,} tokens, the limit is "
                f"{self.settings.doc_max_tokens:,} (KB_DOC_MAX_TOKENS)",
            )
        spent = time.monotonic() - started
        document = replace(document, n_chunks=len(chunks))
        return Prepared(document, pages, chunks, spent, tuple(raw.skipped_pages))

    def _store(self, prepared: Prepared, embedded: Embedded | None = None) -> None:
        doc, chunks = prepared.document, prepared.chunks
        texts, spans = embedding_inputs(doc, chunks)
        dense, sentences = self._embed(prepared, texts, spans, embedded)
        if self.tagger is not None:
            chunks = self.tagger(doc, chunks, dense)
        # BM25 sees the same context header as the dense model, so a title or
        # section word in the query can match every passage under it.
        sparse = [self.bm25.document(t) for t in texts]
        store = self._target()
        store.delete_document(doc.doc_id)  # clears leftovers of an interrupted run
        store.upsert_chunks(EmbeddedChunks(doc, chunks, dense, sparse, sentences))
        store.put_document(doc)

    def _embed(
        self,
        prepared: Prepared,
        texts: list[str],
        spans: list[list[tuple[int, int]]],
        embedded: Embedded | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The passages' vectors, within the document's time budget."""
        path = Path(prepared.document.path or prepared.document.file)
        # Time queued behind other files' embedding is not this document's.
        deadline = time.monotonic() + self.settings.doc_budget_s - prepared.chunk_s
        dense_parts, sentences = [], []
        for start in range(0, len(texts), EMBED_SLICE):
            if time.monotonic() > deadline:
                raise ParseError(
                    path,
                    f"chunking and embedding took over {self.settings.doc_budget_s:.0f} s "
                    f"(KB_DOC_BUDGET_S); {start} of {len(texts)} passages were embedded",
                )
            if embedded is not None:
                embedded(start, len(texts))
            end = start + EMBED_SLICE
            dense, rows = self.embedder.embed_passages(texts[start:end], spans[start:end])
            dense_parts.append(dense)
            sentences.extend(rows)
        if len(dense_parts) == 1:
            return dense_parts[0], sentences
        return np.concatenate(dense_parts), sentences


def embedding_inputs(
    document: Document, chunks: Sequence[Chunk]
) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """What the model is given for each chunk: the text it embeds (context header,
    then the passage) and the character spans of the passage's sentences in it."""
    texts = [embed_text(document, c) for c in chunks]
    spans = []
    for text, chunk in zip(texts, chunks, strict=True):
        shift = len(text) - len(chunk.text)  # the passage ends the text
        spans.append([(a + shift, b + shift) for a, b in sentence_spans(chunk.text)])
    return texts, spans


def _gone(path: Path) -> bool:
    """True only when ``path`` surely no longer exists: a file kb cannot look
    at (in a folder it may not read) is not pruned."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
