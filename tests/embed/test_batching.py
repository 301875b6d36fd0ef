"""kb.embed.batching: concurrent calls share model calls and each caller gets its own vectors."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from kb.embed.batching import BatchingEmbedder
from kb.embed.hashing import HashEmbedder


class GatedEmbedder(HashEmbedder):
    """HashEmbedder whose first call waits for a gate, so others queue behind it."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.sizes: list[int] = []

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not self.sizes:
            self.entered.set()
            self.gate.wait(timeout=30)
        self.sizes.append(len(texts))
        if any(t == "boom" for t in texts):
            raise RuntimeError("model failed")
        return super().embed_documents(texts)


def test_concurrent_calls_are_batched_and_routed_back() -> None:
    inner = GatedEmbedder()
    batcher = BatchingEmbedder(inner)
    questions = [f"question number {i} about a child" for i in range(16)]
    results: dict[int, np.ndarray] = {}

    def ask(i: int) -> None:
        results[i] = batcher.embed_query(questions[i])

    first = threading.Thread(target=ask, args=(0,))
    first.start()
    assert inner.entered.wait(timeout=30)  # the first call is with the model
    others = [threading.Thread(target=ask, args=(i,)) for i in range(1, 16)]
    for t in others:
        t.start()
    with batcher._cv:  # all fifteen queued while the model was busy
        assert batcher._cv.wait_for(lambda: len(batcher._pending) == 15, timeout=30)
    inner.gate.set()
    for t in [first, *others]:
        t.join(timeout=30)
    assert inner.sizes == [1, 15]
    reference = HashEmbedder()
    for i, q in enumerate(questions):
        assert np.array_equal(results[i], reference.embed_query(q))


def test_a_large_call_goes_alone_and_whole() -> None:
    inner = GatedEmbedder()
    inner.gate.set()
    batcher = BatchingEmbedder(inner, max_texts=4)
    texts = [f"passage {i}" for i in range(10)]
    out = batcher.embed_documents(texts)
    assert out.shape == (10, inner.dim)
    assert np.array_equal(out, HashEmbedder().embed_documents(texts))
    assert batcher.embed_documents([]).shape == (0, inner.dim)


def test_errors_reach_the_caller_and_the_worker_survives() -> None:
    inner = GatedEmbedder()
    inner.gate.set()
    batcher = BatchingEmbedder(inner)
    with pytest.raises(RuntimeError, match="model failed"):
        batcher.embed_query("boom")
    assert batcher.embed_query("fine").shape == (inner.dim,)


def test_reading_dim_and_name_does_not_load_a_lazy_model() -> None:
    from kb.config import Settings
    from kb.embed.minilm import LazyEmbedder

    lazy = LazyEmbedder(Settings().embed)
    batcher = BatchingEmbedder(lazy)
    assert batcher.dim == 384
    assert lazy._model is None


class FirstCallGated(GatedEmbedder):
    """Only the very first call waits at the gate; later ones go straight through."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._first = True

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            first, self._first = self._first, False
        if first:
            self.entered.set()
            self.gate.wait(timeout=30)
        self.sizes.append(len(texts))
        return HashEmbedder.embed_documents(self, texts)


def test_two_workers_run_side_by_side_each_on_its_share_of_cores() -> None:
    inner = FirstCallGated()
    threads: list[tuple[str, int]] = []
    batcher = BatchingEmbedder(
        inner,
        workers=2,
        threads=lambda n: threads.append((threading.current_thread().name, n)),
        cores=4,
    )
    results: dict[int, np.ndarray] = {}

    def ask(i: int) -> None:
        results[i] = batcher.embed_query(f"question {i}")

    first = threading.Thread(target=ask, args=(0,))
    first.start()
    assert inner.entered.wait(timeout=30)  # worker one holds the model, alone: all cores
    second = threading.Thread(target=ask, args=(1,))
    second.start()
    second.join(timeout=30)  # served by worker two while worker one is still busy
    assert not second.is_alive() and 1 in results
    inner.gate.set()
    first.join(timeout=30)
    assert [n for _, n in threads] == [4, 2]
    assert len({name for name, _ in threads}) == 2
    assert batcher.calls == 2
    reference = HashEmbedder()
    assert np.array_equal(results[0], reference.embed_query("question 0"))
    assert np.array_equal(results[1], reference.embed_query("question 1"))


def test_one_worker_leaves_threads_alone() -> None:
    inner = GatedEmbedder()
    inner.gate.set()
    calls: list[int] = []
    batcher = BatchingEmbedder(inner, threads=calls.append, cores=4)
    batcher.embed_query("alone")
    assert calls == []


def test_a_submitted_call_runs_while_the_caller_goes_on() -> None:
    """A search embeds its question on the worker while it queries BM25 itself."""
    from kb.embed.batching import submit_documents

    inner = GatedEmbedder()
    future = submit_documents(BatchingEmbedder(inner), ["a question about neglect"])
    assert inner.entered.wait(10) and not future.done()  # the worker is in the model
    inner.gate.set()
    expected = HashEmbedder().embed_documents(["a question about neglect"])
    assert np.allclose(future.result(timeout=10), expected)


def test_any_other_embedder_is_submitted_as_a_plain_call() -> None:
    from kb.embed.batching import submit_documents

    inner = GatedEmbedder()
    inner.gate.set()
    future = submit_documents(inner, ["boom"])
    assert future.done()
    with pytest.raises(RuntimeError, match="model failed"):
        future.result()
