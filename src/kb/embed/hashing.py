"""A deterministic bag-of-words hashing embedder, for tests where the model is not the point."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from kb.embed.contract import DIM, Span

_TOKEN = re.compile(r"\w+|[^\w\s]")


class HashEmbedder:
    """Deterministic bag-of-words hashing embedder for tests.

    Texts sharing words get similar vectors, so retrieval tests mean
    something, but no model is loaded.
    """

    name = "hash"

    def __init__(self, dim: int = DIM) -> None:
        self.dim = dim

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in _TOKEN.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = float(np.linalg.norm(v))
        if norm == 0:
            v[0] = 1.0
            return v
        return v / norm

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        own = [
            np.stack([self._vector(t[a:b]) for a, b in sp])
            if sp
            else np.zeros((0, self.dim), dtype=np.float32)
            for t, sp in zip(texts, spans, strict=True)
        ]
        return self.embed_documents(texts), own

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_TOKEN.findall(t)) for t in texts]
