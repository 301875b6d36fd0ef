"""Tag chunks with safeguarding themes and passage kinds at ingest time.

A theme is tagged from two signals, both cheap once the chunk's dense vector exists:

- keyword hits: counted occurrences of the theme's keyword rule from
  ``src/kb/data/taxonomy.yaml`` (``kb.retrieve.glossary.keyword_hits``);
- similarity: the cosine between the chunk's vector and the theme description's
  vector, as a z-score across all themes for that chunk. Safeguarding prose is
  close to every description, so the raw cosine says little; how much closer the
  chunk is to this theme than to the others says more.

Each theme has a strictness level on a fixed ladder (``LADDER``): level 1 is the
taxonomy's keyword rule alone, higher levels ask for more hits or more similarity.
``bench/themes.py`` measures every level against the hand-labelled chunks in
``tests/data/theme_labels.jsonl`` and writes, per theme, the loosest level whose
precision reaches 0.8 to ``src/kb/data/theme_calibration.yaml``; a theme that no level
brings to 0.8 gets level 0 and is not tagged at all. Both files are data: tagging
code never names a theme.

The same pass sets each chunk's ``kind`` (``kb.enrich.kinds.detect_kind``) and its
``role`` and learning items (``kb.enrich.roles.tag_roles``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from kb.config import IngestSettings
from kb.data import existing, read_yaml
from kb.embed.contract import Embedder
from kb.enrich.kinds import detect_kind
from kb.enrich.roles import tag_roles
from kb.enrich.taxonomy import Taxonomy, keyword_hits, load_taxonomy
from kb.errors import ConfigError
from kb.records import Chunk, Document

CALIBRATION_NAME = "theme_calibration.yaml"
TAXONOMY_FILE = "taxonomy.yaml"
CALIBRATION_VERSION = 1
TARGET_PRECISION = 0.8


@dataclass(frozen=True)
class Condition:
    """Tag when hits >= the theme's ``min_hits`` + ``extra_hits`` and z >= ``min_z``."""

    extra_hits: int
    min_z: float = -math.inf


# Strictness levels, loosest first; a level tags when any of its conditions holds.
# Each level tags a subset of what the level before it tags (tests check this), so
# "the loosest level that is precise enough" is well defined. Level 0 (not in the
# tuple) means "do not tag this theme".
LADDER: tuple[tuple[Condition, ...], ...] = (
    (Condition(0),),  # 1: the taxonomy's keyword rule
    (Condition(1), Condition(0, 1.0)),  # 2: one more hit, or clearly closer than most
    (Condition(1, 0.0), Condition(0, 2.0)),  # 3
    (Condition(2, 0.0), Condition(1, 0.5), Condition(0, 2.5)),  # 4
    (Condition(2, 0.0), Condition(1, 1.5)),  # 5
    (Condition(2, 1.0),),  # 6: two more hits and closer than most
)
MAX_LEVEL = len(LADDER)


@dataclass(frozen=True)
class Evidence:
    """What the tagger saw for one chunk: keyword hits and similarity z-score per theme."""

    hits: Mapping[str, int]
    z: Mapping[str, float]


def level_tags(level: int, min_hits: int, hits: int, z: float) -> bool:
    """Whether a theme at strictness ``level`` is tagged given its hits and z-score."""
    if level <= 0 or hits < min_hits:
        return False
    return any(
        hits >= min_hits + c.extra_hits and z >= c.min_z for c in LADDER[min(level, MAX_LEVEL) - 1]
    )


@dataclass(frozen=True)
class Calibration:
    """Strictness level per theme id (0: not shipped), as measured by ``bench/themes.py``."""

    levels: Mapping[str, int]

    def level(self, theme_id: str) -> int:
        return int(self.levels.get(theme_id, 0))

    @property
    def shipped(self) -> tuple[str, ...]:
        return tuple(t for t, lv in self.levels.items() if lv > 0)


def load_calibration(path: Path) -> Calibration:
    data = read_yaml(path)
    if data.get("version") != CALIBRATION_VERSION:
        raise ConfigError(f"{path}: expected a mapping with version: {CALIBRATION_VERSION}")
    themes = data.get("themes")
    if not isinstance(themes, Mapping):
        raise ConfigError(f"{path}: 'themes' must map theme ids to their measured level")
    levels: dict[str, int] = {}
    for theme_id, entry in themes.items():
        level = entry.get("level") if isinstance(entry, Mapping) else entry
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= MAX_LEVEL:
            raise ConfigError(f"{path}: theme {theme_id!r}: level must be 0..{MAX_LEVEL}")
        levels[str(theme_id)] = level
    return Calibration(levels=levels)


class ThemeScorer:
    """Keyword hits and description similarity for chunks; the descriptions are
    embedded once, on first use, so a run with nothing to ingest loads no model."""

    def __init__(self, taxonomy: Taxonomy, embedder: Embedder) -> None:
        self.taxonomy = taxonomy
        self.embedder = embedder
        self._descriptions: np.ndarray | None = None

    @property
    def descriptions(self) -> np.ndarray:
        if self._descriptions is None:
            self._descriptions = self.embedder.embed_documents(
                [t.description for t in self.taxonomy.themes]
            )
        return self._descriptions

    def evidence(self, texts: Sequence[str], vectors: np.ndarray) -> list[Evidence]:
        """Evidence for each text, given the dense vectors the store will hold for them."""
        if not len(texts):
            return []
        sims = np.asarray(vectors, dtype=np.float32) @ self.descriptions.T
        mean = sims.mean(axis=1, keepdims=True)
        std = sims.std(axis=1, keepdims=True)
        z = (sims - mean) / np.where(std > 0, std, 1.0)
        ids = self.taxonomy.ids
        return [
            Evidence(
                hits=keyword_hits(text, self.taxonomy),
                z={tid: float(z[i, j]) for j, tid in enumerate(ids)},
            )
            for i, text in enumerate(texts)
        ]


class ChunkTagger:
    """The ingest hook: sets ``kind`` on every chunk and ``themes`` when a taxonomy is loaded.

    Called by ``Ingestor`` with the dense vectors it has just computed, so nothing
    is embedded twice.
    """

    def __init__(
        self, scorer: ThemeScorer | None = None, calibration: Calibration | None = None
    ) -> None:
        self.scorer = scorer
        self.calibration = calibration or Calibration(levels={})

    def themes_of(self, evidence: Evidence) -> tuple[str, ...]:
        if self.scorer is None:
            return ()
        return tuple(
            t.id
            for t in self.scorer.taxonomy.themes
            if level_tags(
                self.calibration.level(t.id),
                t.min_hits,
                evidence.hits.get(t.id, 0),
                evidence.z.get(t.id, 0.0),
            )
        )

    def __call__(self, document: Document, chunks: list[Chunk], dense: np.ndarray) -> list[Chunk]:
        themed = self.scorer is not None and bool(self.calibration.shipped)
        evidence = (
            self.scorer.evidence([c.text for c in chunks], dense)
            if themed and self.scorer is not None
            else []
        )
        out: list[Chunk] = []
        for i, chunk in enumerate(chunks):
            themes = self.themes_of(evidence[i]) if themed else chunk.themes
            out.append(
                replace(chunk, kind=detect_kind(chunk.text, chunk.heading_path), themes=themes)
            )
        # Roles read the document in order: a passage inherits its section's part.
        return tag_roles(out, document.doc_type)


def build_tagger(taxonomy_path: Path, embedder: Embedder) -> ChunkTagger:
    """The tagger for ``taxonomy_path`` and the ``theme_calibration.yaml`` beside it.

    Either file missing or broken is a ``ConfigError``: a library silently
    stored without themes would only be noticed much later.
    """
    calibration_path = Path(taxonomy_path).with_name(CALIBRATION_NAME)
    taxonomy = load_taxonomy(existing(Path(taxonomy_path), TAXONOMY_FILE))
    calibration = load_calibration(existing(calibration_path, CALIBRATION_NAME))
    return ChunkTagger(ThemeScorer(taxonomy, embedder), calibration)


def tagger_for(settings: IngestSettings, embedder: Embedder) -> ChunkTagger:
    """The ingest's tagger: kinds always; themes from the configured taxonomy
    (kb's own unless ``taxonomy_path`` names another), unless ``themes`` is off."""
    if not settings.themes:
        return ChunkTagger()
    return build_tagger(existing(settings.taxonomy_path, TAXONOMY_FILE), embedder)


def calibration_document(
    levels: Mapping[str, int], measured: Mapping[str, Mapping[str, Any]], source: str
) -> str:
    """The YAML text ``bench/themes.py --write`` saves."""
    body = {
        "version": CALIBRATION_VERSION,
        "themes": {
            tid: {"level": int(levels[tid]), **dict(measured.get(tid, {}))} for tid in levels
        },
    }
    header = (
        "# Strictness level per theme (0: not tagged), measured by bench/themes.py --write\n"
        f"# against {source}: the loosest level of kb.enrich.themes.LADDER whose precision on the\n"
        f"# labels reaches {TARGET_PRECISION}. Regenerate rather than edit by hand.\n"
    )
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
