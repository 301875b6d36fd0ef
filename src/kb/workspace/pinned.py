"""Named collections of pinned passages, saved as JSON beside the store.

A trainer gathers passages for a session, a Panel reviewer gathers precedents:
each collection is one file under ``<store_dir>/collections/``, written
atomically (temporary file, fsync, ``os.replace``), so a crash or a restart
never leaves half a collection. A pinned passage keeps its own copy of the
text and the full reference, so a collection stays readable even after its
document is re-ingested or removed.

A pin can also be a finding of a broad answer (``kb.answer.findings``): its key
passage, plus the finding's key sentence, its group ("reviews" or "guidance")
and the other documents that say the same (``AlsoIn``), so the exports can
show the summary's grouping. Such a pin is told apart from a plain pin of the
same passage by its ``key``.

Only one process can hold the embedded store open, so one lock per folder
inside this process is enough to serialise read-modify-write updates from
the app's concurrent sessions.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kb.answer.model import Answer, Finding
from kb.config import StoreSettings
from kb.errors import KbError, UsageError
from kb.files import PRIVATE, atomic_write_text
from kb.records import Hit

FOLDER = "collections"
MAX_NAME = 80
MAX_NOTE = 4000  # a trainer's note: a paragraph or two, not a document
FORMAT_VERSION = 1

_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class AlsoIn:
    """Another document stating a pinned finding: its sentence and where it is."""

    sentence: str
    title: str
    file: str
    publisher: str
    year: int | None
    page_start: int
    page_end: int
    heading: str = ""
    source_url: str = ""

    @classmethod
    def from_hit(cls, hit: Hit, sentence: str) -> AlsoIn:
        c, d = hit.chunk, hit.document
        return cls(
            sentence=sentence,
            title=d.title or d.file,
            file=d.file,
            publisher=d.publisher,
            year=d.year,
            page_start=c.page_start,
            page_end=c.page_end,
            heading=c.heading_path[-1] if c.heading_path else "",
            source_url=d.source_url,
        )

    @property
    def pages(self) -> str:
        return _pages(self.page_start, self.page_end)

    def reference(self) -> str:
        """Title, publisher, year, page(s), source: enough to find the sentence."""
        parts = [self.title, *([self.publisher] if self.publisher else [])]
        parts += [str(self.year) if self.year else "n.d.", self.pages]
        return ", ".join(parts) + f". {self.source_url or self.file}"


def _pages(start: int, end: int) -> str:
    return f"p. {start}" if start == end else f"pp. {start}\u2013{end}"


@dataclass(frozen=True)
class PinnedPassage:
    """A passage as it was when pinned, with everything its reference needs."""

    chunk_id: str
    doc_id: str
    file: str
    title: str
    publisher: str
    year: int | None
    doc_type: str
    page_start: int
    page_end: int
    heading: str
    text: str
    source_url: str = ""
    path: str = ""
    question: str = ""  # the question that found it, for the trainer's notes
    note: str = ""
    pinned_at: str = ""
    # Set when a broad answer's finding was pinned: its key sentence (a verbatim
    # span of ``text``), its group and the other documents that state it.
    finding: str = ""
    group: str = ""
    also_in: tuple[AlsoIn, ...] = ()
    role: str = ""  # a learning item's role (kb.workspace.session_pack), else ""
    # Read beside the finding, never as part of it: "Myth: ..." for the fact of a
    # Myth/Fact row, "Table cell: ..." for a threshold matrix's cell.
    context: str = ""

    @classmethod
    def from_hit(cls, hit: Hit, *, question: str = "", note: str = "") -> PinnedPassage:
        c, d = hit.chunk, hit.document
        return cls(
            chunk_id=c.chunk_id,
            doc_id=d.doc_id,
            file=d.file,
            title=d.title or d.file,
            publisher=d.publisher,
            year=d.year,
            doc_type=d.doc_type,
            page_start=c.page_start,
            page_end=c.page_end,
            heading=c.heading_path[-1] if c.heading_path else "",
            text=c.text,
            source_url=d.source_url,
            path=d.path,
            question=question,
            note=note,
            pinned_at=_now(),
        )

    @property
    def key(self) -> str:
        """What tells pins apart in a collection: the passage, and for a finding
        also its key sentence (two findings can come from one passage)."""
        if not self.finding:
            return self.chunk_id
        return f"{self.chunk_id}#{hashlib.sha256(self.finding.encode('utf-8')).hexdigest()[:10]}"

    @property
    def pages(self) -> str:
        return _pages(self.page_start, self.page_end)

    @property
    def source(self) -> str:
        """Where a reader can find the document: its URL, else its file name."""
        return self.source_url or self.file

    def reference(self) -> str:
        """Full reference: title, publisher, year, page(s), section, source."""
        parts = [self.title or self.file]
        if self.publisher:
            parts.append(self.publisher)
        parts.append(str(self.year) if self.year else "n.d.")
        parts.append(self.pages)
        if self.heading:
            parts.append(f"section \u201c{self.heading}\u201d")
        return ", ".join(parts) + f". {self.source}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PinnedPassage:
        known = set(cls.__dataclass_fields__)
        fields = {k: v for k, v in data.items() if k in known}
        also = fields.pop("also_in", None) or ()
        return cls(**fields, also_in=tuple(AlsoIn(**a) for a in also))


def pin_finding(answer: Answer, finding: Finding, *, question: str = "") -> PinnedPassage:
    """A broad answer's finding as a pin: its key passage, carrying the key
    sentence, the group and each "also in" sentence with its reference."""
    key_hit = answer.passages[finding.key.citation - 1]
    also = tuple(AlsoIn.from_hit(answer.passages[s.citation - 1], s.text) for s in finding.also_in)
    return replace(
        PinnedPassage.from_hit(key_hit, question=question or answer.question),
        finding=finding.key.text,
        group=finding.group,
        also_in=also,
        context="; ".join(answer.labels_of(finding.key)),
    )


def reference_for(hit: Hit) -> str:
    """The full reference for a search hit (what "copy citation" copies)."""
    return PinnedPassage.from_hit(hit).reference()


@dataclass(frozen=True)
class Collection:
    name: str
    items: tuple[PinnedPassage, ...] = ()
    created: str = field(default_factory=_now)
    updated: str = field(default_factory=_now)

    def __contains__(self, key: object) -> bool:
        """Whether a pin with this ``PinnedPassage.key`` (a plain pin's: its chunk id) is here."""
        return any(p.key == key for p in self.items)

    def __len__(self) -> int:
        return len(self.items)

    def with_item(self, passage: PinnedPassage) -> Collection:
        if passage.key in self:
            return self
        return replace(self, items=(*self.items, passage), updated=_now())

    def without_item(self, key: str) -> Collection:
        """Without the pin of this ``PinnedPassage.key`` (a plain pin's: its chunk id)."""
        return replace(self, items=tuple(p for p in self.items if p.key != key), updated=_now())

    def with_note(self, key: str, note: str) -> Collection:
        """The pin's trainer's note replaced (an empty note removes it); ``key`` is
        ``PinnedPassage.key`` (a plain pin's chunk id)."""
        cleaned = note.strip()[:MAX_NOTE]
        items = tuple(replace(p, note=cleaned) if p.key == key else p for p in self.items)
        return replace(self, items=items, updated=_now())

    def moved(self, key: str, offset: int) -> Collection:
        """The pin moved ``offset`` places (-1 up, +1 down), kept within the list."""
        ids = [p.key for p in self.items]
        if key not in ids:
            return self
        old = ids.index(key)
        new = max(0, min(len(ids) - 1, old + offset))
        items = list(self.items)
        items.insert(new, items.pop(old))
        return replace(self, items=tuple(items), updated=_now())

    def digest(self) -> str:
        """A hash of what the collection holds (name, passages, notes, order), not
        of when it changed: exports built from one state are reused until it changes."""
        content = {"name": self.name, "items": [p.to_dict() for p in self.items]}
        data = json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(data).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "name": self.name,
            "created": self.created,
            "updated": self.updated,
            "items": [p.to_dict() for p in self.items],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Collection:
        return cls(
            name=str(data["name"]),
            items=tuple(PinnedPassage.from_dict(p) for p in data.get("items", [])),
            created=str(data.get("created", "")),
            updated=str(data.get("updated", "")),
        )


def clean_name(name: str) -> str:
    """A collection's display name, validated: any words, no control characters."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise UsageError("a collection needs a name")
    if len(cleaned) > MAX_NAME:
        raise UsageError(f"collection names are at most {MAX_NAME} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
        raise UsageError("collection names cannot contain control characters")
    return cleaned


def file_name(name: str) -> str:
    """A safe, stable file name for ``name``: a readable slug plus a short hash,
    so names differing only in punctuation or case never share a file."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48] or "collection"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}.json"


class Collections:
    """The collections saved under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        with _LOCKS_GUARD:
            self._lock = _LOCKS.setdefault(self.root.resolve(), threading.Lock())

    @classmethod
    def for_settings(cls, settings: StoreSettings) -> Collections:
        return cls(settings.store_dir / FOLDER)

    def _path(self, name: str) -> Path:
        return self.root / file_name(clean_name(name))

    def all(self) -> list[Collection]:
        """Every readable collection, by name. A damaged file is skipped, not fatal."""
        if not self.root.is_dir():
            return []
        found = []
        for path in sorted(self.root.glob("*.json")):
            try:
                found.append(_read(path))
            except KbError:
                continue
        return sorted(found, key=lambda c: c.name.lower())

    def names(self) -> list[str]:
        return [c.name for c in self.all()]

    def get(self, name: str) -> Collection:
        """The collection called ``name``; an empty one if it was never saved."""
        path = self._path(name)
        return _read(path) if path.exists() else Collection(clean_name(name))

    def save(self, collection: Collection) -> Collection:
        with self._lock:
            _write(self._path(collection.name), collection)
        return collection

    def create(self, name: str) -> Collection:
        with self._lock:
            path = self._path(name)
            if path.exists():
                return _read(path)
            collection = Collection(clean_name(name))
            _write(path, collection)
            return collection

    def pin(self, name: str, passage: PinnedPassage) -> Collection:
        return self._update(name, lambda c: c.with_item(passage))

    def unpin(self, name: str, key: str) -> Collection:
        return self._update(name, lambda c: c.without_item(key))

    def set_note(self, name: str, key: str, note: str) -> Collection:
        return self._update(name, lambda c: c.with_note(key, note))

    def move(self, name: str, key: str, offset: int) -> Collection:
        return self._update(name, lambda c: c.moved(key, offset))

    def delete(self, name: str) -> None:
        with self._lock:
            self._path(name).unlink(missing_ok=True)

    def _update(self, name: str, change: Any) -> Collection:
        with self._lock:
            path = self._path(name)
            current = _read(path) if path.exists() else Collection(clean_name(name))
            updated: Collection = change(current)
            _write(path, updated)
            return updated


def _read(path: Path) -> Collection:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Collection.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KbError(f"cannot read collection {path.name}: {exc}") from None


def _write(path: Path, collection: Collection) -> None:
    """Write-then-rename, so readers see the old file or the new one, never half."""
    data = json.dumps(collection.to_dict(), ensure_ascii=False, indent=2)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, data, mode=PRIVATE)
    except OSError as exc:  # a full disk, say: the page says so; the old file stays
        raise KbError(f"cannot save collection {path.name}: {exc.strerror or exc}") from None
