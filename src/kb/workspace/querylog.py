"""The opt-in query log: off unless ``KB_LOG_QUERIES`` (``AppSettings.log_queries``) is on.

Questions typed into kb can name a child, a family or a case, so by default kb
writes them nowhere: not to a file, not to Python logging. A deployment that
wants them (to study what practitioners ask) turns the setting on and gets
one JSON line per query in ``<store_dir>/queries.log``.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FILE_NAME = "queries.log"
_lock = threading.Lock()  # app sessions search from several threads


def log_path(store_dir: Path) -> Path:
    return store_dir / FILE_NAME


def log_query(store_dir: Path, enabled: bool, query: str, **details: Any) -> None:
    """Append ``query`` (and ``details``) to the log beside the library, if and
    only if logging is on (``AppSettings.log_queries``)."""
    if not enabled:
        return
    record = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "query": query, **details}
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    path = log_path(store_dir)
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line)
