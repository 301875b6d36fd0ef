"""A real Library over the fictional sample corpus, with the hashing embedder.

The taxonomy is the repository's, but its calibration is replaced by one that
tags every theme at level 1 (the keyword rule alone): the hashing embedder's
similarities mean nothing, so this keeps the tests about filtering and counting
rather than about the measured levels, which bench/themes.py owns.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kb.config import Settings
from kb.embed.hashing import HashEmbedder
from kb.enrich.taxonomy import load_taxonomy
from kb.enrich.themes import CALIBRATION_NAME, calibration_document
from kb.library import Library
from kb.records import IngestReport

REPO = Path(__file__).resolve().parents[1]
FICTIONAL = REPO / "corpus" / "fictional"
TAXONOMY = REPO / "src" / "kb" / "data" / "taxonomy.yaml"


def keyword_only_taxonomy(folder: Path) -> Path:
    """A copy of the taxonomy with a calibration that ships every theme at level 1."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "taxonomy.yaml"
    shutil.copy(TAXONOMY, target)
    levels = {tid: 1 for tid in load_taxonomy(TAXONOMY).ids}
    (folder / CALIBRATION_NAME).write_text(
        calibration_document(levels, {}, "tests (every theme at level 1)"), encoding="utf-8"
    )
    return target


def fictional_library(root: Path) -> tuple[Library, IngestReport]:
    settings = Settings.of(
        store_dir=root / ".kb",
        ocr=False,
        parse_timeout=0,  # parse in-process: the worker's isolation is not under test here
        taxonomy_path=keyword_only_taxonomy(root / "taxonomy"),
    )
    library = Library(settings, embedder=HashEmbedder())
    report = library.ingest([FICTIONAL])
    return library, report
