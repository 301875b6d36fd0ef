"""Files on disk: content hashes and atomic writes.

A document's id is the sha256 of its bytes, so hashing must never hang on a
file that is not what discovery saw. A write that a crash may interrupt goes
to a temporary file beside its target and is renamed over it, so a reader
sees the old content or the new, never half of either.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from pathlib import Path

HASH_BLOCK_BYTES = 1 << 20
PRIVATE = 0o600  # for files only kb's user should read: uploads, collections


def file_sha256(path: Path) -> str:
    """The sha256 of the file's bytes; OSError when it is not a regular file.

    Opened without blocking and checked after opening: a file that became a
    named pipe since discovery must fail here, not hang the ingest.
    """
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        for block in iter(lambda: fh.read(HASH_BLOCK_BYTES), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` in one step; its folder must exist.

    The temporary file lives in the same folder because ``os.replace`` is only
    atomic within one file system, and it is fsynced first so a crash right
    after the rename cannot leave an empty file under the real name.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # mkstemp makes the file private; most of ours are meant to be read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, *, encoding: str = "utf-8", mode: int = 0o644) -> None:
    """Replace ``path`` with ``text`` in one step (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode(encoding), mode=mode)


_SPARSE_BLOCK = 64 * 1024
_ZERO_BLOCK = bytes(_SPARSE_BLOCK)


def sparse_sha256(path: Path) -> str:
    """A sha256 of the file's size and its non-zero 64 KiB blocks, each with its offset.

    For the index engine's files, which are mostly holes: only the data extents
    are read, and an all-zero block counts as a hole, so a file and its sparse
    copy (``kb.store.generations.copy_tree``) have the same digest.
    """
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        size = os.fstat(fd).st_size
        h.update(size.to_bytes(8, "little"))
        offset, last = 0, -1
        while offset < size:
            try:
                start = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError as exc:
                if exc.errno == errno.ENXIO:  # only a hole is left
                    break
                raise
            end = os.lseek(fd, start, os.SEEK_HOLE)
            for block in range(max(start // _SPARSE_BLOCK, last + 1), -(-end // _SPARSE_BLOCK)):
                data = os.pread(fd, _SPARSE_BLOCK, block * _SPARSE_BLOCK)
                if data != _ZERO_BLOCK[: len(data)]:
                    h.update(block.to_bytes(8, "little") + data)
                last = block
            offset = end
    finally:
        os.close(fd)
    return h.hexdigest()
