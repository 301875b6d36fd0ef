"""The dense embedding model's contract, apart from its implementations.

``kb.embed.minilm`` (the real model), ``kb.embed.hashing`` (a deterministic
stand-in for tests) and ``kb.embed.batching`` (a wrapper that batches
concurrent calls) all satisfy ``Embedder``; ``kb.embed.open_embedder`` picks one
from the settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

DIM = 384
# A character range of a text: ingest asks for one vector per sentence span.
Span = tuple[int, int]


class Embedder(Protocol):
    """What kb needs from a dense embedding model."""

    @property
    def dim(self) -> int: ...

    @property
    def name(self) -> str: ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...
