"""Panel staff's corrections: documents removed, metadata edited, kept across re-ingest.

A document's title, publisher, year and type are inferred from its file
(``kb.describe``) and are sometimes wrong; a document sometimes should not be
in the library at all. Both corrections are kept in one sidecar,
``<store_dir>/overrides.json``, keyed by the document's id (the sha256 of its
bytes), so they outlive the index: every ingest applies them (a removed
document is passed over, an edited one is stored with the edited fields), and
every read applies them too (``OverriddenStore``), so a correction shows at
once, before any re-ingest. Written atomically, like every file kb keeps.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from kb.errors import KbError, UsageError
from kb.files import atomic_write_text
from kb.records import Chunk, Document, Filters
from kb.store.contract import EmbeddedChunks, StoredHit, StoreQuery

FILE = "overrides.json"
EDITABLE = ("title", "publisher", "year", "doc_type")
ALIASES = {"type": "doc_type"}  # `kb docs --set DOC type=thematic_review`
YEARS = (1900, 2100)
MAX_FIELD = 300

_LOCK = threading.Lock()


@dataclass(frozen=True)
class Overrides:
    """What Panel staff changed: removed document ids, and edited fields by id."""

    removed: Mapping[str, str] = field(default_factory=dict)  # doc_id -> file, for people
    fields: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def apply(self, document: Document) -> Document:
        changes = self.fields.get(document.doc_id)
        return replace(document, **changes) if changes else document

    def is_removed(self, doc_id: str) -> bool:
        return doc_id in self.removed

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "removed": dict(self.removed),
            "fields": {k: dict(v) for k, v in self.fields.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Overrides:
        removed = {str(k): str(v) for k, v in dict(data.get("removed", {})).items()}
        fields = {
            str(k): {f: v for f, v in dict(v).items() if f in EDITABLE}
            for k, v in dict(data.get("fields", {})).items()
        }
        return cls(removed, fields)


def load(store_dir: Path) -> Overrides:
    path = Path(store_dir) / FILE
    if not path.is_file():
        return Overrides()
    try:
        return Overrides.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise KbError(f"cannot read {path}: {exc}") from None


def _save(store_dir: Path, overrides: Overrides) -> None:
    Path(store_dir).mkdir(parents=True, exist_ok=True)
    text = json.dumps(overrides.to_dict(), ensure_ascii=False, indent=2, sort_keys=True)
    atomic_write_text(Path(store_dir) / FILE, text + "\n")


def mark_removed(store_dir: Path, document: Document) -> Overrides:
    with _LOCK:
        now = load(store_dir)
        updated = Overrides({**now.removed, document.doc_id: document.file}, now.fields)
        _save(store_dir, updated)
    return updated


def set_fields(store_dir: Path, doc_id: str, changes: Mapping[str, Any]) -> Overrides:
    with _LOCK:
        now = load(store_dir)
        merged = {**now.fields.get(doc_id, {}), **changes}
        updated = Overrides(now.removed, {**now.fields, doc_id: merged})
        _save(store_dir, updated)
    return updated


def parse_assignment(text: str) -> tuple[str, Any]:
    """``field=value`` from the command line or a form, checked: (field, value)."""
    name, sep, raw = text.partition("=")
    name = ALIASES.get(name.strip().lower(), name.strip().lower())
    if not sep or name not in EDITABLE:
        raise UsageError(
            f"expected FIELD=VALUE with FIELD one of title, publisher, year, type: {text!r}"
        )
    return name, check_value(name, raw)


def check_value(name: str, raw: object) -> Any:
    value = " ".join(str(raw if raw is not None else "").split())
    if len(value) > MAX_FIELD or any(ord(c) < 32 for c in value):
        raise UsageError(f"{name}: at most {MAX_FIELD} printable characters")
    if name == "year":
        if not value:
            return None
        if not value.isdigit() or not YEARS[0] <= int(value) <= YEARS[1]:
            raise UsageError(f"year: a year between {YEARS[0]} and {YEARS[1]}, or empty")
        return int(value)
    if name == "title" and not value:
        raise UsageError("title: cannot be empty")
    if name == "doc_type":
        value = value.lower().replace(" ", "_")
    return value


def resolve(documents: Sequence[Document], ref: str) -> Document:
    """The document ``ref`` names: its id, an id prefix (8+ characters) or its file name."""
    ref = ref.strip()
    exact = [d for d in documents if ref in (d.doc_id, d.file)]
    found = exact or ([d for d in documents if d.doc_id.startswith(ref)] if len(ref) >= 8 else [])
    if not found:
        raise UsageError(f"no document {ref!r} in the library (see `kb docs`)")
    if len(found) > 1:
        raise UsageError(
            f"{ref!r} names {len(found)} documents: give its id (see `kb docs --json`)"
        )
    return found[0]


class OverriddenStore:
    """A ``Store`` whose reads show the corrections: removed documents gone,
    edited fields in place. Writes pass through. The sidecar is re-read when it
    changes (by ``kb docs --set`` in another process too)."""

    def __init__(self, store: Any, store_dir: Path) -> None:
        self.inner = store
        self.location: str = store.location
        self.path = Path(store_dir) / FILE
        self._seen: tuple[int, int] | None = None
        self._overrides = Overrides()
        self._pinned = threading.local()  # the corrections a ``reading`` block holds

    @property
    def notice(self) -> str | None:
        # The store's health line (served from an earlier generation) passes through.
        return getattr(self.inner, "notice", None)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """The inner store's ``reading``, with the corrections read once for the block."""
        if getattr(self._pinned, "overrides", None) is not None:
            yield
            return
        with self.inner.reading():
            self._pinned.overrides = self._current()
            try:
                yield
            finally:
                self._pinned.overrides = None

    def overrides(self) -> Overrides:
        pinned: Overrides | None = getattr(self._pinned, "overrides", None)
        return pinned if pinned is not None else self._current()

    def _current(self) -> Overrides:
        try:
            st = self.path.stat()
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp != self._seen:
            self._overrides = load(self.path.parent) if stamp else Overrides()
            self._seen = stamp
        return self._overrides

    def documents(self) -> list[Document]:
        o = self.overrides()
        return [o.apply(d) for d in self.inner.documents() if not o.is_removed(d.doc_id)]

    def query(self, query: StoreQuery) -> list[StoredHit]:
        o = self.overrides()
        if not (o.removed or o.fields):  # the usual case: nothing to change, nothing to copy
            return self.inner.query(query)
        return [
            replace(h, document=o.apply(h.document))
            for h in self.inner.query(query)
            if not o.is_removed(h.document.doc_id)
        ]

    def nearest_doc_ids(self, query: StoreQuery) -> list[str]:
        o = self.overrides()
        return [d for d in self.inner.nearest_doc_ids(query) if not o.is_removed(d)]

    def nearest_count(self, query: StoreQuery) -> int:
        o = self.overrides()
        if not o.removed:  # nothing to leave out: no document ids to read
            return int(self.inner.nearest_count(query))
        return len(self.nearest_doc_ids(query))

    def upsert_chunks(self, chunks: EmbeddedChunks) -> None:
        self.inner.upsert_chunks(chunks)

    def put_document(self, document: Document) -> None:
        self.inner.put_document(document)

    def delete_document(self, doc_id: str) -> None:
        self.inner.delete_document(doc_id)

    def chunk_doc_ids(self) -> dict[str, int]:
        return dict(self.inner.chunk_doc_ids())

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        return dict(self.inner.sentence_vectors(chunk_ids))

    def count(self, filters: Filters) -> int:
        return int(self.inner.count(filters))

    def facet(self, key: str, filters: Filters, limit: int = 50) -> dict[Any, int]:
        return dict(self.inner.facet(key, filters, limit))

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return list(self.inner.chunks_of(doc_id))

    def size_bytes(self) -> int:
        return int(self.inner.size_bytes())

    def close(self) -> None:
        self.inner.close()
