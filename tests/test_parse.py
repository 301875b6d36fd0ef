"""kb.parse.pdf on generated files: page numbers, headings, and one-line errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MakePdf, write_bad_files
from kb.errors import ParseError
from kb.parse.pdf import file_sha256, parse_file
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


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read"):
        parse_file(tmp_path / "missing.pdf")


@pytest.mark.parametrize(("name", "reason"), [("notes.odt", ".odt"), ("README", "(none)")])
def test_unsupported_suffix(tmp_path: Path, name: str, reason: str) -> None:
    path = tmp_path / name
    path.write_text("Some text that would otherwise be readable.")
    with pytest.raises(ParseError, match="unsupported file type") as info:
        parse_file(path)
    assert reason in info.value.reason


def test_corrupt_docx(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(ParseError, match=r"^broken\.docx: unreadable DOCX") as info:
        parse_file(path)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- other formats


def _assert_heading_offsets(page: Page) -> None:
    for h in page.headings:
        assert page.text[h.offset : h.offset + len(h.text)] == h.text


def test_docx_keeps_headings(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("Child W Review", level=1)
    d.add_paragraph("This review considers how agencies worked with Child W and her family.")
    d.add_heading("Findings", level=2)
    d.add_paragraph("Agencies did not share information about the risk posed by the father.")
    d.add_heading("Recommendations", level=2)
    d.add_paragraph("The partnership should audit referrals to children's social care.")
    path = tmp_path / "child-w.docx"
    d.save(str(path))

    raw = parse_file(path)
    assert len(raw.pages) == 1
    page = raw.pages[0]
    assert [(h.level, h.text) for h in page.headings] == [
        (1, "Child W Review"),
        (2, "Findings"),
        (2, "Recommendations"),
    ]
    assert "risk posed by the father" in page.text
    assert raw.info["Title"] == "Child W Review"
    _assert_heading_offsets(page)


def test_html_keeps_headings(tmp_path: Path) -> None:
    path = tmp_path / "child-r.html"
    path.write_text(
        "<html><head><title>Child R</title></head><body>"
        "<h1>Child R Review</h1>"
        "<p>This review considers the circumstances of Child R and the agencies involved.</p>"
        "<h2>Learning</h2>"
        "<p>Professionals should be curious about the adults living in the household.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    raw = parse_file(path)
    page = raw.pages[0]
    assert [(h.level, h.text) for h in page.headings] == [(1, "Child R Review"), (2, "Learning")]
    assert "curious about the adults" in page.text
    _assert_heading_offsets(page)


def test_txt_parses(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(
        "Child S review\n\n"
        "The health visitor saw the baby twice. Concerns were not escalated.\n\n"
        "Schools noticed the bruising but did not refer.\n",
        encoding="utf-8",
    )
    raw = parse_file(path)
    text = "\n".join(p.text for p in raw.pages)
    assert "Concerns were not escalated." in text
    assert "Schools noticed the bruising but did not refer." in text
    assert raw.pages[0].number == 1


def test_md_parses_with_headings(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text(
        "# Child T review\n\n"
        "The health visitor saw the baby twice.\n\n"
        "## Findings\n\n"
        "Schools noticed bruising but did not refer.\n",
        encoding="utf-8",
    )
    raw = parse_file(path)
    page = raw.pages[0]
    assert "Schools noticed bruising but did not refer." in page.text
    assert [h.text for h in page.headings] == ["Child T review", "Findings"]
    _assert_heading_offsets(page)


def test_file_sha256_is_content_hash(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    a.write_bytes(b"same bytes")
    b.write_bytes(b"same bytes")
    c.write_bytes(b"other bytes")
    assert file_sha256(a) == file_sha256(b) != file_sha256(c)
    assert len(file_sha256(a)) == 64
