"""The word lists and small tables the extractors read, shipped in ``kb/data/describe/``.

They are plain data (names of bodies, headings, words), so they live as files a person can
read and edit without touching the matching code; the patterns stay in the modules.

* ``<name>.txt``: one entry a line; blank lines and lines starting with ``#`` are skipped.
* ``<name>.csv``: a header row, then one row per entry.

Each module loads its lists once, when it is imported.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from kb.data import shipped

DATA_PARTS = ("data", "describe")


def data_file(file_name: str) -> Path:
    """The packaged data file ``kb/data/describe/<file_name>``; a missing one is a
    ConfigError that says to reinstall, never a traceback at import."""
    return shipped("/".join((*DATA_PARTS[1:], file_name)))


def word_list(name: str) -> tuple[str, ...]:
    """The entries of ``<name>.txt`` in file order, each stripped of surrounding space."""
    text = data_file(f"{name}.txt").read_text(encoding="utf-8")
    entries = (line.strip() for line in text.splitlines())
    return tuple(entry for entry in entries if entry and not entry.startswith("#"))


def table(name: str) -> tuple[dict[str, str], ...]:
    """The rows of ``<name>.csv`` in file order, keyed by its header."""
    text = data_file(f"{name}.csv").read_text(encoding="utf-8")
    return tuple(dict(row) for row in csv.DictReader(io.StringIO(text, newline="")))
