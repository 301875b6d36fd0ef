"""Embedding: the dense model behind a small protocol, plus BM25 sparse vectors.

``open_embedder(settings)`` is the factory: the real model (loaded lazily, its
calls batched across threads) or the hashing stand-in that tests use. With
``KB_QUERY_ENCODER`` auto (ONNX Runtime installed) or onnx, questions are
embedded by ONNX Runtime (``kb.embed.onnx_encoder``), so a search never imports
torch; ingest's passages go to torch or to ONNX Runtime, as ``KB_PASSAGE_ENCODER``
says or the probe measured (``kb.embed.routing``).
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
    from kb.embed.routing import LazyOnnxEmbedder, wants_onnx

    if settings.embedder == "hash":
        inner: Embedder = HashEmbedder()
    elif settings.embedder != "minilm":
        raise ConfigError(f"KB_EMBEDDER must be minilm or hash, not {settings.embedder!r}")
    elif wants_onnx(settings):
        # ONNX Runtime runs each call on its calling thread (one intra-op
        # thread), so a worker per core is what puts both cores to work.
        inner = LazyOnnxEmbedder(settings, fallback=LazyEmbedder(settings))
        cores = model_cores(settings)
        return BatchingEmbedder(inner, workers=max(settings.embed_workers, cores), cores=cores)
    else:
        inner = LazyEmbedder(settings)
    # Concurrent searches (app sessions are threads) share model calls.
    real = settings.embedder == "minilm"
    return BatchingEmbedder(
        inner,
        workers=settings.embed_workers,
        threads=set_model_threads if real else None,
        cores=model_cores(settings),
    )
