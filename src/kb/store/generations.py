"""Generation directories: how the embedded store is written while it is read.

Qdrant Edge allows one process per shard (its WAL is locked), but the app must
keep answering while an ingest runs. So the embedded index lives in numbered
generation directories under ``<store_dir>/generations/`` and a one-line
``CURRENT`` file names the live one:

- a reader opens the generation CURRENT names, and takes a *lease* on it: a
  shared ``flock`` on the generation's ``.readers`` file, held for as long as
  the reader has the shard open;
- a writer takes ``write.lock``, copies the live generation into a new one
  (sparse: the engine preallocates large files that are mostly holes),
  applies its changes there, flushes and closes it, then replaces CURRENT
  atomically (``os.replace``);
- a generation that is not live is removed as soon as nobody leases it: by
  the writer after it publishes, or by the last reader as it lets go. An
  exclusive, non-blocking ``flock`` on the lease file proves that nobody does.

A writer killed at any moment leaves CURRENT on the last complete generation,
so a crashed ingest never leaves a half-written index behind; the next writer
deletes the unfinished directory. Readers see the old or the new state, never
a mix, and never lose the files under a shard they hold.

A second process that finds the live shard locked by another reader (``kb
search`` while the app runs) reads a private copy under ``<store_dir>/readers/``,
made once per generation, leased like a generation, and removed on close or,
if its owner died, by the next collection.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from kb.errors import DiskFull, StoreError
from kb.records import Document

CURRENT = "CURRENT"
CATALOG = "documents.json"
GENERATIONS = "generations"
READERS = "readers"  # private copies for a second reading process
LOCK = "write.lock"
LEASE = ".readers"
_NAME = re.compile(r"g\d{20}")
_FICLONE = 0x40049409  # ioctl: share the source's blocks (btrfs, XFS); else copy sparse
_BLOCK = 64 * 1024
_ZEROS = bytes(_BLOCK)


def is_generation_name(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


def generations_dir(store_dir: Path) -> Path:
    return store_dir / GENERATIONS


def current(store_dir: Path) -> Path | None:
    """The live generation's directory, or None when nothing was ever published."""
    try:
        raw = (store_dir / CURRENT).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {store_dir / CURRENT}: {exc.strerror or exc}") from None
    name = raw.decode("ascii", errors="replace").strip()
    if not _NAME.fullmatch(name):
        # A name is only ever g + 20 digits: anything else (garbage, a path
        # leading out of the store) must not be opened.
        raise StoreError(f"{store_dir / CURRENT} is damaged: it does not name a generation")
    path = generations_dir(store_dir) / name
    return path if path.is_dir() else None


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


# --------------------------------------------------------------------------- leases


class Lease:
    """A reader's shared hold on one generation (or private copy) directory."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def take_lease(directory: Path) -> Lease | None:
    """A shared lease on ``directory``, or None if it is gone (collected meanwhile)."""
    try:
        fd = os.open(directory / LEASE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise StoreError(f"cannot lease {directory}: {exc.strerror or exc}") from None
    fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while a collector is deleting it
    # A collector may have removed the directory between our open and our lock.
    try:
        alive = os.path.samestat(os.fstat(fd), os.stat(directory / LEASE))
    except OSError:
        alive = False
    if not alive:
        os.close(fd)
        return None
    return Lease(directory, fd)


def remove_if_unused(store_dir: Path, directory: Path, keep: Path | None = None) -> bool:
    """Delete a generation or private copy that is not live and that nobody leases.

    A published generation (one with a catalog) also stays while CURRENT names
    no generation there: it may be all that is left to fall back to. So does
    ``keep`` (the one a writer builds on)."""
    try:
        fd = os.open(directory / LEASE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except (FileNotFoundError, NotADirectoryError):
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a reader holds it
        live = current_name(store_dir)
        if directory.parent == generations_dir(store_dir) and (
            directory.name == live
            or directory == keep
            or (
                (live is None or not (generations_dir(store_dir) / live).is_dir())
                and (directory / CATALOG).exists()
            )
        ):
            return False
        # Rename first, so a reader that opened the lease file before our lock
        # finds the path gone once it gets its shared lock.
        trash = directory.with_name(f".trash-{directory.name}-{os.getpid()}")
        os.replace(directory, trash)
    finally:
        os.close(fd)
    shutil.rmtree(trash, ignore_errors=True)
    return True


def current_name(store_dir: Path) -> str | None:
    try:
        live = current(store_dir)
    except StoreError:
        return None
    return live.name if live is not None else None


def collect(store_dir: Path, keep: Path | None = None) -> None:
    """Delete every generation but the live one, unless a reader leases it, plus
    unfinished generations a killed writer left and private copies whose
    owner has gone. Call with the writer lock held."""
    for folder in (generations_dir(store_dir), store_dir / READERS):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".trash-"):
                shutil.rmtree(path, ignore_errors=True)
            elif path.is_dir():
                remove_if_unused(store_dir, path, keep)


# --------------------------------------------------------------------------- copies


def allocated_bytes(path: Path) -> int:
    """Bytes actually allocated under ``path``: the engine preallocates sparse
    files (32 MB per WAL segment), so the apparent size would overstate it."""
    if not path.exists():
        return 0
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file())


def check_free_space(store_dir: Path, needed: int, reserve_mb: int) -> None:
    """Raise unless ``needed`` bytes fit on the store's disk with ``reserve_mb`` to spare."""
    free = shutil.disk_usage(store_dir).free
    if free - needed < reserve_mb * 1_000_000:
        raise DiskFull(
            f"not enough free disk space at {store_dir}: this needs about "
            f"{(needed + reserve_mb * 1_000_000) / 1e6:.0f} MB free and "
            f"{free / 1e6:.0f} MB are; nothing was changed"
        )


def copy_tree(source: Path, target: Path) -> None:
    """Copy a directory tree, keeping holes (or sharing blocks where the
    filesystem can); ``shutil.copytree`` writes preallocated files out in full."""
    target.mkdir()
    for entry in os.scandir(source):
        dest = target / entry.name
        if entry.is_dir(follow_symlinks=False):
            copy_tree(Path(entry.path), dest)
        elif entry.is_file(follow_symlinks=False) and entry.name != LEASE:
            copy_file(Path(entry.path), dest)


def copy_file(source: Path, target: Path) -> None:
    with open(source, "rb") as src, open(target, "xb") as dst:
        size = os.fstat(src.fileno()).st_size
        try:
            fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
            return
        except OSError:
            pass  # no reflinks here (ext4, tmpfs): copy the data, skip the holes
        offset = 0
        while offset < size:
            try:
                start = os.lseek(src.fileno(), offset, os.SEEK_DATA)
            except OSError as exc:
                if exc.errno == errno.ENXIO:  # only a hole is left
                    break
                raise
            end = os.lseek(src.fileno(), start, os.SEEK_HOLE)
            _copy_range(src.fileno(), dst.fileno(), start, end)
            offset = end
        os.ftruncate(dst.fileno(), size)
    shutil.copystat(source, target)


def _copy_range(src: int, dst: int, start: int, end: int) -> None:
    """Copy ``[start, end)``, leaving all-zero blocks as holes: some filesystems
    (tmpfs) report pages the engine only touched as data."""
    position = start
    while position < end:
        block = os.pread(src, min(_BLOCK, end - position), position)
        if not block:
            break
        if block != _ZEROS[: len(block)]:
            os.pwrite(dst, block, position)
        position += len(block)


def new_generation(store_dir: Path, live: Path | None, *, reserve_mb: int = 0) -> Path:
    """A fresh directory holding a copy of ``live`` (the generation the writer
    builds on: the live one, unless it is damaged), or nothing.

    Call with the writer lock held. Checks first that the copy fits with
    ``reserve_mb`` to spare; a copy that fails half-way is removed.
    """
    root = generations_dir(store_dir)
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"g{time.time_ns():020d}"
    check_free_space(store_dir, allocated_bytes(live) if live else 0, reserve_mb)
    if live is None:
        target.mkdir()
        return target
    try:
        copy_tree(live, target)
    except OSError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise (DiskFull if exc.errno == errno.ENOSPC else StoreError)(
            f"cannot copy the index into {target}: {exc.strerror or exc}; nothing was changed"
        ) from None
    return target


def private_copy(store_dir: Path, generation: Path) -> tuple[Path, Lease]:
    """A leased private copy of ``generation`` for a reader that finds it locked."""
    folder = store_dir / READERS
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{generation.name}-{os.getpid()}-{time.time_ns()}"
    source = take_lease(generation)  # so it is not collected while we copy
    if source is None:
        raise StoreError(f"the index at {generation} went away while opening it; try again")
    try:
        check_free_space(store_dir, allocated_bytes(generation), 0)
        copy_tree(generation, target)
    except (OSError, StoreError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        full = isinstance(exc, DiskFull) or getattr(exc, "errno", None) == errno.ENOSPC
        raise (DiskFull if full else StoreError)(
            f"cannot make a reading copy of {generation}: {reason}"
        ) from None
    finally:
        source.release()
    lease = take_lease(target)
    if lease is None:
        raise StoreError(f"the reading copy {target} went away while opening it")
    return target, lease


def discard(store_dir: Path, directory: Path) -> None:
    """Remove a private copy, or a generation nobody uses any more, quietly."""
    with suppress(OSError):
        remove_if_unused(store_dir, directory)


# --------------------------------------------------------------------------- publish


def write_catalog(generation: Path, documents: list[Document]) -> None:
    """The generation's document list, which a writer plans from instead of
    opening the live shard (a reader, the app, may hold it locked)."""
    rows = json.dumps([d.to_dict() for d in documents], ensure_ascii=False)
    (generation / CATALOG).write_text(rows, encoding="utf-8")


def publish(store_dir: Path, generation: Path) -> None:
    """Make ``generation`` the live one, atomically, then remove unused old ones."""
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
