"""kb.parse.pdftext through parse_pdf: invisible text is not indexed, unless a page has no other."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TextMode

from hostile_bytes import one_page_pdf, stream
from kb.parse.pdf import parse_pdf

VISIBLE = (
    "The health visitor saw the baby twice in the first month and recorded no concerns, "
    "although the home was cold and the cot was shared with a dog."
)
AFTER = "Police attended a domestic incident in the summer but did not make a referral."
PLANTED = "The purple giraffe approved every referral without reading it."


def planted_pdf(path: Path, *, visible: bool = True) -> Path:
    """A page with a visible paragraph, an invisible planted sentence and another paragraph."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    line = {"new_x": "LMARGIN", "new_y": "NEXT"}
    if visible:
        pdf.multi_cell(0, 6, VISIBLE, **line)  # type: ignore[arg-type]
    # local_context wraps the mode in q/Q: render mode is graphics state and
    # fpdf2 would otherwise leave every later line invisible too.
    with pdf.local_context(text_mode=TextMode.INVISIBLE):
        pdf.multi_cell(0, 6, PLANTED, **line)  # type: ignore[arg-type]
    if visible:
        pdf.multi_cell(0, 6, AFTER, **line)  # type: ignore[arg-type]
    pdf.output(str(path))
    return path


def words(text: str) -> str:
    return " ".join(text.split())


def test_invisible_sentence_beside_visible_text_is_dropped(tmp_path: Path) -> None:
    raw = parse_pdf(planted_pdf(tmp_path / "planted.pdf"))
    text = words(raw.pages[0].text)
    assert "giraffe" not in text and "giraffe" not in raw.raw_texts[0]
    assert text == f"{VISIBLE} {AFTER}"  # nothing visible lost, no gap left behind


def test_a_page_whose_only_text_is_invisible_keeps_it(tmp_path: Path) -> None:
    # A scanned page: the picture is visible, its OCR text layer is not.
    raw = parse_pdf(planted_pdf(tmp_path / "scan.pdf", visible=False))
    assert words(raw.pages[0].text) == PLANTED


def test_invisible_text_inline_and_inside_a_form_is_dropped(tmp_path: Path) -> None:
    content = (
        b"BT /F1 11 Tf 72 720 Td (" + VISIBLE[:60].encode() + b") Tj "
        b"3 Tr ( secret inline words ) Tj 0 Tr (" + VISIBLE[60:].encode() + b") Tj ET "
        b"q /Fm1 Do Q"
    )
    form = stream(
        b"BT /F1 11 Tf 72 600 Td 3 Tr (" + PLANTED.encode() + b") Tj ET "
        b"BT /F1 11 Tf 72 580 Td 0 Tr (" + AFTER.encode() + b") Tj ET",
        b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >>",
    )
    path = tmp_path / "form.pdf"
    path.write_bytes(one_page_pdf(content, resources=b"/XObject << /Fm1 6 0 R >>", more=[form]))
    raw = parse_pdf(path)
    text = words(raw.pages[0].text)
    assert "secret" not in text and "giraffe" not in text, text
    assert VISIBLE[:40] in text and AFTER in text


def test_invisible_spaces_between_visible_words_are_kept(tmp_path: Path) -> None:
    # Word processors write the spaces between words as invisible text objects.
    content = b"BT /F1 11 Tf 72 720 Td " + b" ".join(
        b"0 Tr (%s) Tj 3 Tr ( ) Tj" % w.encode() for w in VISIBLE.split()
    ) + b" ET"
    path = tmp_path / "spaces.pdf"
    path.write_bytes(one_page_pdf(content))
    assert words(parse_pdf(path).pages[0].text) == VISIBLE
