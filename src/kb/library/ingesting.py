"""The ingest job as the library wires it: describer, theme tagger, OCR and corrections.

Everything is imported where it is used: a question (``kb search``, the app)
never needs the parsers or the ingest job, and they cost a cold start ~0.5 s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb.config import Settings
from kb.embed.contract import Embedder
from kb.ingest import overrides
from kb.store.contract import Store

if TYPE_CHECKING:
    from kb.ingest.run import Ingestor
    from kb.parse import OcrFunc


def ingestor_for(settings: Settings, store: Store, embedder: Embedder) -> Ingestor:
    """An ``Ingestor`` writing to ``store``, each part with its own settings."""
    from kb.describe.document import describe
    from kb.enrich.themes import tagger_for
    from kb.ingest.run import Ingestor

    return Ingestor(
        store,
        embedder,
        settings.ingest,
        settings.parse,
        describe=describe,
        tagger=tagger_for(settings.ingest, embedder),
        ocr=ocr_for(settings),
        overrides=overrides.load(settings.store.store_dir),
    )


def ocr_for(settings: Settings) -> OcrFunc | None:
    """tesseract for image-only pages, when enabled and installed."""
    from kb.parse import ocr_pdf_page, tesseract_available

    return ocr_pdf_page if settings.parse.ocr and tesseract_available() else None
