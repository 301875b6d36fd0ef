"""Tests for kb.parse.ocr: detecting pages without a text layer, and OCR.

The PDFs are generated here: page 1 has a real text layer, page 2 is only a
picture of text, like a scanned review. The error paths run against a fake
``tesseract`` script (``tests/fake_bin.py``), so they need no tesseract.
"""

from __future__ import annotations

import glob
import time
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from fake_bin import FakeBin, install_fake_bin, posix_only
from kb.errors import ParseError
from kb.parse.ocr import (
    MAX_RENDER_SIDE_PX,
    needs_ocr,
    ocr_pdf_page,
    tesseract_available,
    tesseract_version,
)

IMAGE_LINES = (
    "Rapid review found the baby was not seen",
    "by the health visitor after the birth.",
    "Agencies did not share information.",
)
TEXT_LAYER = (
    "The local child safeguarding practice review considered how agencies worked together "
    "to protect the child. Professionals did not always share information about the risks "
    "posed by the adults in the household, and the family's engagement was overestimated."
)
FONT_PATTERNS = (
    "/usr/share/fonts/**/DejaVuSans.ttf",
    "/usr/share/fonts/**/LiberationSans-Regular.ttf",
    "/usr/share/fonts/**/*Sans*.ttf",
)

needs_tesseract = pytest.mark.skipif(
    not tesseract_available(), reason="tesseract not installed (apt-get install tesseract-ocr)"
)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for pattern in FONT_PATTERNS:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return ImageFont.truetype(found[0], size)
    return ImageFont.load_default(size=size)


def _text_image(lines: tuple[str, ...], size: int = 40) -> Image.Image:
    font = _font(size)
    line_height = int(size * 1.5)
    image = Image.new("L", (1600, 60 + line_height * len(lines)), color=255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((40, 30 + i * line_height), line, fill=0, font=font)
    return image


def _page_text(pdf_path: Path, index: int) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return str(pdf[index].get_textpage().get_text_range())
    finally:
        pdf.close()


@pytest.fixture(scope="module")
def scanned_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two A4 pages: 1 with a text layer, 2 with the same kind of text only as an image."""
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 6, TEXT_LAYER)
    pdf.add_page()
    pdf.image(_text_image(IMAGE_LINES), x=10, y=20, w=190)
    path = tmp_path_factory.mktemp("ocr") / "scanned.pdf"
    pdf.output(str(path))
    return path


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeBin:
    """Install shell scripts as the only programs on PATH: fake_bin(name, body)."""
    return install_fake_bin(tmp_path, monkeypatch)


# --- needs_ocr ------------------------------------------------------------------------------


def test_needs_ocr_on_the_generated_pdf(scanned_pdf: Path) -> None:
    assert not needs_ocr(_page_text(scanned_pdf, 0))
    assert needs_ocr(_page_text(scanned_pdf, 1))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n\t ",
        "Page 7",  # a running footer alone is not a text layer
        "(cid:3)(cid:17)(cid:42)(cid:8) " * 30,
        "\ufffd\ufffd \ufffd\ufffd\ufffd " * 40 + "Serious case review",
        "\uf0b7\uf0a7\ue001 " * 40 + "The child was seen.",
        "!\"#$ %&'() *+,-./ :;<=>? @[]^_ ~{|}` " * 10 + "abc def",
        "\x01\x02\x03\x04\x05\x06 " * 40,
    ],
)
def test_needs_ocr_for_empty_short_or_garbage_text(text: str) -> None:
    assert needs_ocr(text)


@pytest.mark.parametrize(
    "text",
    [
        TEXT_LAYER,
        "Learning from the review: agencies should share information earlier.",
        # Mostly figures is still a real text layer.
        "Referrals 2022-23: 1,234; 2023-24: 1,456; re-referrals 22% (2022-23) and 19% (2023-24).",
        "Une revue rapide a constaté que le bébé n'a pas été vu par la visiteuse de santé.",
        TEXT_LAYER + " (cid:3)",  # one unmapped glyph doesn't spoil a page
        # A contents page: dot leaders are layout, not garbage.
        "Contents\nForeword " + "." * 90 + " 4\n1. Introduction " + "." * 85 + " 6\n"
        "2. Learning from the review " + "." * 70 + " 12\nName: " + "_" * 40,
    ],
)
def test_needs_ocr_false_for_real_text(text: str) -> None:
    assert not needs_ocr(text)


def test_needs_ocr_min_chars_threshold() -> None:
    assert needs_ocr("a" * 24)
    assert not needs_ocr("a" * 25)
    assert needs_ocr("Child Q was seen.", min_chars=25)
    assert not needs_ocr("Child Q was seen.", min_chars=5)


# --- OCR with the real tesseract ------------------------------------------------------------


@needs_tesseract
def test_tesseract_version_looks_like_a_version() -> None:
    version = tesseract_version()
    assert version is not None
    assert version[0].isdigit()


@needs_tesseract
@pytest.mark.slow
def test_ocr_reads_the_image_only_page(scanned_pdf: Path) -> None:
    text = ocr_pdf_page(scanned_pdf, 1)
    low = " ".join(text.lower().split())
    for phrase in ("rapid review", "baby", "health visitor", "information"):
        assert phrase in low, f"{phrase!r} not in OCR output {text!r}"
    assert not needs_ocr(text)


@posix_only
def test_ocr_page_out_of_range_is_a_parse_error(scanned_pdf: Path, fake_bin: FakeBin) -> None:
    fake_bin("tesseract", "exit 0")
    with pytest.raises(ParseError, match="page 3: the PDF has 2 pages"):
        ocr_pdf_page(scanned_pdf, 2)


@posix_only
def test_ocr_on_a_non_pdf_is_a_parse_error(tmp_path: Path, fake_bin: FakeBin) -> None:
    fake_bin("tesseract", "exit 0")
    bogus = tmp_path / "bogus.pdf"
    bogus.write_bytes(b"this is not a PDF at all")
    with pytest.raises(ParseError, match="cannot open PDF") as info:
        ocr_pdf_page(bogus, 0)
    assert "\n" not in info.value.reason


@needs_tesseract
def test_ocr_missing_language_data_names_the_package(
    scanned_pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # a tessdata dir with no eng
    with pytest.raises(ParseError, match="tesseract-ocr-eng"):
        ocr_pdf_page(scanned_pdf, 1)


# --- OCR error paths, with fake or missing tesseract -----------------------------------------


def test_missing_tesseract_is_a_parse_error(
    scanned_pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory
    assert not tesseract_available()
    assert tesseract_version() is None
    with pytest.raises(ParseError) as info:
        ocr_pdf_page(scanned_pdf, 1)
    err = info.value
    assert err.path == scanned_pdf
    assert err.reason.startswith("OCR failed on page 2: tesseract is not installed")
    assert "\n" not in err.reason


@posix_only
def test_ocr_pipes_a_grayscale_png_and_returns_stdout(
    scanned_pdf: Path, tmp_path: Path, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch
) -> None:
    captured = tmp_path / "stdin.png"
    monkeypatch.setenv("KB_TEST_CAPTURE", str(captured))
    fake_bin(
        "tesseract",
        '[ "$1 $2" = "stdin stdout" ] || exit 9\n'
        'cat > "$KB_TEST_CAPTURE"\n'
        "printf 'Child Q was seen\\n\\f'",
    )
    assert ocr_pdf_page(scanned_pdf, 1) == "Child Q was seen"
    with Image.open(captured) as image:
        assert image.format == "PNG"
        assert image.mode == "L"
        # A4 at 200 dpi is 1654 x 2339 px.
        assert abs(image.width - 1654) <= 2 and abs(image.height - 2339) <= 2


@posix_only
def test_tesseract_runs_single_threaded_unless_told_otherwise(
    scanned_pdf: Path, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_bin("tesseract", 'cat > /dev/null\necho "threads=$OMP_THREAD_LIMIT"')
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    assert ocr_pdf_page(scanned_pdf, 1) == "threads=1"
    monkeypatch.setenv("OMP_THREAD_LIMIT", "4")
    assert ocr_pdf_page(scanned_pdf, 1) == "threads=4"


@posix_only
def test_huge_page_is_rendered_at_most_max_side(
    tmp_path: Path, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = FPDF(unit="mm", format=(3000, 1500))  # a poster: 23622 px wide at 200 dpi
    pdf.add_page()
    path = tmp_path / "poster.pdf"
    pdf.output(str(path))
    captured = tmp_path / "stdin.png"
    monkeypatch.setenv("KB_TEST_CAPTURE", str(captured))
    fake_bin("tesseract", 'cat > "$KB_TEST_CAPTURE"')
    assert ocr_pdf_page(path, 0) == ""
    with Image.open(captured) as image:
        assert max(image.size) <= MAX_RENDER_SIDE_PX
        assert max(image.size) >= MAX_RENDER_SIDE_PX - 2


@posix_only
def test_tesseract_failure_gives_one_line_reason(scanned_pdf: Path, fake_bin: FakeBin) -> None:
    fake_bin("tesseract", "cat > /dev/null\necho 'Warning: something' >&2\necho 'Boom' >&2\nexit 3")
    with pytest.raises(ParseError) as info:
        ocr_pdf_page(scanned_pdf, 1)
    assert info.value.reason == "OCR failed on page 2: tesseract exited with status 3: Boom"


@posix_only
def test_tesseract_timeout_kills_it_promptly(scanned_pdf: Path, fake_bin: FakeBin) -> None:
    # `sleep` runs as a grandchild holding the pipes; only killing the group returns promptly.
    fake_bin("tesseract", "cat > /dev/null\nsleep 30\necho late")
    started = time.monotonic()
    with pytest.raises(ParseError) as info:
        ocr_pdf_page(scanned_pdf, 1, timeout=0.5)
    assert time.monotonic() - started < 10
    assert info.value.reason == "OCR failed on page 2: tesseract timed out after 0.5 s"
