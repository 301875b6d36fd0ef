"""Searches that overlap, served by this process and by worker processes.

Every browser session of the app is a thread of one process, and threads share
one interpreter lock. A search's model calls let go of it (ONNX Runtime), but the
store's queries and kb's ranking hold it for most of their time (``bench/gil.py``):
in one process, searches beyond the first wait for that lock, however many cores
there are. ``SearchPool`` gives overlapping searches more interpreters: a search
that arrives while another is running goes into one queue, served in arrival
order by a thread here and by ``KB_SEARCH_PROCESSES`` worker processes. Each
worker has its own model and its own reader of the index, which follows every
publish as this process's does (``kb.store.live``; a second reading process reads a private copy
of the generation, ``kb.store.generations.private_copy``).

It is off unless ``KB_SEARCH_PROCESSES`` asks for workers: on two cores the CPU
binds before the lock does, and one process batches overlapping questions into
fewer model calls, so a second process bought no throughput there
(docs/benchmarks.md, 2026-12-08). It is for a server with more cores than that.

Nothing starts until two searches overlap, and a search that overlaps no other
runs in the calling thread: ``kb search`` and an app with one person asking
search as they would without a pool.

A worker that cannot start leaves the searches to this process (logged). A
worker that dies hands the search it held back to the queue, once, and is
started again.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kb.config import Settings
from kb.errors import KbError
from kb.records import Filters
from kb.retrieve.search import Searcher, SearchResult

log = logging.getLogger(__name__)

HERE = "here"  # the server thread that searches in this process
RESTARTS = 3  # a worker that keeps dying is left stopped after this many starts
STOP_WAIT_S = 5.0
WORKER = "kb.library.worker"  # the module a worker process runs
KB_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding the kb package


@dataclass(frozen=True)
class SearchJob:
    """One ``Searcher.run`` call, as it crosses to a worker process."""

    query: str
    filters: Filters | None = None
    top_k: int = 10
    mode: str = "hybrid"
    judge_terms: bool = True
    together: bool = False  # Searcher.run's: set by the pool when searches overlap


Run = Callable[[SearchJob], SearchResult]
# Opens a worker's searcher in the worker process: the search, and what closes it.
Opener = Callable[[Settings], tuple[Run, Callable[[], None]]]


def search_workers(settings: Settings) -> int:
    """Worker processes for overlapping searches (``KB_SEARCH_PROCESSES``)."""
    return max(0, settings.search.search_processes)


def run_job(searcher: Searcher, job: SearchJob) -> SearchResult:
    """``job`` on ``searcher``, all its reads from one state of the index."""
    with searcher.store.reading():
        return searcher.run(
            job.query,
            filters=job.filters,
            top_k=job.top_k,
            mode=job.mode,
            judge_terms=job.judge_terms,
            together=job.together,
        )


@dataclass
class _Item:
    job: SearchJob
    future: Future[SearchResult]
    tries: int = 0


class SearchPool:
    """``run(job)`` here while searches do not overlap, else from the shared queue."""

    def __init__(self, local: Run, settings: Settings, workers: int, module: str = WORKER) -> None:
        self._local = local
        self._settings = settings
        self._module = module
        self.workers = max(0, workers)
        self._cv = threading.Condition()
        self._in_flight = 0  # searches asked for and not yet answered
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self.served: Counter[str] = Counter()  # searches answered, by server
        self._workers: dict[str, _Worker] = {}  # the live ones, by name

    @property
    def started(self) -> bool:
        return bool(self._threads)

    def pids(self) -> list[int]:
        """The process ids of the worker processes running now."""
        with self._cv:
            return [w.process.pid for w in self._workers.values()]

    def run(self, job: SearchJob) -> SearchResult:
        with self._cv:
            if self._closed:
                raise KbError("the library is closed")
            self._in_flight += 1
            overlapping = self._in_flight > 1
            # Alone, a search runs here and now: no hand-over, no second process.
            inline = not overlapping or self.workers == 0
            if not inline:
                if not self._threads:
                    self._start()
                # Other searches keep the cores busy: spend less CPU on this one.
                item = _Item(replace(job, together=True), Future())
                # Queued under the lock: a close that follows queues its stops after it.
                self._queue.put(item)
        try:
            return self._local(job) if inline else item.future.result()
        finally:
            with self._cv:
                self._in_flight -= 1
                if inline:
                    self.served[HERE] += 1

    def _start(self) -> None:
        """The server threads: one searching here, one per worker process (lock held)."""
        servers: list[tuple[str, Callable[[], None]]] = [(HERE, self._serve_here)]
        for n in range(1, self.workers + 1):
            name = f"worker-{n}"
            servers.append((name, lambda name=name: self._serve_worker(name)))  # type: ignore[misc]
        for name, target in servers:
            thread = threading.Thread(target=target, name=f"kb-search-{name}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve_here(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                item.future.set_result(self._local(item.job))
            except BaseException as exc:  # noqa: BLE001 - the caller gets every error
                item.future.set_exception(exc)
            with self._cv:
                self.served[HERE] += 1

    def _serve_worker(self, name: str) -> None:
        worker: _Worker | None = None
        starts = 0
        try:
            while True:
                if worker is None:
                    if starts >= RESTARTS or self._closed:
                        return
                    starts += 1
                    worker = _Worker.start(name, self._module, self._settings)
                    if worker is None:
                        return  # logged: the searches stay with this process
                    with self._cv:
                        self._workers[name] = worker
                item = self._queue.get()
                if item is None:
                    return
                try:
                    answered = worker.ask(item)
                except _WorkerGone as gone:
                    log.warning("kb: search %s stopped (%s); starting it again", name, gone)
                    self._forget(name)
                    worker.stop()
                    worker = None
                    self._again(item)
                    continue
                if answered:
                    with self._cv:
                        self.served[name] += 1
        finally:
            self._forget(name)
            if worker is not None:
                worker.stop()

    def _forget(self, name: str) -> None:
        with self._cv:
            self._workers.pop(name, None)

    def _again(self, item: _Item) -> None:
        """A search whose worker died: back to the queue once, then an error."""
        item.tries += 1
        with self._cv:
            if self._closed:  # the servers may all be gone: nobody would answer it
                item.future.set_exception(KbError("the library closed during the search"))
            elif item.tries > 1:
                item.future.set_exception(KbError("the search stopped twice; try again"))
            else:
                self._queue.put(item)

    def close(self) -> None:
        """Stop the servers and worker processes; searches already queued are answered first."""
        with self._cv:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join(STOP_WAIT_S)


class _WorkerGone(Exception):
    """The worker process ended or its pipe broke."""


class _Worker:
    """One worker process and this side of its socket."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], conn: Connection) -> None:
        self.name = name
        self.process = process
        self.conn = conn

    @classmethod
    def start(cls, name: str, module: str, settings: Settings) -> _Worker | None:
        """``python -m module FD`` with settings sent over a socket; None if it cannot start.

        A fresh interpreter, not multiprocessing's spawn, which imports the
        caller's main script again in the child (a script without a
        ``__main__`` guard would run twice); and not fork, since this process
        runs model and store threads that a child would inherit mid-call."""
        ours, theirs = socket.socketpair()
        # The environment passes on as it would to any child, with the path of the
        # kb this process runs first, so the child imports the same kb.
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [KB_ROOT, env.get("PYTHONPATH")]))
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", module, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
            )
        except OSError as exc:
            ours.close()
            log.warning("kb: search %s could not start (%s); searching here only", name, exc)
            return None
        finally:
            theirs.close()
        worker = cls(name, process, Connection(ours.detach()))
        try:
            worker.conn.send(settings)
            kind, detail = worker.conn.recv()
        except (OSError, EOFError) as exc:
            kind, detail = "failed", f"{type(exc).__name__}: {exc}" if str(exc) else "it ended"
        if kind != "ready":
            log.warning("kb: search %s could not start (%s); searching here only", name, detail)
            worker.stop()
            return None
        return worker

    def ask(self, item: _Item) -> bool:
        """Answer ``item`` in the worker; raises _WorkerGone if it could not."""
        try:
            self.conn.send(item.job)
            kind, value = self.conn.recv()
        except (OSError, EOFError) as exc:
            raise _WorkerGone(f"{type(exc).__name__}: {exc}" if str(exc) else "it ended") from None
        if kind == "ok":
            item.future.set_result(value)
            return True
        item.future.set_exception(value)
        return False

    def stop(self) -> None:
        with suppress(OSError):  # already gone
            self.conn.send(None)
        self.conn.close()
        try:
            self.process.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_WAIT_S)


def serve(conn: Connection, opener: Opener) -> None:
    """A worker process's loop (``kb.library.worker``): settings, then jobs until told to stop."""
    try:
        run, close = opener(conn.recv())
    except KbError as exc:
        conn.send(("failed", str(exc)))
        return
    try:
        conn.send(("ready", os.getpid()))
        while (job := _next(conn)) is not None:
            try:
                reply: tuple[str, Any] = ("ok", run(job))
            except Exception as exc:  # noqa: BLE001 - every error goes back to the caller
                reply = ("error", portable(exc))
            conn.send(reply)
    finally:
        close()  # its reading copy of the index goes with it


def _next(conn: Connection) -> SearchJob | None:
    try:
        job: SearchJob | None = conn.recv()
    except (EOFError, OSError):  # the parent went away
        return None
    return job


def portable(exc: Exception) -> Exception:
    """``exc`` if it survives the pipe, else the same message as a plain error
    of its family (an error whose constructor takes other arguments does not)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any failure to round-trip means: simplify it
        kind = KbError if isinstance(exc, KbError) else RuntimeError
        return kind(f"{type(exc).__name__}: {exc}" if kind is RuntimeError else str(exc))
    return exc
