"""Frozen records passed between kb's modules.

Engines (pypdfium2, unstructured, Qdrant) never leak past a module boundary:
each module speaks in these dataclasses instead. What an ingest reports
(``IngestReport``, ``Progress``) lives here too, so the CLI and the web layer
read it without importing the ingest.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

# Fixed namespace so point ids are a pure function of (document hash, index).
POINT_NAMESPACE = uuid.UUID("9b3f5d0e-2a57-4c8e-9a51-6f1f8f0c2b1d")

DOC_TYPES = (
    "national_review",
    "local_review",
    "rapid_review_analysis",
    "review_analysis",
    "annual_report",
    "thematic_review",
    "statutory_guidance",
    "practice_guidance",
    "local_procedure",
    "research_report",
    "inspection_report",
    "inspection_framework",
    "training_material",
    "policy",
    "practice_briefing",
    "other",
)


@dataclass(frozen=True)
class Heading:
    """A heading found by the parser at ``offset`` into its page's text."""

    offset: int
    level: int
    text: str


# Kinds of ``Mark``. All but ``FACT`` are boilerplate: text that is not the
# document stating something (``BOILERPLATE``), which no answer quotes and no
# heading is taken from. A ``FACT`` is the answer half of a Myth/Fact table row;
# its ``note`` holds the myth it answers, shown only as "Myth: ...".
TITLE = "title"  # title-page lines
CONTENTS = "contents"  # contents entries ("Who is this advice for? 7")
REFERENCE = "reference"  # reference-list lines
FOOTNOTE = "footnote"  # a footnote's text at the foot of a page
MARKER = "marker"  # a footnote number glued to a word ("agencies12")
XREF = "xref"  # a cross-reference ("See section 7 for ...", "(see Annex A)")
NOTICE = "notice"  # "this document is entirely fictional"
MYTH = "myth"  # the myth half of a Myth/Fact row: never a statement
FACT = "fact"
CELL = "cell"  # a cell of a threshold matrix; ``note`` holds its label ("Level 4")
BOILERPLATE = frozenset({TITLE, CONTENTS, REFERENCE, FOOTNOTE, MARKER, XREF, NOTICE, MYTH})


@dataclass(frozen=True)
class Mark:
    """A span ``[start, end)`` of a page's or a chunk's text, and what it is."""

    start: int
    end: int
    kind: str
    note: str = ""  # for a FACT, the myth it answers


@dataclass(frozen=True)
class Page:
    """One physical page (1-based) of cleaned text."""

    number: int
    text: str
    headings: tuple[Heading, ...] = ()
    ocr: bool = False
    marks: tuple[Mark, ...] = ()  # set at ingest (``kb.ingest.marks``)


@dataclass(frozen=True)
class Document:
    """A source file and what we know about it."""

    doc_id: str  # sha256 of the file's bytes
    file: str  # file name, as shown in citations
    path: str = ""
    title: str = ""
    publisher: str = ""
    year: int | None = None
    doc_type: str = "other"
    source_url: str = ""
    n_pages: int = 0
    n_chunks: int = 0
    fictional: bool = False
    # How its vectors were made (``kb.pipeline.INDEX_FORMAT``); 0 for records
    # written before the field existed.
    index_format: int = 0
    # Pages without a text layer that no OCR read (none was available): the next
    # ingest with OCR reads the file again, although its bytes are unchanged.
    unread_pages: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        known = {f for f in cls.__dataclass_fields__}
        fields = {k: v for k, v in data.items() if k in known}
        if "unread_pages" in fields:  # a list once stored as JSON
            fields["unread_pages"] = tuple(int(p) for p in fields["unread_pages"] or ())
        return cls(**fields)


@dataclass(frozen=True)
class LearningItem:
    """One finding, recommendation, reflective question, practice episode or
    example of good practice inside a passage (``kb.enrich.roles``)."""

    role: str
    text: str
    section: str = ""  # the heading it sits under
    addressee_level: str | None = None  # recommendations: "national" or "local"
    addressee: str | None = None  # recommendations: who is asked to act, as named
    audience: str | None = None  # reflective questions: practitioners, leaders, partnerships

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearningItem:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Chunk:
    """A passage small enough for the embedding model, with its citation."""

    doc_id: str
    index: int
    text: str
    page_start: int
    page_end: int
    heading_path: tuple[str, ...] = ()
    char_start: int = 0  # offset into page_start's text
    char_end: int = 0  # offset into page_end's text
    kind: str = "passage"  # or "recommendation"
    themes: tuple[str, ...] = ()
    ocr: bool = False
    n_tokens: int = 0
    # The passage's part in the review's anatomy (``kb.enrich.roles``), and the
    # learning items it holds, one per finding, recommendation or question.
    role: str = "other"
    items: tuple[LearningItem, ...] = ()
    # Boilerplate and table spans within ``text`` (see ``Mark``), in text order.
    marks: tuple[Mark, ...] = ()

    @property
    def chunk_id(self) -> str:
        return point_id(self.doc_id, self.index)

    @property
    def heading(self) -> str:
        return " > ".join(self.heading_path)


@dataclass(frozen=True)
class Hit:
    """A chunk returned by a search, with its document and score."""

    chunk: Chunk
    document: Document
    score: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        c, d = self.chunk, self.document
        return {
            "doc": d.file,
            "title": d.title,
            "page_start": c.page_start,
            "page_end": c.page_end,
            "heading": c.heading,
            "text": c.text,
            "score": round(self.score, 6),
            "publisher": d.publisher,
            "year": d.year,
            "doc_type": d.doc_type,
            "source_url": d.source_url,
            "doc_id": d.doc_id,
            "chunk_id": c.chunk_id,
            "kind": c.kind,
            "themes": list(c.themes),
            "ocr": c.ocr,
            "char_start": c.char_start,
            "char_end": c.char_end,
            **self.extra,
        }

    def citation(self) -> str:
        d, c = self.document, self.chunk
        pages = (
            f"p. {c.page_start}"
            if c.page_start == c.page_end
            else f"pp. {c.page_start}-{c.page_end}"
        )
        parts = [d.title or d.file]
        if d.publisher:
            parts.append(d.publisher)
        if d.year:
            parts.append(str(d.year))
        parts.append(pages)
        if c.heading:
            parts.append(f"section \u201c{c.heading_path[-1]}\u201d")
        return ", ".join(parts)


@lru_cache(maxsize=1 << 16)
def point_id(doc_id: str, index: int) -> str:
    """Deterministic point id, so re-ingesting the same bytes changes nothing.

    Cached: a search asks for the ids of its ~120 candidates several times over
    (fusion, re-ranking, duplicates), and each uuid5 is a SHA-1 (~3 ms a search by timeit)."""
    return str(uuid.uuid5(POINT_NAMESPACE, f"{doc_id}:{index}"))


def document_point_id(doc_id: str) -> str:
    return str(uuid.uuid5(POINT_NAMESPACE, f"{doc_id}:document"))


@dataclass(frozen=True)
class PageImage:
    """One rendered page: PNG bytes and what the app needs to show them."""

    png: bytes
    width: int
    height: int
    page: int
    n_pages: int
    highlighted: int  # rectangles painted; 0 when the passage could not be placed


@dataclass(frozen=True)
class Filters:
    """Search filters; empty fields mean "any"."""

    doc_types: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None

    def is_empty(self) -> bool:
        return self == Filters()


@dataclass(frozen=True)
class Failure:
    """A file an ingest did not store (or passed over), and why."""

    path: str
    reason: str


@dataclass
class IngestReport:
    """What an ingest did; filled in as the run goes, so not frozen."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    skipped: list[Failure] = field(default_factory=list)  # not ingestible, not an error
    # Files indexed with some pages left without text (image-only, not OCR'd): why.
    unread: list[Failure] = field(default_factory=list)
    orphans_removed: int = 0
    pages: int = 0
    chunks: int = 0
    tokens: int = 0
    seconds: float = 0.0
    # What the store had to say about the run (a damaged index rebuilt, say).
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "failed": [{"file": f.path, "reason": f.reason} for f in self.failed],
            "skipped": [{"file": f.path, "reason": f.reason} for f in self.skipped],
            "unread": [{"file": f.path, "reason": f.reason} for f in self.unread],
            "orphans_removed": self.orphans_removed,
            "pages": self.pages,
            "chunks": self.chunks,
            "tokens": self.tokens,
            "seconds": round(self.seconds, 2),
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Progress:
    """A progress event: sent after each file, and within a file as it is read
    (``stage`` "reading") and embedded ("embedding", ``file_share`` of its
    passages done), so a long document never sits at 0 %."""

    done_files: int
    total_files: int
    done_bytes: int
    total_bytes: int
    pages: int
    elapsed: float
    current: str
    stage: str = ""  # "" once ``current`` is done
    file_share: float = 0.0  # how far through ``current``, 0 to 1
    stage_done: int = 0  # passages embedded so far, while "embedding"
    stage_total: int = 0

    @property
    def share(self) -> float:
        """How far through the whole run, by files (each in-file stage counts)."""
        if not self.total_files:
            return 1.0
        return min(1.0, (self.done_files + self.file_share) / self.total_files)

    @property
    def activity(self) -> str:
        """What is happening to ``current`` now, for a person: "" once it is done."""
        if self.stage == "embedding":
            return f"embedding {self.stage_done} of {self.stage_total} passages"
        return self.stage


ProgressFunc = Callable[[Progress], None]
