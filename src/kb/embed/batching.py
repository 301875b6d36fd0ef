"""Micro-batching for the dense model when many searches arrive at once.

The app serves every browser session from a thread of one process, and all of
them share one model. Called concurrently, torch runs each small call on all
cores and the calls fight over them; called in turn, each query waits for the
others one by one. ``BatchingEmbedder`` instead hands every call to a worker
thread, which embeds whatever has queued up while it was busy in a single
model call. A lone query goes straight through (no waiting window); a burst of
sixteen becomes a few model calls. With ``workers=2`` two such calls run side
by side: torch keeps its thread count per thread, so a worker alone uses every
core, and beside the other its share, instead of both fighting over all.

bench/load.py measured it against plain concurrent calls and a lock on the
real-corpus index (docs/benchmarks.md, "Load"): at 16 and 32 concurrent
searchers it cut CPU per query by about 45% and raised throughput by about a
third, and at one searcher it made no measurable difference.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

import numpy as np

from kb.embed.contract import Embedder, Span

MAX_TEXTS = 64  # per model call: a batch of short queries, or one passage's sentences
ThreadsFunc = Callable[[int], None]


class BatchingEmbedder:
    """An ``Embedder`` that funnels every call through one batching worker thread."""

    def __init__(
        self,
        inner: Embedder,
        max_texts: int = MAX_TEXTS,
        *,
        workers: int = 1,
        threads: ThreadsFunc | None = None,
        cores: int = 1,
    ) -> None:
        self.inner = inner
        self.max_texts = max_texts
        self.workers = max(1, workers)
        # Sets the calling thread's model threads (torch keeps them per thread).
        self._threads = threads
        self._cores = max(1, cores)
        self._cv = threading.Condition()
        self._pending: list[tuple[list[str], Future[np.ndarray]]] = []
        self._started: list[threading.Thread] = []
        self._busy = 0  # workers inside a model call
        self.calls = 0  # model calls made, for tests and benchmarks

    # Delegated lazily: reading them must not load a lazily loaded model.
    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def name(self) -> str:
        return self.inner.name

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        # Ingest's big calls gain nothing from batching with searches: go straight through.
        return self.inner.embed_passages(texts, spans)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.submit_documents(texts).result()

    def submit_documents(self, texts: Sequence[str]) -> Future[np.ndarray]:
        """``embed_documents(texts)`` handed to a worker: the caller may go on meanwhile."""
        future: Future[np.ndarray] = Future()
        if not texts:
            future.set_result(self.inner.embed_documents([]))
            return future
        with self._cv:
            while len(self._started) < self.workers:
                worker = threading.Thread(
                    target=self._serve, name=f"kb-embed-{len(self._started)}", daemon=True
                )
                self._started.append(worker)
                worker.start()
            self._pending.append((list(texts), future))
            self._cv.notify()
        return future

    def _take(self) -> list[tuple[list[str], Future[np.ndarray]]]:
        """The oldest calls, up to ``max_texts`` texts (a bigger call goes alone).

        While another worker is idle, only the oldest: the next runs beside it on
        another core (a search's question and its expansion, at low load), instead
        of both in one call on one core. Batching is for when every worker is busy."""
        idle = self.workers - self._busy - 1
        jobs: list[tuple[list[str], Future[np.ndarray]]] = []
        size = 0
        while self._pending and (not jobs or size + len(self._pending[0][0]) <= self.max_texts):
            job = self._pending.pop(0)
            jobs.append(job)
            size += len(job[0])
            if idle > 0:
                self._cv.notify()  # an idle worker takes what is left
                break
        return jobs

    def _serve(self) -> None:
        while True:
            with self._cv:
                while not self._pending:
                    self._cv.wait()
                jobs = self._take()
                others = self._busy
                self._busy += 1
                self.calls += 1
            if self._threads is not None and self.workers > 1:
                # Alone, a call may use every core; beside another call, its share.
                self._threads(self._cores if others == 0 else max(1, self._cores // self.workers))
            texts = [t for job, _ in jobs for t in job]
            try:
                vectors = self.inner.embed_documents(texts)
            except BaseException as exc:  # noqa: BLE001 - each waiting caller gets the error
                for _, future in jobs:
                    future.set_exception(exc)
                continue
            finally:
                with self._cv:
                    self._busy -= 1
            start = 0
            for job, future in jobs:
                future.set_result(vectors[start : start + len(job)])
                start += len(job)


def submit_documents(embedder: Embedder, texts: Sequence[str]) -> Future[np.ndarray]:
    """``embedder.embed_documents(texts)`` as a future: on a ``BatchingEmbedder``'s
    worker while the caller goes on, or, for any other embedder, done here and now."""
    if isinstance(embedder, BatchingEmbedder):
        return embedder.submit_documents(texts)
    future: Future[np.ndarray] = Future()
    try:
        future.set_result(embedder.embed_documents(texts))
    except Exception as exc:  # noqa: BLE001 - raised again by result(), as a call would
        future.set_exception(exc)
    return future
