"""What parsing produces, and which files it reads.

Every parser returns a ``RawDocument``; the suffix sets say which parser a
file goes to (see ``kb.parse.dispatch``), and discovery uses
``SUPPORTED_SUFFIXES`` to decide which files are documents at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kb.records import Page

PDF_SUFFIXES = frozenset({".pdf"})
UNSTRUCTURED_SUFFIXES = frozenset({".docx", ".html", ".htm", ".txt", ".md", ".markdown"})
LEGACY_SUFFIXES = frozenset({".doc"})
SUPPORTED_SUFFIXES = PDF_SUFFIXES | UNSTRUCTURED_SUFFIXES | LEGACY_SUFFIXES
MIN_TEXT_CHARS = 25  # fewer alphanumerics than this on a page means "no text layer"

# (pdf path, 0-based page index) -> OCR text
OcrFunc = Callable[[Path, int], str]


@dataclass(frozen=True)
class RawDocument:
    """What a parser returns: pages plus whatever metadata the file carried."""

    pages: tuple[Page, ...]
    info: dict[str, str] = field(default_factory=dict)
    raw_texts: tuple[str, ...] = ()  # each page's text before clean-up, for metadata heuristics
    skipped_pages: tuple[int, ...] = ()  # image-only pages left without text
