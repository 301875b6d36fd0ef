"""Send a file to the parser for its type: ``parse_file``, the one entry point.

The checks every file gets, whatever its type (a suffix we read, a file that
can be stat'ed, not empty), happen here so each parser's reasons stay about
its own format.
"""

from __future__ import annotations

from pathlib import Path

from kb.errors import ParseError
from kb.parse.document import (
    LEGACY_SUFFIXES,
    PDF_SUFFIXES,
    SUPPORTED_SUFFIXES,
    OcrFunc,
    RawDocument,
)
from kb.parse.office import parse_legacy_doc, parse_with_unstructured
from kb.parse.pdf import parse_pdf


def parse_file(path: Path, *, ocr: OcrFunc | None = None) -> RawDocument:
    """Parse any supported file; raises ParseError with a one-line reason."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ParseError(path, f"unsupported file type {suffix or '(none)'}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ParseError(path, f"cannot read: {exc.strerror or exc}") from None
    if size == 0:
        raise ParseError(path, "empty file (0 bytes)")
    if suffix in PDF_SUFFIXES:
        return parse_pdf(path, ocr=ocr)
    if suffix in LEGACY_SUFFIXES:
        return parse_legacy_doc(path)
    return parse_with_unstructured(path)
