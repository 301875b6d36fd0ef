"""all-MiniLM-L6-v2 on ONNX Runtime: the question path, and ingest's passes, without torch.

``OnnxEmbedder`` runs the cached export of the shipped weights
(``kb.embed.onnx_export``) with the shipped ``tokenizer.json`` and pools like
sentence-transformers: mean over the attended tokens, then L2 normalisation.
Its vectors match the torch encoder's (cosine >= 0.9999, tests/embed), so a
question embedded here is compared with passages embedded by either backend.
``embed_passages`` runs ingest's packed pass (``kb.embed.packing``) on a second
export that takes position ids and segment numbers. Importing it costs ONNX
Runtime and ``tokenizers``, not torch or transformers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb.config import EmbedSettings
from kb.embed.contract import DIM, Span
from kb.embed.onnx_export import ensure_export, model_dir
from kb.embed.packing import pack_rows, pool_row, segment_ids, segments, unit
from kb.embed.precision import cached_choice, check, choose, machine_key
from kb.errors import ConfigError

DEFAULT_MAX_SEQ = 256


class OnnxEmbedder:
    """Embeds texts with an ONNX export of MiniLM: questions, and ingest's packed passes."""

    dim = DIM

    def __init__(
        self,
        settings: EmbedSettings,
        export: Path,
        precision: str = "fp32",
        *,
        passage_threads: int = 1,
    ) -> None:
        from tokenizers import Tokenizer

        folder = model_dir(settings)
        self.precision = precision
        self.name = f"all-MiniLM-L6-v2-onnx-{precision}"
        self.max_seq_length = _max_seq_length(folder)
        self._batch = settings.embed_batch_size
        self._settings = settings
        # One thread per call: a question is ~15 tokens, too little to split
        # across cores, and concurrent callers (one worker per core, see
        # kb.embed.open_embedder) then each get a core instead of sharing a pool.
        self._session = self._open_session(export, settings.threads or 1)
        self._passage_threads = passage_threads
        self._packed: Any = None
        try:
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:  # noqa: BLE001 - tokenizers raises its own untyped errors
            raise ConfigError(f"cannot load the tokenizer in {folder}: {exc}") from None
        tokenizer.no_padding()
        self._counter = Tokenizer.from_str(tokenizer.to_str())
        # What sentence-transformers does: truncate at its max_seq_length (the
        # shipped tokenizer.json says 128, which sentence-transformers overrides).
        tokenizer.enable_truncation(self.max_seq_length)
        self._tokenizer = tokenizer
        self._counter.no_truncation()
        self._cls = _token_id(self._counter, "[CLS]")
        self._sep = _token_id(self._counter, "[SEP]")

    @staticmethod
    def _open_session(export: Path, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        # A spinning pool burns the other engineers' (or requests') CPU between calls.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            return ort.InferenceSession(str(export), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - ORT raises its own untyped errors
            raise ConfigError(f"cannot load the ONNX model {export}: {exc}") from None

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Sorted by length, as sentence-transformers does, so a batch pads little.
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        for first in range(0, len(order), self._batch):
            batch = order[first : first + self._batch]
            out[batch] = self._pooled([ids[i] for i in batch])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Ingest's packed pass (``kb.embed.packing``) on the packed export: the
        same rows and pooling as the torch encoder's, so the same vectors."""
        if len(texts) != len(spans):
            raise ValueError("one list of spans per text")
        session = self._packed_session()
        rows = [segments(text, text_spans) for text, text_spans in zip(texts, spans, strict=True)]
        packed = segment_ids(
            self._counter, texts, rows, cls=self._cls, sep=self._sep, limit=self.max_seq_length - 2
        )
        dense = np.zeros((len(texts), self.dim), dtype=np.float32)
        own: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: -sum(len(s) for s in packed[i]))
        for first in range(0, len(order), self._batch):
            batch = order[first : first + self._batch]
            ids, positions, segment = pack_rows([packed[i] for i in batch])
            feed = {"input_ids": ids, "position_ids": positions, "segment_ids": segment}
            hidden = session.run(None, feed)[0]
            for r, i in enumerate(batch):
                dense[i], own[i] = pool_row(hidden[r], segment[r], rows[i])
        return unit(dense), own

    def _packed_session(self) -> Any:
        """The packed graph, loaded on first use (a search never needs it), with
        every core's thread: ingest's passes are long, and run one at a time."""
        if self._packed is None:
            export = ensure_export(self._settings, "packed")
            self._packed = self._open_session(export, self._passage_threads)
        return self._packed

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encodings = self._counter.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    def _pooled(self, rows: Sequence[Sequence[int]]) -> np.ndarray:
        width = max(len(r) for r in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, row in enumerate(rows):
            ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feed)[0]
        return mean_pool(hidden, mask)


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling and Normalize module, in numpy."""
    weights = mask[:, :, None].astype(np.float32)
    sums = (hidden.astype(np.float32) * weights).sum(axis=1)
    vectors = sums / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def _token_id(tokenizer: Any, token: str) -> int:
    found = tokenizer.token_to_id(token)
    if found is None:
        raise ConfigError(f"the tokenizer has no {token} token")
    return int(found)


def _max_seq_length(folder: Path) -> int:
    """sentence-transformers' window, from the model's sentence_bert_config.json."""
    try:
        config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(config.get("max_seq_length") or DEFAULT_MAX_SEQ)
    except (OSError, ValueError):
        return DEFAULT_MAX_SEQ


def open_onnx(settings: EmbedSettings) -> OnnxEmbedder:
    """The ONNX encoder at the settings' precision; "auto" measures fp32 against
    int8 once per machine (kb.embed.precision) and keeps int8 only if its
    vectors stay within cosine 0.999 of fp32's."""
    from importlib.metadata import version

    from kb.embed.minilm import model_cores

    requested = check(settings.precision)
    cores = model_cores(settings)
    # ONNX has no bf16 export here: a bf16 request (a torch setting) runs fp32.
    if requested != "auto":
        precision = "int8" if requested == "int8" else "fp32"
        export = ensure_export(settings, precision)
        return OnnxEmbedder(settings, export, precision, passage_threads=cores)
    fp32 = OnnxEmbedder(settings, ensure_export(settings, "fp32"), "fp32", passage_threads=cores)
    key = machine_key(f"onnxruntime {version('onnxruntime')}")
    if (cached := cached_choice(settings, key)) is not None and cached["chosen"] == "fp32":
        return fp32
    int8: list[OnnxEmbedder] = []

    def in_int8(texts: Sequence[str]) -> np.ndarray:
        if not int8:
            export = ensure_export(settings, "int8")
            int8.append(OnnxEmbedder(settings, export, "int8", passage_threads=cores))
        return int8[0].embed_documents(texts)

    chosen = choose(settings, key, {"fp32": fp32.embed_documents, "int8": in_int8})
    if chosen == "fp32":
        return fp32
    if int8:
        return int8[0]
    return OnnxEmbedder(settings, ensure_export(settings, "int8"), "int8", passage_threads=cores)
