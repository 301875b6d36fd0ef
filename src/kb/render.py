"""Render a source PDF page to PNG, with a passage's text highlighted.

The stored passage text was cleaned (de-hyphenated, characters normalised,
headers removed), so it is not searched for literally. Instead both the page's
raw text and the passage are reduced to lowercase word sequences, aligned with
``difflib``, and the page characters under matched runs of words are painted
over using pdfium's own text rectangles. Small stray matches ("the", "of")
are ignored; where nothing aligns, the page is shown without marks.
"""

from __future__ import annotations

import difflib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from kb.errors import KbError

DEFAULT_SCALE = 1.6  # 72 dpi * 1.6: readable on a laptop without huge images
MIN_RUN_WORDS = 3  # shorter aligned runs are coincidences, not the passage
HIGHLIGHT_RGBA = (255, 214, 0, 90)  # translucent yellow: text stays legible

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PageImage:
    png: bytes
    width: int
    height: int
    page: int
    n_pages: int
    highlighted: int  # rectangles painted; 0 when the passage could not be placed


def can_render(path: str | Path) -> bool:
    p = Path(path)
    return p.suffix.lower() == ".pdf" and p.is_file()


def page_count(path: str | Path) -> int:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as exc:
        raise KbError(f"cannot open {Path(path).name}: {exc}") from None
    try:
        return len(pdf)
    finally:
        pdf.close()


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


def render_page(
    path: str | Path, page: int, *, highlight: str = "", scale: float = DEFAULT_SCALE
) -> PageImage:
    """PNG of 1-based ``page`` of the PDF at ``path``, marking ``highlight``'s text."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    try:
        pdf = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as exc:
        raise KbError(f"cannot open {Path(path).name}: {exc}") from None
    try:
        n_pages = len(pdf)
        if not 1 <= page <= n_pages:
            raise KbError(f"{Path(path).name} has no page {page} (it has {n_pages})")
        pdf_page = pdf[page - 1]
        image = pdf_page.render(scale=scale).to_pil().convert("RGBA")
        rects: list[tuple[float, float, float, float]] = []
        if highlight.strip():
            rects = _passage_rects(pdf_page, highlight)
        if rects:
            left, bottom, _, top = pdf_page.get_cropbox()
            overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(overlay)
            for x0, y0, x1, y1 in rects:
                # PDF space has its origin bottom-left; the image's is top-left.
                draw.rectangle(
                    (
                        (x0 - left) * scale - 1,
                        (top - y1) * scale - 1,
                        (x1 - left) * scale + 1,
                        (top - y0) * scale + 1,
                    ),
                    fill=HIGHLIGHT_RGBA,
                )
            image = Image.alpha_composite(image, overlay)
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="PNG", optimize=False)
        return PageImage(buf.getvalue(), image.width, image.height, page, n_pages, len(rects))
    except pdfium.PdfiumError as exc:
        raise KbError(f"cannot render page {page} of {Path(path).name}: {exc}") from None
    finally:
        pdf.close()


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
