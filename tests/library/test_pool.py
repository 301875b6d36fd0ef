"""kb.library.pool: overlapping searches served here and by real worker processes.

The library is real (a store in a temporary folder, the hashing embedder, so a
worker opens the same model from the same settings); only the search run in
this process is wrapped, so that a test can keep it busy while a worker answers.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kb.config import Settings
from kb.errors import KbError, ParseError, UsageError
from kb.library import Library
from kb.library.pool import SearchJob, SearchPool, portable, run_job, search_workers
from kb.retrieve.search import SearchResult

HOLD = "hold this search"  # the wrapped local search waits on the gate for this one
QUESTIONS = ("neglect and parental substance use", "information shared between agencies")


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    from conftest import REVIEW_PAGES, write_pdf

    root = tmp_path_factory.mktemp("pool")
    pdf = write_pdf(root / "review.pdf", [list(p) for p in REVIEW_PAGES])
    settings = Settings.of(store_dir=root / ".kb", embedder="hash", ocr=False, parse_timeout=0)
    library = Library(settings)
    assert library.ingest([pdf]).failed == []
    yield library
    library.close()


def ids(result: SearchResult) -> list[str]:
    return [h.chunk.chunk_id for h in result.hits]


class Held:
    """The library's own search, except that ``HOLD`` waits until ``gate`` is set."""

    def __init__(self, library: Library) -> None:
        self.searcher = library.searcher
        self.gate = threading.Event()
        self.holding = threading.Semaphore(0)

    def __call__(self, job: SearchJob) -> SearchResult:
        if job.query == HOLD:
            self.holding.release()
            assert self.gate.wait(60)
        return run_job(self.searcher, job)


def in_thread(call: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(call()), daemon=True)
    thread.start()
    return thread, out


def busy_here(pool: SearchPool, held: Held) -> list[threading.Thread]:
    """Both of this process's search paths held: the caller's and the server thread's."""
    threads = []
    for _ in range(2):
        thread, _ = in_thread(lambda: pool.run(SearchJob(HOLD)))
        threads.append(thread)
        assert held.holding.acquire(timeout=30)
    return threads


@pytest.fixture
def busy(library: Library) -> Iterator[tuple[SearchPool, Held, list[threading.Thread]]]:
    """A pool with one worker whose searching here is all held: the next search
    goes to the worker process."""
    held = Held(library)
    pool = SearchPool(held, library.settings, workers=1)
    holders = busy_here(pool, held)
    yield pool, held, holders
    held.gate.set()
    pool.close()


def test_a_search_alone_starts_no_process(library: Library) -> None:
    pool = SearchPool(Held(library), library.settings, workers=1)
    for question in QUESTIONS:
        pool.run(SearchJob(question))
    assert not pool.started and pool.pids() == []
    assert pool.served == {"here": 2}


def test_overlapping_searches_reach_a_worker_process_with_the_same_hits(
    library: Library, busy: tuple[SearchPool, Held, list[threading.Thread]]
) -> None:
    pool, held, holders = busy
    expected = {q: ids(run_job(library.searcher, SearchJob(q))) for q in QUESTIONS}
    # Nothing here is free: the worker process answers these.
    answers = {q: ids(pool.run(SearchJob(q))) for q in QUESTIONS}
    assert answers == expected
    assert pool.served["worker-1"] == 2
    assert len(pool.pids()) == 1 and pool.pids()[0] != os.getpid()
    held.gate.set()
    for thread in holders:
        thread.join(30)
    assert pool.served["here"] == 2
    pool.close()
    assert pool.pids() == []


def test_an_error_in_a_worker_reaches_the_caller_as_itself(
    busy: tuple[SearchPool, Held, list[threading.Thread]],
) -> None:
    pool, _, _ = busy
    with pytest.raises(UsageError, match="unknown search mode 'nearest'"):
        pool.run(SearchJob(QUESTIONS[0], mode="nearest"))


def test_a_worker_that_dies_is_started_again_and_no_search_is_lost(
    library: Library,
    busy: tuple[SearchPool, Held, list[threading.Thread]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool, _, _ = busy
    expected = ids(run_job(library.searcher, SearchJob(QUESTIONS[0])))
    assert ids(pool.run(SearchJob(QUESTIONS[0]))) == expected
    (first,) = pool.pids()
    os.kill(first, signal.SIGKILL)
    with caplog.at_level(logging.WARNING, logger="kb.library.pool"):
        assert ids(pool.run(SearchJob(QUESTIONS[0]))) == expected
    (second,) = pool.pids()
    assert second != first
    assert "starting it again" in caplog.text


def test_a_worker_that_cannot_start_leaves_the_searches_here(
    library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    held = Held(library)
    pool = SearchPool(held, library.settings, workers=1, module="kb.no_such_module")
    with caplog.at_level(logging.WARNING, logger="kb.library.pool"):
        first, _ = in_thread(lambda: pool.run(SearchJob(HOLD)))
        assert held.holding.acquire(timeout=30)
        # Queued while the worker fails to start: the server thread here answers it.
        assert ids(pool.run(SearchJob(QUESTIONS[0])))
        held.gate.set()
        first.join(30)
        deadline = time.monotonic() + 30
        while "could not start" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    pool.close()
    assert "search worker-1 could not start" in caplog.text
    assert pool.served["worker-1"] == 0 and pool.pids() == []


def test_a_closed_pool_refuses_searches(library: Library) -> None:
    pool = SearchPool(Held(library), library.settings, workers=1)
    pool.close()
    with pytest.raises(KbError, match="closed"):
        pool.run(SearchJob(QUESTIONS[0]))


def test_a_library_handed_its_model_or_store_searches_in_its_own_process(
    library: Library,
) -> None:
    asked = library.settings.with_(search_processes=2)
    handed = Library(asked, store=library.store)
    assert handed._pool.workers == 0  # a worker could not open what was handed in
    assert Library(asked)._pool.workers == 2
    assert Library(library.settings)._pool.workers == 0  # off unless asked for


def test_search_processes_setting_counts_workers() -> None:
    assert search_workers(Settings.of(search_processes=0)) == 0
    assert search_workers(Settings.of(search_processes=3)) == 3
    assert search_workers(Settings.of(search_processes=-1)) == 0
    assert search_workers(Settings.of()) == 0


def test_an_error_that_cannot_cross_keeps_its_message() -> None:
    crossed = portable(ParseError(Path("a.pdf"), "no text"))
    assert type(crossed) is KbError and str(crossed) == "a.pdf: no text"
    usage = UsageError("bad mode")
    assert portable(usage) is usage
