"""Files uploaded through the app, kept in ``<store_dir>/uploads/`` before ingesting.

The policy lives here rather than in the app so it can be tested and reused:

- only PDF and DOCX are taken; any other file is that file's one-line error;
- a name keeps its letters and digits in any script (``子供.pdf`` stays
  ``子供.pdf``), loses folders and punctuation that means something to a shell
  or a file system, and stays within the file system's byte limit;
- no upload replaces another: when the name is taken by different bytes, a
  short content hash goes before the suffix (``Review _final_-1a2b3c4d.pdf``);
  the same bytes uploaded again reuse the file already there.

Only one process holds the embedded store open (see ``kb.workspace.pinned``), so one
lock in this process is enough to stop two sessions racing for one name.
"""

from __future__ import annotations

import hashlib
import os
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from kb.files import PRIVATE, atomic_write_bytes, file_sha256
from kb.records import IngestReport, Progress, ProgressFunc

FOLDER = "uploads"
SUFFIXES = (".pdf", ".docx")
# Most file systems allow 255 bytes per name; leave room for "-<hash>" and a suffix.
MAX_STEM_BYTES = 180
HASH_LENGTHS = (8, 16, 64)  # a longer hash only if a shorter one is taken by other bytes
KEPT_PUNCTUATION = frozenset(" ._-")

_LOCK = threading.Lock()


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the browser sent and what became of it."""

    name: str
    stored: str = ""  # the file's path in the uploads folder; "" when refused
    error: str = ""  # why it was refused


@dataclass(frozen=True)
class UploadReport:
    """What ``Library.add_uploads`` did: each upload, then the ingest of those kept."""

    uploads: tuple[Upload, ...]
    ingest: IngestReport = field(default_factory=IngestReport)

    @property
    def refused(self) -> list[Upload]:
        return [u for u in self.uploads if u.error]

    def name_of(self, path: str) -> str:
        """The uploaded name behind a path in the ingest report (its file name if none)."""
        wanted = os.path.realpath(path)
        for u in self.uploads:
            if u.stored and os.path.realpath(u.stored) == wanted:
                return u.name
        return Path(path).name

    def names_of(self, paths: Sequence[str]) -> list[str]:
        return [self.name_of(p) for p in paths]


def safe_name(name: str) -> str:
    """A plain file name for an upload: no folders, no control characters, no
    punctuation beyond space, dot, underscore and hyphen; letters and digits of
    any script are kept. The suffix is lower-cased."""
    # Browsers send a base name, but some old ones sent a Windows path.
    base = PurePosixPath(unicodedata.normalize("NFC", name).replace("\\", "/")).name
    stem, suffix = os.path.splitext(base)
    kept = "".join(ch if _keep(ch) else "_" for ch in stem)
    kept = _clip_bytes(kept.strip(" ."), MAX_STEM_BYTES).strip(" .")
    if not kept.strip("_"):  # nothing but symbols or emoji
        kept = "upload"
    return f"{kept}{suffix.lower()}"


def _keep(ch: str) -> bool:
    # Letters, marks (accents, vowel signs) and digits of any script.
    return ch in KEPT_PUNCTUATION or unicodedata.category(ch)[0] in "LMN"


def _clip_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def refusal(name: str) -> str:
    """Why ``name`` cannot be added, or "" when it can."""
    suffix = os.path.splitext(safe_name(name))[1]
    if suffix not in SUFFIXES:
        return "only PDF and DOCX files can be added"
    return ""


def keep(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` into ``folder`` under a unique name derived from ``name``.

    Returns the path of the file that holds these bytes: a new file, or the one
    already there when the same bytes were uploaded before under this name.
    """
    safe = safe_name(name)
    stem, suffix = os.path.splitext(safe)
    digest = hashlib.sha256(data).hexdigest()
    candidates = [safe] + [f"{stem}-{digest[:n]}{suffix}" for n in HASH_LENGTHS]
    folder.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        for candidate in candidates:
            path = folder / candidate
            if not path.exists():
                # Atomically: the ingest (or another session) never sees half a file.
                atomic_write_bytes(path, data, mode=PRIVATE)
                return path
            if file_sha256(path) == digest:
                return path
    # Only reached if a file named with the full hash holds other bytes.
    raise FileExistsError(f"{folder / candidates[-1]} holds other content")


def keep_all(folder: Path, files: Sequence[tuple[str, bytes]]) -> list[Upload]:
    """Each file kept (or refused, with its reason), in the order given."""
    out: list[Upload] = []
    for name, data in files:
        reason = refusal(name)
        if reason:
            out.append(Upload(name, error=reason))
            continue
        try:
            path = keep(folder, name, data)
        except OSError as exc:
            out.append(Upload(name, error=f"cannot be saved: {exc.strerror or exc}"))
            continue
        out.append(Upload(name, stored=str(path)))
    return out


def stored_paths(uploads: Sequence[Upload]) -> list[Path]:
    """The files to ingest, each once (the same bytes uploaded twice share a file)."""
    seen: dict[str, Path] = {}
    for u in uploads:
        if u.stored:
            seen.setdefault(u.stored, Path(u.stored))
    return list(seen.values())


def relay_progress(progress: ProgressFunc | None, uploads: Sequence[Upload]) -> ProgressFunc | None:
    """``progress``, with each stored file named as it was uploaded."""
    if progress is None:
        return None
    target = progress
    # The first upload of a shared file names it, as in ``UploadReport.name_of``.
    names = {Path(u.stored).name: u.name for u in reversed(uploads) if u.stored}

    def relay(p: Progress) -> None:
        target(replace(p, current=names.get(p.current, p.current)))

    return relay
