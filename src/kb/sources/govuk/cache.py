"""The fetch cache on disk: its PDFs, ``metadata.csv`` and ``.fetch-state.json``.

``metadata.csv`` is the metadata sidecar ingest reads (:mod:`kb.describe.sidecar` defines
its one schema and writes it); fetch keeps the rows a person put there by hand and drops
rows whose file has gone. ``.fetch-state.json`` remembers, per GOV.UK URL, the file it was
saved as and the validators (ETag, Last-Modified) that make a re-run cost one 304 a file.
Both are rewritten atomically; an unreadable one is ignored rather than trusted.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kb.describe.sidecar import SIDECAR_FIELDS, write_sidecar_csv
from kb.files import atomic_write_text

STATE_FILE = ".fetch-state.json"
STATE_VERSION = 1
TEMP_PREFIX = ".kb-tmp-"  # in-progress downloads; hidden, and never *.pdf
METADATA_FILE = "metadata.csv"  # the CSV form of kb.describe's sidecar
METADATA_FIELDS = SIDECAR_FIELDS

State = dict[str, dict[str, Any]]  # GOV.UK URL -> file, validators, sha256, ...


def count_cached(cache_dir: Path) -> int:
    """How many PDFs the cache holds (temporary files excluded)."""
    if not cache_dir.is_dir():
        return 0
    return sum(
        1
        for p in cache_dir.iterdir()
        if p.suffix.lower() == ".pdf" and not p.name.startswith(".") and p.is_file()
    )


def load_state(cache_dir: Path, say: Callable[[str], None]) -> State:
    """The per-URL state from an earlier run; an unreadable file just means starting afresh."""
    path = cache_dir / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        say(f"ignoring unreadable {path.name}")
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or data.get("version") != STATE_VERSION:
        return {}
    return {
        source: entry
        for source, entry in files.items()
        if isinstance(entry, dict) and isinstance(entry.get("file"), str)
    }


def save_state(cache_dir: Path, state: State) -> None:
    """Replace the state file with ``state``."""
    data = {"version": STATE_VERSION, "files": state}
    atomic_write_text(cache_dir / STATE_FILE, json.dumps(data, indent=2, sort_keys=True))


def load_metadata(cache_dir: Path) -> dict[str, dict[str, str]]:
    """The rows of an existing ``metadata.csv`` by file name, as text.

    Lenient, unlike ingest's sidecar reader, so a bad sidecar never stops a download: an
    unreadable file counts as empty and a row without a plain file name is left out (the
    rewrite at the end of the run then replaces them).
    """
    try:
        with (cache_dir / METADATA_FILE).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    kept: dict[str, dict[str, str]] = {}
    for row in rows:
        name = row.get("file") or ""
        if _plain_name(name):
            kept[name] = {key: row.get(key) or "" for key in METADATA_FIELDS}
    return kept


def save_metadata(cache_dir: Path, rows: Mapping[str, Mapping[str, str]]) -> None:
    """Rewrite ``metadata.csv`` with the rows whose file is in the cache, by file name."""
    kept: Sequence[Mapping[str, str]] = [
        row
        for name, row in sorted(rows.items())
        if _plain_name(name) and (cache_dir / name).is_file()
    ]
    write_sidecar_csv(cache_dir / METADATA_FILE, kept)


def _plain_name(name: str) -> bool:
    """A bare file name (hand-placed files may have spaces, but never separators)."""
    return bool(name) and not name.startswith(".") and "/" not in name and "\\" not in name
