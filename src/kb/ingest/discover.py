"""Find the ingestible files under the paths an ingest is given, and say what is passed over.

Folders are walked recursively in name order. Hidden and temporary files and
metadata sidecars are passed over in silence, and so are files of a type kb
does not read; everything else that is not ingested gets a one-line reason:

* a symlink that leads out of the folder being walked is skipped;
* a named pipe, device or socket is skipped as "not a regular file" (it is
  only ever stat-ed, never opened: opening a named pipe blocks until someone
  writes to it);
* a folder that cannot be listed is skipped with the system's reason;
* a path named on the command line that cannot be used at all (missing,
  unreadable, not a regular file, of an unsupported type) is a failure.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from kb.parse import SUPPORTED_SUFFIXES
from kb.records import Failure

TEMP_PATTERNS = ("~$", ".~lock", "#")
TEMP_SUFFIXES = (".tmp", ".part", ".crdownload", ".swp", ".bak")
SIDECAR_NAMES = {"metadata.csv", "metadata.yaml", "metadata.yml"}
_MISSING = {errno.ENOENT, errno.ENOTDIR}
_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "named pipe"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISDIR, "folder"),
)


class Outcomes(Protocol):
    """Where discovery writes what it passed over (an ``IngestReport``)."""

    failed: list[Failure]
    skipped: list[Failure]


def discover(paths: Sequence[Path], report: Outcomes) -> list[Path]:
    """Ingestible files under ``paths``: recursive, no hidden or temp files, and
    no symlink that leads out of the folder being walked."""
    found: list[Path] = []
    seen: set[Path] = set()
    for root in paths:
        try:
            is_dir = stat.S_ISDIR(root.stat().st_mode)
        except OSError as exc:
            report.failed.append(Failure(str(root), _missing_reason(exc)))
            continue
        if not is_dir:
            _consider(root, root.parent.resolve(), found, seen, report, explicit=True)
            continue
        base = root.resolve()

        def unreadable(exc: OSError, root: Path = root) -> None:
            where = exc.filename or str(root)
            reason = f"cannot read folder: {exc.strerror or exc}"
            (report.failed if Path(where) == root else report.skipped).append(
                Failure(str(where), reason)
            )

        for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                _consider(Path(dirpath) / name, base, found, seen, report, explicit=False)
    return found


def _missing_reason(exc: OSError) -> str:
    if exc.errno in _MISSING:
        return "no such file or folder"
    if exc.errno == errno.ELOOP:
        return "broken or looping symlink"
    return f"cannot read: {exc.strerror or exc}"


def _consider(
    path: Path,
    base: Path,
    found: list[Path],
    seen: set[Path],
    report: Outcomes,
    *,
    explicit: bool,
) -> None:
    name = path.name
    if name in SIDECAR_NAMES:
        return
    if not explicit and (
        name.startswith(".")
        or name.startswith(TEMP_PATTERNS)
        or name.lower().endswith(TEMP_SUFFIXES)
    ):
        return
    passed_over = report.failed if explicit else report.skipped
    try:
        real = path.resolve(strict=True)
        mode = real.stat().st_mode
    except RuntimeError:  # a symlink loop, on Pythons before 3.13
        report.failed.append(Failure(str(path), "broken or looping symlink"))
        return
    except OSError as exc:
        reason = _missing_reason(exc)
        if reason == "no such file or folder":
            reason = "broken or looping symlink"  # os.walk listed it, so a link is broken
        report.failed.append(Failure(str(path), reason))
        return
    if path.is_symlink() and not real.is_relative_to(base):
        report.skipped.append(Failure(str(path), "symlink points outside the folder"))
        return
    if not stat.S_ISREG(mode):
        kind = next((k for test, k in _SPECIAL_KINDS if test(mode)), "special file")
        passed_over.append(Failure(str(path), f"not a regular file ({kind})"))
        return
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        if explicit:
            report.failed.append(Failure(str(path), f"unsupported file type {path.suffix}"))
        return
    if real in seen:
        return
    seen.add(real)
    found.append(path)
