"""What a published generation should hold, recorded when it is published.

``manifest.json`` in a generation lists, per document, its chunk count and a
digest of its chunk ids, and per engine file its size, modification time and
a digest of its content (``kb.files.sparse_sha256``). It is written after the
writer's shard is closed and opened once more read-only (the engine settles
its journals on that first open), so a reader's later opens leave every
recorded file as it was, with one wrinkle: the engine rewrites its JSON files
(``edge_config.json``, each ``segment.json``) on every open, with their keys
in a new order, so those are digested as canonical JSON (``json_digest``).

A problem found is a ``Problem``: one line naming the generation, the document
or file, and what is missing or wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.files import atomic_write_text, sparse_sha256

MANIFEST = "manifest.json"
CATALOG = "documents.json"
LEASE = ".readers"
FORMAT = 1
# What each engine file holds, for the one-line messages (first match wins).
_KINDS = (
    ("vector_storage-dense", "dense vectors"),
    ("vector_storage-sentences", "sentence vectors"),
    ("vector_storage-bm25", "BM25 vectors"),
    ("vector_index", "vector index"),
    ("payload_storage", "payload storage"),
    ("payload_index", "payload index"),
    ("id_tracker", "id tracker"),
    ("wal/", "write-ahead log"),
    ("segment.json", "segment config"),
    ("edge_config.json", "engine config"),
    (CATALOG, "document catalog"),
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a generation, said in one line."""

    generation: str
    subject: str  # "document a.pdf", "file segments/…/chunk_0.mmap (dense vectors)", "CURRENT"
    what: str

    def line(self) -> str:
        return f"{self.generation}: {self.subject}: {self.what}"

    def to_dict(self) -> dict[str, str]:
        return {"generation": self.generation, "subject": self.subject, "problem": self.what}


@dataclass(frozen=True)
class DocEntry:
    file: str
    chunks: int
    ids: str  # sha256 of the sorted chunk ids


@dataclass(frozen=True)
class FileEntry:
    size: int
    mtime_ns: int
    sha256: str
    # The engine rewrites it (same bytes, new time) on every open: the check on
    # open leaves it to ``kb check`` rather than digest it each time.
    volatile: bool = False


@dataclass(frozen=True)
class Manifest:
    chunks: int
    documents: Mapping[str, DocEntry]
    files: Mapping[str, FileEntry] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "chunks": self.chunks,
                "documents": {k: vars(v) for k, v in self.documents.items()},
                "files": {k: vars(v) for k, v in self.files.items()},
            },
            ensure_ascii=False,
        )


class ManifestError(Exception):
    """The manifest is there but cannot be read."""


def ids_digest(ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def kind_of(relative: str) -> str:
    return next((label for key, label in _KINDS if key in relative), "engine file")


def read(generation: Path) -> Manifest | None:
    """The generation's manifest; None if it has none (published before kb wrote them)."""
    try:
        raw = json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
        return Manifest(
            chunks=int(raw["chunks"]),
            documents={k: DocEntry(**v) for k, v in raw["documents"].items()},
            files={k: FileEntry(**v) for k, v in raw["files"].items()},
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ManifestError(f"{MANIFEST} is unreadable ({type(exc).__name__})") from None


def write(generation: Path, manifest: Manifest) -> None:
    atomic_write_text(generation / MANIFEST, manifest.to_json())


def file_times(generation: Path) -> dict[str, int]:
    """Modification time of every file the manifest vouches for."""
    out: dict[str, int] = {}
    for path in sorted(p for p in generation.rglob("*") if p.is_file()):
        relative = path.relative_to(generation).as_posix()
        if relative not in (MANIFEST, LEASE):
            out[relative] = path.stat().st_mtime_ns
    return out


def file_entries(generation: Path, before: dict[str, int]) -> dict[str, FileEntry]:
    """Size, time and digest of every file the manifest vouches for; a file
    whose time moved since ``before`` (taken one read-only open ago) is volatile."""
    out: dict[str, FileEntry] = {}
    for relative, mtime in file_times(generation).items():
        path = generation / relative
        volatile = before.get(relative) != mtime
        out[relative] = FileEntry(path.stat().st_size, mtime, _digest(path), volatile)
    return out


def check_files(generation: Path, manifest: Manifest, *, full: bool) -> list[Problem]:
    """Every recorded file there, its size unchanged and its digest the same.

    ``full=False`` (the check on open) digests only files whose modification
    time moved since publish: a write changes it, so damage done by any
    program is found for the price of a ``stat``. Files the engine itself
    touches on every open (deletion flags, trackers: ``volatile``) and damage
    that leaves the time alone (a failing disk) are ``kb check``'s: it digests all.
    """
    name = generation.name
    problems: list[Problem] = []
    gone: set[Path] = set()  # folders found missing, each reported once
    for relative, entry in manifest.files.items():
        path = generation / relative
        subject = f"file {relative} ({kind_of(relative)})"
        try:
            st = path.stat()
        except OSError:
            folder = _missing_folder(generation, path)
            if folder is None:
                problems.append(Problem(name, subject, "missing"))
            elif folder not in gone:
                gone.add(folder)
                where = folder.relative_to(generation).as_posix()
                problems.append(Problem(name, f"folder {where}/", "missing, with its files"))
            continue
        rewritten = relative.endswith(".json") and relative != CATALOG
        if st.st_size != entry.size and not rewritten:
            problems.append(Problem(name, subject, f"size {st.st_size}, published {entry.size}"))
        elif (full or rewritten or (st.st_mtime_ns != entry.mtime_ns and not entry.volatile)) and (
            _digest(path) != entry.sha256
        ):
            problems.append(Problem(name, subject, "content differs from its digest at publish"))
    return problems


def _missing_folder(generation: Path, path: Path) -> Path | None:
    """The outermost missing folder above ``path`` inside ``generation``, if any."""
    missing = None
    for parent in path.parents:
        if parent == generation:
            break
        if not parent.exists():
            missing = parent
    return missing


def _digest(path: Path) -> str:
    try:
        if path.suffix == ".json" and path.name != CATALOG:
            return json_digest(path)
        return sparse_sha256(path)
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"


def json_digest(path: Path) -> str:
    """The sha256 of the file as canonical JSON (keys sorted), or of its bytes
    if it is not JSON (so garbage never matches a published digest)."""
    raw = path.read_bytes()
    try:
        data: Any = json.loads(raw)
    except ValueError:
        return "not JSON: " + hashlib.sha256(raw).hexdigest()
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def compare_counts(
    generation: str,
    manifest: Manifest,
    counts: Mapping[str, int],
    files: Mapping[str, str],
) -> list[Problem]:
    """Chunks per document in the shard (``counts``) against the manifest."""
    problems = []
    for doc_id, entry in manifest.documents.items():
        found = counts.get(doc_id, 0)
        if found != entry.chunks:
            what = "no passages" if found == 0 else f"{found} passages"
            problems.append(
                Problem(generation, f"document {entry.file}", f"{what}, published {entry.chunks}")
            )
    for doc_id, found in counts.items():
        if doc_id not in manifest.documents:
            label = files.get(doc_id, doc_id[:12])
            problems.append(
                Problem(generation, f"document {label}", f"{found} passages it should not have")
            )
    return problems


def document_label(doc_id: str, manifest: Manifest | None) -> str:
    if manifest is not None and doc_id in manifest.documents:
        return manifest.documents[doc_id].file
    return doc_id[:12]


def os_path_inside(root: Path, path: Path) -> bool:
    """Whether ``path`` (symlinks followed) lies inside ``root``."""
    try:
        return os.path.realpath(path).startswith(os.path.realpath(root) + os.sep)
    except OSError:
        return False
