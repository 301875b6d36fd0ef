"""Generation directories: how the embedded store is written while it is read.

Qdrant Edge allows one process per shard (its WAL is locked), but the app must
keep answering while an ingest runs. So the embedded index lives in numbered
generation directories under ``<store_dir>/generations/`` and a one-line
``CURRENT`` file names the live one:

- readers open the generation CURRENT names, and reopen when CURRENT changes;
- a writer takes ``write.lock``, copies the live generation into a new one,
  applies its changes there, flushes and closes it, then replaces CURRENT
  atomically (``os.replace``).

A writer killed at any moment leaves CURRENT on the last complete generation,
so a crashed ingest never leaves a half-written index behind; the next writer
deletes the unfinished directory. Readers see the old or the new state, never
a mix. The cost is one copy of the index per ingest that changes something.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.errors import StoreError
from kb.records import Document

CURRENT = "CURRENT"
CATALOG = "documents.json"
GENERATIONS = "generations"
LOCK = "write.lock"
KEEP_PREVIOUS = 1  # generations kept behind the live one, for readers still switching


def generations_dir(store_dir: Path) -> Path:
    return store_dir / GENERATIONS


def current(store_dir: Path) -> Path | None:
    """The live generation's directory, or None when nothing was ever published."""
    try:
        name = (store_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {store_dir / CURRENT}: {exc.strerror or exc}") from None
    path = generations_dir(store_dir) / name
    return path if name and path.is_dir() else None


def current_token(store_dir: Path) -> tuple[int, int] | None:
    """Cheap change detector for readers: (inode, mtime) of CURRENT."""
    try:
        st = (store_dir / CURRENT).stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


@contextmanager
def writer_lock(store_dir: Path) -> Iterator[None]:
    """One writer at a time; a second ingest waits for the first to finish."""
    store_dir.mkdir(parents=True, exist_ok=True)
    with (store_dir / LOCK).open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def new_generation(store_dir: Path) -> Path:
    """A fresh directory holding a copy of the live generation (or nothing).

    Call with the writer lock held.
    """
    root = generations_dir(store_dir)
    root.mkdir(parents=True, exist_ok=True)
    name = f"g{time.time_ns():020d}"
    target = root / name
    live = current(store_dir)
    if live is not None:
        shutil.copytree(live, target)
    else:
        target.mkdir()
    return target


class Catalog:
    """The live generation's document list, read from its ``documents.json``.

    A writer plans from this file instead of opening the live shard, which a
    reader (the app) may hold locked.
    """

    def __init__(self, store_dir: Path) -> None:
        live = current(store_dir)
        self._documents: list[Document] = []
        if live is not None and (live / CATALOG).exists():
            try:
                rows = json.loads((live / CATALOG).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise StoreError(f"cannot read {live / CATALOG}: {exc}") from None
            self._documents = [Document.from_dict(r) for r in rows]

    def documents(self) -> list[Document]:
        return list(self._documents)

    def chunk_doc_ids(self) -> dict[str, int]:
        # A published generation never holds orphans: it was written whole.
        return {d.doc_id: d.n_chunks for d in self._documents}


def publish(store_dir: Path, generation: Path, documents: list[Document]) -> None:
    """Make ``generation`` the live one, atomically, then tidy up old ones."""
    catalog = generation / CATALOG
    catalog.write_text(
        json.dumps([d.to_dict() for d in documents], ensure_ascii=False), encoding="utf-8"
    )
    tmp = store_dir / f".{CURRENT}.{os.getpid()}"
    tmp.write_text(generation.name + "\n", encoding="utf-8")
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, store_dir / CURRENT)
    dir_fd = os.open(store_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    collect(store_dir)


def collect(store_dir: Path) -> None:
    """Delete generations older than the live one and its predecessor, and any
    unfinished generation a killed writer left behind. Call with the lock held."""
    root = generations_dir(store_dir)
    live = current(store_dir)
    if not root.is_dir():
        return
    names = sorted(p.name for p in root.iterdir() if p.is_dir())
    keep: set[str] = set()
    if live is not None:
        index = names.index(live.name)
        keep = set(names[max(0, index - KEEP_PREVIOUS) : index + 1])
    for name in names:
        if name not in keep:
            shutil.rmtree(root / name, ignore_errors=True)
