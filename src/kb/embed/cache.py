"""A memo of sentence vectors, so related questions do not re-embed the same sentences."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

# Texts in, one L2-normalised row per text out (``Embedder.embed_documents``).
EmbedFunc = Callable[[Sequence[str]], np.ndarray]


class EmbedCache:
    """Memoises sentence vectors: the same passages come back for related
    questions, and re-embedding them would dominate a warm answer's time."""

    def __init__(self, embed: EmbedFunc, size: int = 8192) -> None:
        self._embed = embed
        self._size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the app serves sessions from threads

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            fresh = self._embed(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._vectors[text] = vector
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        with self._lock:
            rows = []
            for t in texts:
                vector = self._vectors.get(t)
                if vector is None:  # evicted by a concurrent call: embed it alone
                    vector = self._embed([t])[0]
                else:
                    self._vectors.move_to_end(t)
                rows.append(vector)
        return np.vstack(rows).astype(np.float32)

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Remember vectors computed elsewhere (the store's sentence vectors)."""
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._vectors[text] = np.asarray(vector, dtype=np.float32)
                self._vectors.move_to_end(text)
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)
