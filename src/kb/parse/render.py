"""Render a source PDF page to PNG, with a passage's text highlighted.

The stored passage text was cleaned (de-hyphenated, characters normalised,
headers removed), so it is not searched for literally. Instead both the page's
raw text and the passage are reduced to lowercase word sequences, aligned with
``difflib``, and the page characters under matched runs of words are painted
over using pdfium's own text rectangles. Small stray matches ("the", "of")
are ignored; where nothing aligns, the page is shown without marks.

A PDF can declare a page of any size (a 20,000-point page rendered at the
usual scale wants 12 GB), so the image is capped in pixels: the scale is
lowered until the long side is at most ``MAX_SIDE_PX`` and the whole image at
most ``MAX_PIXELS``, and the highlight rectangles use that same scale. The
rendering runs in a ``kb.parse.sandbox`` worker process with a time and a memory
budget, because pdfium is C code fed with files from anywhere. Every failure
is a ``RenderError`` with a one-line message.
"""

from __future__ import annotations

import difflib
import io
import math
import re
from pathlib import Path
from typing import Any

from kb.errors import ParseError, RenderError
from kb.parse.sandbox import ParseGuard
from kb.records import PageImage
from kb.text.display import one_line

DEFAULT_SCALE = 1.6  # 72 dpi * 1.6: readable on a laptop without huge images
MAX_SIDE_PX = 4000  # an A4 page at the default scale is 1,347 px tall
MAX_PIXELS = 12_000_000  # 48 MB per RGBA copy; the overlay pipeline holds about four
RENDER_TIMEOUT_S = 15.0
RENDER_MEMORY_MB = 1024
MIN_RUN_WORDS = 3  # shorter aligned runs are coincidences, not the passage
HIGHLIGHT_RGBA = (255, 214, 0, 90)  # translucent yellow: text stays legible

_WORD = re.compile(r"\w+")


def can_render(path: str | Path) -> bool:
    """True when ``path`` is an existing PDF, the only kind of file we draw pages of."""
    p = Path(path)
    return p.suffix.lower() == ".pdf" and p.is_file()


def matched_ranges(
    page_text: str, passage: str, min_run: int = MIN_RUN_WORDS
) -> list[tuple[int, int]]:
    """Character ranges of ``page_text`` that hold the passage's words, in order."""
    page_words = [(m.start(), m.end(), m.group(0).lower()) for m in _WORD.finditer(page_text)]
    passage_words = [w.lower() for w in _WORD.findall(passage)]
    if not page_words or not passage_words:
        return []
    matcher = difflib.SequenceMatcher(
        None, [w for _, _, w in page_words], passage_words, autojunk=False
    )
    ranges: list[tuple[int, int]] = []
    for block in matcher.get_matching_blocks():
        if block.size < min_run:
            continue
        start = page_words[block.a][0]
        end = page_words[block.a + block.size - 1][1]
        if ranges and start - ranges[-1][1] <= 3:  # join runs split by a hyphen or quote
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    return ranges


# One worker for the process, started on first use; its lock makes renders
# from several app sessions take turns.
_GUARD = ParseGuard(timeout=RENDER_TIMEOUT_S, memory_mb=RENDER_MEMORY_MB)


def capped_scale(width: float, height: float, scale: float = DEFAULT_SCALE) -> float:
    """``scale``, lowered so a ``width`` x ``height`` point page stays within the pixel caps."""
    if not (width > 0 and height > 0 and math.isfinite(width * height)):
        raise ValueError(f"the page has no usable size ({width:g} x {height:g} pt)")
    capped = min(scale, MAX_SIDE_PX / max(width, height), math.sqrt(MAX_PIXELS / (width * height)))
    # The renderer rounds each side up to whole pixels, which can overshoot by one.
    while capped > 0 and _pixels(width, capped) * _pixels(height, capped) > MAX_PIXELS:
        capped *= 0.9999
    return capped


def _pixels(points: float, scale: float) -> int:
    return math.ceil(points * scale)


def render_page(
    path: str | Path, page: int, *, highlight: str = "", scale: float = DEFAULT_SCALE
) -> PageImage:
    """PNG of 1-based ``page`` of the PDF at ``path``, marking ``highlight``'s text.

    Raises RenderError with a one-line reason when the page cannot be shown.
    """
    name = Path(path).name
    try:
        result = _GUARD.call(_render, str(path), page, highlight, scale, path=path)
    except ParseError as exc:  # the worker ran out of time or memory, or died
        raise RenderError(one_line(f"cannot render page {page} of {name}: {exc.reason}")) from None
    if isinstance(result, str):
        raise RenderError(one_line(result))
    assert isinstance(result, PageImage)
    return result


def _render(path: str, page: int, highlight: str, scale: float) -> PageImage | str:
    """``render_page``'s work, in the worker: the image, or a one-line error message."""
    import pypdfium2 as pdfium

    name = Path(path).name
    try:
        pdf = pdfium.PdfDocument(path)
    except (pdfium.PdfiumError, OSError) as exc:
        return f"cannot open {name}: {exc}"
    try:
        n_pages = len(pdf)
        if not 1 <= page <= n_pages:
            return f"{name} has no page {page} (it has {n_pages})"
        pdf_page = pdf[page - 1]
        width, height = pdf_page.get_size()
        scale = capped_scale(width, height, scale)
        image = pdf_page.render(scale=scale).to_pil().convert("RGBA")
        rects = _passage_rects(pdf_page, highlight) if highlight.strip() else []
        if rects:
            image = _paint(image, pdf_page, rects)
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="PNG", optimize=False)
        return PageImage(buf.getvalue(), image.width, image.height, page, n_pages, len(rects))
    except (pdfium.PdfiumError, ValueError) as exc:
        return f"cannot render page {page} of {name}: {exc}"
    finally:
        pdf.close()


def _paint(image: Any, pdf_page: Any, rects: list[tuple[float, float, float, float]]) -> Any:
    from PIL import Image, ImageDraw

    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for x0, y0, x1, y1 in rects:
        ax, ay = _to_pixel(pdf_page, image.size, x0, y0)
        bx, by = _to_pixel(pdf_page, image.size, x1, y1)
        box = (min(ax, bx) - 1, min(ay, by) - 1, max(ax, bx) + 1, max(ay, by) + 1)
        draw.rectangle(box, fill=HIGHLIGHT_RGBA)
    return Image.alpha_composite(image, overlay)


def _to_pixel(pdf_page: Any, size: tuple[int, int], x: float, y: float) -> tuple[int, int]:
    """Where page point (x, y) lands in an image of ``size`` of the whole page.

    pdfium's own mapping, so a crop box, an inherited media box or a /Rotate
    entry moves the marks exactly as it moved the rendered page.
    """
    import ctypes

    import pypdfium2.raw as pdfium_c

    px, py = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDF_PageToDevice(
        pdf_page.raw, 0, 0, size[0], size[1], 0, x, y, ctypes.byref(px), ctypes.byref(py)
    )
    return px.value, py.value


def _passage_rects(pdf_page: object, passage: str) -> list[tuple[float, float, float, float]]:
    textpage = pdf_page.get_textpage()  # type: ignore[attr-defined]
    text = textpage.get_text_range()
    # get_text_range's string indexes chars one-to-one on every page we have
    # seen; if a file ever breaks that, a wrong mark is worse than none.
    if len(text) != textpage.count_chars():
        return []
    rects: list[tuple[float, float, float, float]] = []
    for start, end in matched_ranges(text, passage):
        n = textpage.count_rects(start, end - start)
        rects += [tuple(textpage.get_rect(i)) for i in range(n)]
    return rects
