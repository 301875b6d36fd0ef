"""Progress of an ingest run, told to a ``ProgressFunc`` (the CLI's bar, the app's
upload bar): after each file, and within the current one as it is read and as
each slice of its passages is embedded, so a long document never sits at 0 %."""

from __future__ import annotations

import time
from collections.abc import Callable

from kb.records import IngestReport, Progress, ProgressFunc

# Called before each slice of a document is embedded: passages done, passages in all.
Embedded = Callable[[int, int], None]


class Tracker:
    """A run's progress events: after each file, and within the current one."""

    def __init__(
        self, progress: ProgressFunc | None, report: IngestReport, files: int, size: int
    ) -> None:
        self.progress, self.report = progress, report
        self.total_files, self.total_bytes = files, size
        self.done_files = self.done_bytes = 0
        self.current = ""
        self.started = time.perf_counter()

    def start(self, name: str) -> None:
        self.current = name
        self._send("reading")

    def embedding(self, done: int, total: int) -> None:
        self._send("embedding", 0.1 + 0.9 * done / total if total else 0.1, done, total)

    def finish(self, size: int) -> None:
        self.done_files += 1
        self.done_bytes += size
        self._send("")

    def _send(self, stage: str, share: float = 0.0, done: int = 0, total: int = 0) -> None:
        if self.progress is None:
            return
        elapsed = time.perf_counter() - self.started
        self.progress(
            Progress(
                self.done_files, self.total_files, self.done_bytes, self.total_bytes,
                self.report.pages, elapsed, self.current,
                stage=stage, file_share=share, stage_done=done, stage_total=total,
            )
        )
