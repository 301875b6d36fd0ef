"""Parse untrusted files in a separate process with a time and a memory budget.

The parsers (pdfium, lxml, zipfile, spaCy) are C code and large libraries fed
with files from anywhere. A hostile or merely broken file can make them spin,
allocate gigabytes or crash outright, and none of that may take the ingest
down with it. So each file is parsed in a worker process that:

* has its address space capped (``RLIMIT_AS``) at its own start-up size plus
  ``Settings.parse_memory_mb``, so a zip bomb or a poisoned PDF gets a
  MemoryError (or dies) instead of pushing the machine into swap;
* is killed when one file takes longer than ``Settings.parse_timeout``
  seconds of wall time;
* cannot open network connections (only Unix sockets), and runs with
  third-party telemetry switched off: a document must never make kb talk to
  anyone;
* writes no core dumps.

One worker is started on first use and reused for every file, so the cost is
one interpreter start (about 0.3 s) per ingest plus a pickle of each parsed
document; it is replaced only after it was killed, crashed or ran out of
memory. Every failure becomes a ``ParseError`` with a one-line reason, like
``took longer than 300 s``, ``used more than 2048 MB`` or ``parser crashed
(SIGSEGV)``.

This module is the parent's side; the worker's is ``kb.parse.worker``.
``parse_timeout = 0`` turns isolation off and parses in-process (for
debugging); so does an OCR function that cannot be pickled (a lambda in a
test), which the worker could not receive.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kb.config import ParseSettings
from kb.errors import ParseError
from kb.parse.document import OcrFunc, RawDocument
from kb.parse.worker import TELEMETRY_OFF, checked_parse, telemetry_off
from kb.text.display import one_line

CLOSE_WAIT_S = 2.0
START_TIMEOUT_S = 60.0

_BOOT = (
    "import sys, json; sys.path[:0] = json.loads(sys.argv[1]); "
    "from kb.parse.worker import worker_main; worker_main(sys.argv[2:])"
)


class ParseGuard:
    """Runs ``parse_file`` (or any picklable function) in a budgeted worker process."""

    def __init__(self, *, timeout: float = 300.0, memory_mb: int = 2048) -> None:
        self.timeout = float(timeout)
        self.memory_mb = int(memory_mb)
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        self.starts = 0  # how many workers were started (a restart follows every kill)

    @classmethod
    def from_settings(cls, settings: ParseSettings) -> ParseGuard:
        return cls(timeout=settings.parse_timeout, memory_mb=settings.parse_memory_mb)

    @property
    def isolated(self) -> bool:
        return self.timeout > 0

    def parse(self, path: Path, *, ocr: OcrFunc | None = None) -> RawDocument:
        """``kb.parse.dispatch.parse_file`` under the budget; every failure is a ParseError."""
        if not self.isolated or not _picklable(ocr):
            telemetry_off()
            return checked_parse(path, ocr, self.memory_mb)
        result = self.call(
            checked_parse, path, ocr, self.memory_mb, path=path, preload=path.suffix.lower()
        )
        assert isinstance(result, RawDocument)
        return result

    def call(
        self, func: Callable[..., Any], *args: Any, path: Path | str = "", preload: str = ""
    ) -> Any:
        """Run ``func(*args)`` in the worker under the budget; ``func`` must be
        importable by name. ``preload`` names a file suffix whose parser is
        loaded before the memory budget starts counting.

        Raises ParseError(path, reason) when the function raises ParseError, runs
        out of time or memory, or the worker dies.
        """
        message = (func, args, preload)
        with self._lock:
            try:
                worker = self._ensure()
                try:
                    worker.send(message)
                except (OSError, ValueError):
                    # The worker died between two files (killed from outside?): one retry.
                    self._discard()
                    worker = self._ensure()
                    worker.send(message)
            except _StartFailed as exc:
                raise ParseError(path, str(exc)) from None
            if not worker.poll(self.timeout):
                self._discard()
                raise ParseError(path, f"took longer than {self.timeout:g} s")
            try:
                kind, value = worker.recv()
            except (EOFError, OSError):
                reason = worker.death_reason(self.memory_mb)
                self._discard()
                raise ParseError(path, reason) from None
            if kind == "ok":
                return value
            if kind == "memory":
                self._discard()  # a MemoryError can leave a library half-initialised
                raise ParseError(path, f"used more than {self.memory_mb} MB")
            raise ParseError(path, one_line(str(value)))

    def _ensure(self) -> _Worker:
        if self._worker is None or not self._worker.alive():
            if self._worker is not None:
                self._worker.kill()
            self._worker = _Worker(self.memory_mb)
            self.starts += 1
        return self._worker

    def _discard(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker = None

    def close(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None

    def __enter__(self) -> ParseGuard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _picklable(obj: object) -> bool:
    if obj is None:
        return True
    try:
        pickle.dumps(obj)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


class _StartFailed(Exception):
    """The worker process could not be started (turned into a ParseError by the caller)."""


class _Worker:
    """One worker process and the two pipes to it."""

    def __init__(self, memory_mb: int) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = {**os.environ, **TELEMETRY_OFF}
        try:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _BOOT,
                    json.dumps(sys.path),
                    str(to_child_r),
                    str(from_child_w),
                    str(memory_mb),
                ],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                # Library chatter must not land in `kb ingest --json` output.
                stdout=subprocess.DEVNULL,
                env=env,
                # Its own process group, so a kill takes its helpers (tesseract) too.
                start_new_session=True,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._out = Connection(to_child_w, readable=False)
        self._in = Connection(from_child_r, writable=False)
        self._finalizer = weakref.finalize(self, _kill, self.proc, self._out, self._in)
        if not self._in.poll(START_TIMEOUT_S):
            self.kill()
            raise _StartFailed(f"the parse worker did not start within {START_TIMEOUT_S:g} s")
        try:
            self._in.recv()  # "ready"
        except EOFError:
            reason = self.death_reason(memory_mb)
            self.kill()
            raise _StartFailed(f"the parse worker failed to start: {reason}") from None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, message: Any) -> None:
        self._out.send(message)

    def poll(self, timeout: float) -> bool:
        return self._in.poll(timeout)

    def recv(self) -> Any:
        return self._in.recv()

    def death_reason(self, memory_mb: int) -> str:
        try:
            code = self.proc.wait(timeout=CLOSE_WAIT_S)
        except subprocess.TimeoutExpired:
            return "the parser stopped answering"
        if code < 0:
            name = _signal_name(-code)
            if -code == signal.SIGKILL:
                # Nobody here sent it: that is the kernel's out-of-memory killer.
                return f"parser was killed ({name}; out of memory?)"
            if -code == signal.SIGABRT:
                # pdfium (and C++ code on bad_alloc) aborts when an allocation
                # fails; under the address-space cap that is what running out looks like.
                return f"parser aborted ({name}), most likely over its {memory_mb} MB budget"
            return f"parser crashed ({name})"
        return f"parser exited unexpectedly (code {code})"

    def stop(self) -> None:
        # The worker holds nothing worth a clean exit (each job tidies up after
        # itself), and its interpreter's teardown takes about a second, so it is
        # told to stop and then killed without waiting.
        with contextlib.suppress(OSError, ValueError):
            self._out.send(None)
        self.kill()

    def kill(self) -> None:
        self._finalizer()


def _kill(proc: subprocess.Popen[bytes], *conns: Connection) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=CLOSE_WAIT_S)
    for conn in conns:
        with contextlib.suppress(OSError):
            conn.close()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
