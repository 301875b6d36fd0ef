"""Questions to ONNX Runtime, passages to torch, behind one ``Embedder``.

``LazyOnnxEmbedder`` sends what a search embeds (``embed_documents``,
``embed_query``, ``count_tokens``) to the ONNX encoder and ingest's packed
passage pass (``embed_passages``) to the torch one, so ``kb search`` and
``kb ask`` never import torch while ``kb ingest`` keeps the packed pass
(docs/benchmarks.md, "Query encoder", says why ingest stays on torch). The
ONNX side is made on first use: the export is built if it is missing, and with
``KB_QUERY_ENCODER=auto`` torch takes over, with a one-line note, if it cannot.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence

import numpy as np

from kb.config import EmbedSettings
from kb.embed.contract import DIM, Embedder, Span
from kb.errors import ConfigError

ENCODERS = ("auto", "onnx", "torch")


def onnx_available() -> bool:
    """Whether ONNX Runtime is installed (checked without importing it)."""
    return importlib.util.find_spec("onnxruntime") is not None


def wants_onnx(settings: EmbedSettings) -> bool:
    """Whether questions go to ONNX Runtime under these settings."""
    if settings.query_encoder not in ENCODERS:
        raise ConfigError(
            f"KB_QUERY_ENCODER must be one of {', '.join(ENCODERS)}, "
            f"not {settings.query_encoder!r}"
        )
    if settings.query_encoder == "auto":
        return onnx_available()
    return settings.query_encoder == "onnx"


class LazyOnnxEmbedder:
    """The ONNX encoder, made on first use; torch's when that cannot be had and
    the settings allow it (``auto``)."""

    dim = DIM

    def __init__(self, settings: EmbedSettings, fallback: Embedder) -> None:
        self._settings = settings
        self._fallback = fallback
        self._model: Embedder | None = None

    @property
    def model(self) -> Embedder:
        if self._model is None:
            self._model = self._open()
        return self._model

    def _open(self) -> Embedder:
        from kb.embed.onnx_encoder import open_onnx

        try:
            return open_onnx(self._settings)
        except (ConfigError, ImportError, OSError) as exc:
            if self._settings.query_encoder != "auto":
                raise ConfigError(f"the ONNX query encoder is unavailable: {exc}") from None
            print(f"kb: ONNX query encoder unavailable ({exc}); using torch", file=sys.stderr)
            return self._fallback

    @property
    def name(self) -> str:
        return self.model.name

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.model.embed_query(text)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.model.count_tokens(texts)

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        return self._fallback.embed_passages(texts, spans)


def summary(settings: EmbedSettings) -> dict[str, str]:
    """What embeds questions and passages, at which precision (``kb stats``),
    read from the settings and the probe's cache without loading a model."""
    if settings.embedder != "minilm":
        return {"questions": settings.embedder, "passages": settings.embedder}
    passages = f"torch {_precision(settings, 'torch')}"
    questions = f"onnx {_precision(settings, 'onnxruntime')}" if wants_onnx(settings) else passages
    return {"questions": questions, "passages": passages}


def _precision(settings: EmbedSettings, runtime: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    from kb.embed.precision import cached_choice, machine_key

    if settings.precision != "auto":
        if runtime == "onnxruntime" and settings.precision != "int8":
            return "fp32"  # there is no bf16 export
        return settings.precision
    try:
        entry = cached_choice(settings, machine_key(f"{runtime} {version(runtime)}"))
    except PackageNotFoundError:
        return "auto (not installed)"
    if entry is None:
        return "auto (not measured on this machine yet)"
    return f"{entry['chosen']} (auto, measured {str(entry.get('measured', ''))[:10]})"
