"""Questions to ONNX Runtime, passages to the faster backend, behind one ``Embedder``.

``LazyOnnxEmbedder`` sends what a search embeds (``embed_documents``,
``embed_query``, ``count_tokens``) to the ONNX encoder, so ``kb search`` and
``kb ask`` never import torch. Ingest's packed passage pass (``embed_passages``)
goes to torch or to ONNX's packed export, both giving the same vectors: with
``KB_PASSAGE_ENCODER=auto``, to whichever the probe (``kb.embed.precision``)
measured faster on this machine. Which one wins depends on the CPU: where
torch's bf16 is native it is ~3x fp32; where it is emulated, ONNX fp32 is the
faster (docs/benchmarks.md). The ONNX side is made on first use: the export is
built if it is missing, and with ``KB_QUERY_ENCODER=auto`` torch takes over,
with a one-line note, if it cannot.
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
            f"KB_QUERY_ENCODER must be one of {', '.join(ENCODERS)}, not {settings.query_encoder!r}"
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
        self._passage_model: Embedder | None = None

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
        if self._passage_model is None:
            self._passage_model = self._passages()
        return self._passage_model.embed_passages(texts, spans)

    def _passages(self) -> Embedder:
        """The backend for ingest's packed passes, as the settings ask or as measured."""
        wanted = check_passage_encoder(self._settings)
        if wanted == "torch" or self.model is self._fallback:
            return self._fallback  # no ONNX here: torch it is, whatever was asked
        if wanted == "onnx":
            return self.model
        from kb.embed.precision import choose

        onnx, torch = self.model, self._fallback
        candidates = {
            "torch": lambda texts: torch.embed_passages(texts, whole(texts))[0],
            "onnx": lambda texts: onnx.embed_passages(texts, whole(texts))[0],
        }
        key = passages_key(self._settings)
        chosen = choose(self._settings, key, candidates, reference="torch")
        return onnx if chosen == "onnx" else torch


def check_passage_encoder(settings: EmbedSettings) -> str:
    if settings.passage_encoder not in ENCODERS:
        raise ConfigError(
            f"KB_PASSAGE_ENCODER must be one of {', '.join(ENCODERS)}, "
            f"not {settings.passage_encoder!r}"
        )
    return settings.passage_encoder


def whole(texts: Sequence[str]) -> list[list[Span]]:
    """Each probe text as one sentence span: a packed row of one segment."""
    return [[(0, len(t))] for t in texts]


def passages_key(settings: EmbedSettings) -> str:
    """The probe's key for the passage backend: the CPU, both runtimes, and
    torch's precision setting (its candidate runs at the precision it chose)."""
    from importlib.metadata import version

    from kb.embed.precision import machine_key

    runtimes = f"torch {version('torch')}, onnxruntime {version('onnxruntime')}"
    return machine_key(f"passages: {runtimes}, torch precision {settings.precision}")


def summary(settings: EmbedSettings) -> dict[str, str]:
    """What embeds questions and passages, at which precision (``kb stats``),
    read from the settings and the probe's cache without loading a model."""
    if settings.embedder != "minilm":
        return {"questions": settings.embedder, "passages": settings.embedder}
    torch = f"torch {_precision(settings, 'torch')}"
    if not wants_onnx(settings):
        return {"questions": torch, "passages": torch}
    questions = f"onnx {_precision(settings, 'onnxruntime')}"
    return {"questions": questions, "passages": _passage_backend(settings, torch)}


def _passage_backend(settings: EmbedSettings, torch: str) -> str:
    from importlib.metadata import PackageNotFoundError

    from kb.embed.precision import cached_choice

    wanted = check_passage_encoder(settings)
    if wanted == "onnx":
        return "onnx fp32 (packed)"
    if wanted == "torch":
        return torch
    try:
        entry = cached_choice(settings, passages_key(settings))
    except PackageNotFoundError:
        return torch
    if entry is None:
        return "auto (torch or onnx fp32, not measured on this machine yet)"
    chosen = "onnx fp32 (packed)" if entry["chosen"] == "onnx" else torch
    return f"{chosen}, auto, measured {str(entry.get('measured', ''))[:10]}"


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
