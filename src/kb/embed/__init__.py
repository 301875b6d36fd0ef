"""Embedding: the dense model behind a small protocol, plus BM25 sparse vectors.

``open_embedder(settings)`` is the factory: the real model (loaded lazily, its
calls batched across threads) or the hashing stand-in that tests use.
"""

from __future__ import annotations

from kb.config import EmbedSettings
from kb.embed.bm25 import Bm25Encoder
from kb.embed.contract import DIM, Embedder, Span
from kb.errors import ConfigError

__all__ = ["DIM", "Bm25Encoder", "Embedder", "Span", "open_embedder"]


def open_embedder(settings: EmbedSettings) -> Embedder:
    """The embedder the settings name, ready for concurrent callers."""
    from kb.embed.batching import BatchingEmbedder
    from kb.embed.hashing import HashEmbedder
    from kb.embed.minilm import LazyEmbedder, model_cores, set_model_threads

    if settings.embedder == "hash":
        inner: Embedder = HashEmbedder()
    elif settings.embedder == "minilm":
        inner = LazyEmbedder(settings)
    else:
        raise ConfigError(f"KB_EMBEDDER must be minilm or hash, not {settings.embedder!r}")
    # Concurrent searches (app sessions are threads) share model calls.
    real = settings.embedder == "minilm"
    return BatchingEmbedder(
        inner,
        workers=settings.embed_workers,
        threads=set_model_threads if real else None,
        cores=model_cores(settings),
    )
