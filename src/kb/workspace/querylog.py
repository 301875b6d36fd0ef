"""The opt-in query log: off unless ``KB_LOG_QUERIES`` (``Settings.log_queries``) is on.

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

from kb.config import Settings

FILE_NAME = "queries.log"
_lock = threading.Lock()  # app sessions search from several threads


def log_path(settings: Settings) -> Path:
    return settings.store_dir / FILE_NAME


def log_query(settings: Settings, query: str, **details: Any) -> None:
    """Append ``query`` (and ``details``) to the log, if and only if logging is on."""
    if not settings.log_queries:
        return
    record = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "query": query, **details}
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    path = log_path(settings)
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line)
