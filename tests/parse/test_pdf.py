"""kb.parse.pdf on generated files: page numbers, headings, and one-line errors for bad PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MakePdf, write_bad_files
from kb.errors import ParseError
from kb.parse import parse_file
from kb.records import Page

ZEBRA = "A zebra-striped blanket lay folded in the empty cot."


def _page_with(pages: tuple[Page, ...], needle: str) -> Page:
    found = [p for p in pages if needle in p.text]
    assert len(found) == 1, f"{needle!r} found on {len(found)} pages"
    return found[0]


# --------------------------------------------------------------------------- PDF


def test_pdf_pages_keep_physical_numbers(make_pdf: MakePdf, review_pages: list[list[str]]) -> None:
    review_pages[2].append(ZEBRA)
    path = make_pdf(
        review_pages, header="Child Q: Local Child Safeguarding Practice Review", page_numbers=True
    )
    raw = parse_file(path)
    assert [p.number for p in raw.pages] == [1, 2, 3]
    assert _page_with(raw.pages, "zebra-striped blanket").number == 3
    assert _page_with(raw.pages, "health visitor saw the baby").number == 2
    # The running header and the "Page N of 3" footer are gone from every page.
    for page in raw.pages:
        assert "Local Child Safeguarding Practice Review" not in page.text
        assert "Page " not in page.text
    # Wrapped lines are joined into running text; headings are recorded.
    assert "circumstances of Child Q, who was seriously harmed" in raw.pages[0].text
    assert [h.text for h in raw.pages[0].headings] == ["1 Introduction", "2 Background"]
    assert [h.text for h in raw.pages[1].headings] == ["3 Findings", "3.1 Information sharing"]
    assert [h.level for h in raw.pages[1].headings] == [1, 2]
    assert raw.skipped_pages == ()


def test_wrapped_paragraphs_become_running_text(make_pdf: MakePdf) -> None:
    long = (
        "The health visitor saw the baby twice in the first month after the birth and "
        "recorded no concerns, although the home was cold and the cot was shared with a dog, "
        "and the mother said that she was managing well with the help of her own mother."
    )
    short = "Police attended a domestic incident in the summer but did not make a referral."
    pages = [
        f"{long}\n\n{short}",
        "The school noticed that the older sister was often late and hungry, and it offered "
        "breakfast club places, but nobody asked why the family had stopped coming.",
        "Children's social care closed the case after one visit because the mother "
        "engaged well, and the father's history was never checked with the police.",
    ]
    # A running footer is recognised from three pages on.
    raw = parse_file(make_pdf(pages, footer="Northshire Safeguarding Children Partnership"))
    assert len(raw.pages) == 3
    # Wrapped lines are joined with single spaces; the paragraph break is kept.
    assert raw.pages[0].text.split("\n") == [long, short]
    assert "nobody asked why the family had stopped coming." in raw.pages[1].text
    assert all("Northshire" not in page.text for page in raw.pages)


def test_blank_page_keeps_later_page_numbers(make_pdf: MakePdf) -> None:
    first = "The review opened with a summary of the family's history and circumstances."
    path = make_pdf([[first], [], [ZEBRA]])
    raw = parse_file(path)
    assert [p.number for p in raw.pages] == [1, 2, 3]
    assert raw.pages[1].text == ""
    assert raw.skipped_pages == (2,)
    assert _page_with(raw.pages, "zebra-striped").number == 3


def test_pdf_metadata_title(make_pdf: MakePdf) -> None:
    path = make_pdf([[ZEBRA, "Another sentence with enough words in it."]], title="Child Q")
    assert parse_file(path).info.get("Title") == "Child Q"


# --------------------------------------------------------------------------- bad input


@pytest.fixture
def bad_files(tmp_path: Path, make_pdf: MakePdf, review_pages: list[list[str]]) -> dict[str, str]:
    good = make_pdf(review_pages, "good.pdf", folder=tmp_path / "src")
    return write_bad_files(tmp_path / "bad", good)


@pytest.mark.parametrize(
    "name", ["empty.pdf", "garbage.pdf", "truncated.pdf", "encrypted.pdf", "scanned.pdf"]
)
def test_bad_pdf_raises_parse_error_with_one_line_reason(
    tmp_path: Path, bad_files: dict[str, str], name: str
) -> None:
    path = tmp_path / "bad" / name
    with pytest.raises(ParseError) as info:
        parse_file(path, ocr=None)
    exc = info.value
    assert exc.path.name == name
    assert bad_files[name] in exc.reason
    assert str(exc) == f"{name}: {exc.reason}"
    assert "\n" not in str(exc)
    assert "Traceback" not in str(exc)


def test_image_only_pdf_mentions_no_text_layer(tmp_path: Path, bad_files: dict[str, str]) -> None:
    with pytest.raises(ParseError, match="no text layer"):
        parse_file(tmp_path / "bad" / "scanned.pdf", ocr=None)


def test_binary_garbage_with_pdf_suffix(tmp_path: Path) -> None:
    path = tmp_path / "noise.pdf"
    path.write_bytes(bytes(range(256)) * 16)
    with pytest.raises(ParseError, match=r"^noise\.pdf: not a PDF"):
        parse_file(path)


def test_pdf_header_followed_by_junk(tmp_path: Path) -> None:
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00junk" * 200)
    with pytest.raises(ParseError, match="corrupt or truncated"):
        parse_file(path)
