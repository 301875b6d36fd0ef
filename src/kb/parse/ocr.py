"""OCR for image-only PDF pages with tesseract.

This shells out to the ``tesseract`` CLI (Debian: ``tesseract-ocr
tesseract-ocr-eng``) rather than Python bindings, through
``kb.parse.external``. It is optional; when it is missing, or fails, or
hangs, the caller gets a ParseError with a one-line reason instead of a
traceback.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

from kb.errors import ParseError
from kb.parse.document import MIN_TEXT_CHARS
from kb.parse.external import last_line, run_program, shorten

TESSERACT = "tesseract"
TESSERACT_LANG = "eng"
TESSERACT_PSM = 3  # fully automatic page segmentation, no orientation detection
DEFAULT_DPI = 200
MAX_RENDER_SIDE_PX = 5000  # <= 75 MB as RGB; a poster-sized page is scaled down to fit
OCR_TIMEOUT_S = 60.0
VERSION_TIMEOUT_S = 10.0

MIN_LETTER_RATIO = 0.4
MAX_JUNK_RATIO = 0.5

# pdfium writes glyphs it cannot map to Unicode as "(cid:NN)" (or U+FFFD), and
# symbol fonts often land in the Private Use Area: none of that is readable text.
_CID_RE = re.compile(r"\(cid:\d+\)")
_JUNK_CHARS_RE = re.compile("[\ufffd\ue000-\uf8ff\x00-\x08\x0b\x0e-\x1f]")
# Dot leaders ("Foreword ........ 4") would make every contents page look like
# punctuation soup; a run of one symbol counts as a single character.
_LEADER_RE = re.compile(r"([^\w\s]|_)\1{2,}")

NO_TESSERACT = "tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng)"


def tesseract_available() -> bool:
    """True when a ``tesseract`` executable is on PATH."""
    return shutil.which(TESSERACT) is not None


def tesseract_version() -> str | None:
    """The installed tesseract's version (e.g. ``"5.3.0"``), or None if it is absent or broken."""
    exe = shutil.which(TESSERACT)
    if exe is None:
        return None
    try:
        stdout, stderr, code = run_program([exe, "--version"], timeout=VERSION_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if code != 0:
        return None
    # Tesseract 3.x/4.0 printed the banner on stderr, later versions on stdout.
    banner = (stdout or stderr).decode("utf-8", errors="replace")
    match = re.search(r"tesseract\s+v?(\S+)", banner, flags=re.IGNORECASE)
    return match.group(1) if match else None


def needs_ocr(text: str, *, min_chars: int = MIN_TEXT_CHARS) -> bool:
    """True when a page's extracted text is no usable text layer.

    That is: fewer than ``min_chars`` alphanumeric characters, or text that is
    mostly unmapped glyphs (``(cid:NN)``, U+FFFD, private-use or control
    characters), or text in which under 40% of the non-space, non-digit
    characters are letters (broken font encodings come out as punctuation soup).
    Digits and dot leaders are left out of that ratio so a page of figures or a
    contents page is not sent to OCR merely for its layout.
    """
    non_space = sum(not ch.isspace() for ch in text)
    if non_space == 0:
        return True
    junk = sum(len(m) for m in _CID_RE.findall(text))
    readable = _CID_RE.sub(" ", text)
    junk += len(_JUNK_CHARS_RE.findall(readable))
    if junk / non_space > MAX_JUNK_RATIO:
        return True
    readable = _JUNK_CHARS_RE.sub(" ", readable)
    if sum(ch.isalnum() for ch in readable) < min_chars:
        return True
    readable = _LEADER_RE.sub(r"\1", readable)
    letters = sum(ch.isalpha() for ch in readable)
    others = sum(not ch.isspace() and not ch.isdigit() for ch in readable)
    return others > 0 and letters / others < MIN_LETTER_RATIO


def ocr_pdf_page(
    pdf_path: Path,
    page_index: int,
    *,
    dpi: int = DEFAULT_DPI,
    timeout: float = OCR_TIMEOUT_S,
) -> str:
    """OCR one page (0-based ``page_index``) of a PDF with tesseract and return its text.

    The page is rendered at ``dpi`` (scaled down if its long side would exceed
    MAX_RENDER_SIDE_PX), converted to grayscale and piped to tesseract as PNG.
    Matches parse.OcrFunc. Raises ParseError(pdf_path, reason) on any failure;
    reasons name the page 1-based, as people count pages.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    prefix = f"OCR failed on page {page_index + 1}"
    exe = shutil.which(TESSERACT)
    if exe is None:
        raise ParseError(pdf_path, f"{prefix}: {NO_TESSERACT}")
    png = _render_page_png(pdf_path, page_index, dpi=dpi, prefix=prefix)
    cmd = [exe, "stdin", "stdout", "-l", TESSERACT_LANG, "--psm", str(TESSERACT_PSM)]
    # Tesseract's OpenMP threads fight each other: on a 2-CPU machine one thread
    # OCRs a page ~5x faster (1.3 s vs 6.3 s at 200 dpi). A caller's own setting wins.
    env = {**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")}
    try:
        stdout, stderr, code = run_program(cmd, timeout=timeout, stdin=png, env=env)
    except subprocess.TimeoutExpired:
        raise ParseError(pdf_path, f"{prefix}: tesseract timed out after {timeout:g} s") from None
    except OSError as exc:
        raise ParseError(pdf_path, f"{prefix}: cannot run tesseract: {exc}") from None
    if code != 0:
        raise ParseError(pdf_path, f"{prefix}: {_tesseract_failure(code, stderr)}")
    # Tesseract ends each page with a form feed; it is not part of the text.
    return stdout.decode("utf-8", errors="replace").replace("\f", "").strip()


def _render_page_png(pdf_path: Path, page_index: int, *, dpi: int, prefix: str) -> bytes:
    import pypdfium2 as pdfium  # imported here so callers that never OCR don't pay for it

    try:
        pdf = pdfium.PdfDocument(str(pdf_path))
    except pdfium.PdfiumError as exc:
        raise ParseError(pdf_path, shorten(f"{prefix}: cannot open PDF: {exc}")) from None
    try:
        n_pages = len(pdf)
        if not 0 <= page_index < n_pages:
            raise ParseError(pdf_path, f"{prefix}: the PDF has {n_pages} pages")
        page = pdf[page_index]
        try:
            width, height = page.get_size()
            long_side = max(width, height)
            if long_side <= 0:
                raise ParseError(pdf_path, f"{prefix}: page has no size")
            scale = min(dpi / 72, MAX_RENDER_SIDE_PX / long_side)
            bitmap = page.render(scale=scale)
            try:
                image = bitmap.to_pil().convert("L")
            finally:
                bitmap.close()
        finally:
            page.close()
    except pdfium.PdfiumError as exc:
        raise ParseError(pdf_path, shorten(f"{prefix}: cannot render page: {exc}")) from None
    finally:
        pdf.close()
    buf = io.BytesIO()
    # The real resolution goes in the PNG so tesseract needn't guess it.
    effective_dpi = round(scale * 72)
    image.save(buf, format="PNG", dpi=(effective_dpi, effective_dpi))
    return buf.getvalue()


def _tesseract_failure(code: int, stderr: bytes) -> str:
    text = stderr.decode("utf-8", errors="replace")
    if "Failed loading language" in text or "Error opening data file" in text:
        return (
            f"tesseract has no '{TESSERACT_LANG}' language data "
            f"(apt-get install tesseract-ocr-{TESSERACT_LANG})"
        )
    detail = last_line(stderr)
    return shorten(f"tesseract exited with status {code}" + (f": {detail}" if detail else ""))
