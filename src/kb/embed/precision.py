"""Choosing the inference precision by measuring it, once per machine.

A capability flag does not predict speed: on one machine torch reported native
bf16 and bf16 ran at 0.71x fp32 (issue 18). So ``KB_PRECISION=auto`` times each
candidate on a fixed probe at first load and keeps the fastest whose vectors
stay within cosine 0.999 of fp32's (the index's), which rules out int8 by
measurement, not by assumption. The choice is cached in the model cache under
a key of the CPU model and the runtime's version, so a new CPU or a new torch
measures again; ``kb stats`` reads it without loading anything.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kb.config import EmbedSettings
from kb.embed.onnx_export import cache_dir
from kb.errors import ConfigError
from kb.files import atomic_write_text

PRECISIONS = ("auto", "fp32", "bf16", "int8")
MIN_COSINE = 0.999
ROUNDS = 3
PROBE_FILE = "precision.json"
EncodeFunc = Callable[[Sequence[str]], np.ndarray]

# Short questions and passage-length texts, like what each backend embeds.
PROBE_TEXTS = (
    "What did agencies miss about the father's history of violence?",
    "neglect and poor home conditions",
    "How should schools share information with children's social care?",
    "The health visitor saw the baby four times at home and recorded no concerns about "
    "the cot, although the home was cold and the mother said she was struggling. Housing "
    "moved the family to a hostel in another borough, and the new GP practice was not told "
    "of the child protection plan. The school did not know that the older brother had "
    "stopped attending, so no one connected his absence with the pressures at home.",
    "Recommendation 4: the partnership should audit referrals from the police to make sure "
    "that domestic abuse notifications reach the school and the health visitor within a day.",
    "Professional curiosity means asking what life is like for the child, day to day, and "
    "testing what parents say against what practitioners see during home visits.",
) * 2


def check(requested: str) -> str:
    if requested not in PRECISIONS:
        allowed = ", ".join(PRECISIONS)
        raise ConfigError(f"KB_PRECISION must be one of {allowed}, not {requested!r}")
    return requested


def machine_key(runtime: str) -> str:
    """The CPU model plus the runtime (``torch 2.13.0``, ``onnxruntime 1.32.0``)."""
    return f"{cpu_model()} | {runtime}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cached_choice(settings: EmbedSettings, key: str) -> dict[str, Any] | None:
    """The probe's record for this machine and runtime, if it has run."""
    entry = _read(settings).get(key)
    return entry if isinstance(entry, dict) and "chosen" in entry else None


def choose(
    settings: EmbedSettings,
    key: str,
    candidates: Mapping[str, EncodeFunc],
    reference: str = "fp32",
) -> str:
    """The cached choice, else the fastest candidate whose vectors keep cosine
    >= 0.999 to ``candidates[reference]``'s on the probe texts (then cached)."""
    entry = cached_choice(settings, key)
    if entry is not None and entry["chosen"] in candidates:
        return str(entry["chosen"])
    entry = probe(candidates, reference)
    records = _read(settings)
    records[key] = entry
    path = cache_dir(settings) / PROBE_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(records, indent=2, sort_keys=True) + "\n")
    except OSError:
        pass  # a read-only cache: probe again next time rather than fail the search
    return str(entry["chosen"])


def probe(candidates: Mapping[str, EncodeFunc], reference: str = "fp32") -> dict[str, Any]:
    """Time each candidate on the probe texts (rounds interleaved, best round
    kept, so a burst of load elsewhere hits all alike) and compare its vectors
    with the reference candidate's (the index's kind)."""
    texts = list(PROBE_TEXTS)
    expected = candidates[reference](texts)  # also the reference's warm-up
    cosine: dict[str, float] = {}
    for name, encode in candidates.items():
        cosine[name] = float(np.min(np.sum(encode(texts) * expected, axis=1)))
    best = {name: float("inf") for name in candidates}
    for _ in range(ROUNDS):
        for name, encode in candidates.items():
            start = time.perf_counter()
            encode(texts)
            best[name] = min(best[name], time.perf_counter() - start)
    kept = [n for n in candidates if n == reference or cosine[n] >= MIN_COSINE]
    chosen = min(kept, key=lambda n: best[n])
    return {
        "chosen": chosen,
        "seconds": {n: round(s, 4) for n, s in best.items()},
        "min_cosine": {n: round(c, 6) for n, c in cosine.items()},
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _read(settings: EmbedSettings) -> dict[str, Any]:
    path = cache_dir(settings) / PROBE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
