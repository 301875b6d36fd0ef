"""kb.parse.office: DOCX, HTML, TXT and MD through unstructured, and legacy .doc conversion.

The conversion's error paths run against a fake ``soffice`` script
(``tests/fake_bin.py``), so they need no LibreOffice; one test converts for
real when it is installed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from fake_bin import FakeBin, install_fake_bin, posix_only
from kb.errors import ParseError
from kb.parse import parse_file
from kb.parse.office import NO_LIBREOFFICE, convert_doc_to_docx, libreoffice_available
from kb.records import Page

needs_libreoffice = pytest.mark.skipif(
    not libreoffice_available(), reason="LibreOffice not installed (soffice not on PATH)"
)


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeBin:
    """Install shell scripts as the only programs on PATH: fake_bin(name, body)."""
    return install_fake_bin(tmp_path, monkeypatch)


# --------------------------------------------------------------------------- bad input


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


# --------------------------------------------------------------------------- legacy .doc conversion


def test_convert_doc_without_libreoffice_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "review.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)  # OLE2 header
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert not libreoffice_available()
    with pytest.raises(ParseError) as info:
        convert_doc_to_docx(doc, tmp_path / "out")
    assert info.value.path == doc
    assert info.value.reason == NO_LIBREOFFICE
    assert info.value.reason == (
        "legacy .doc needs LibreOffice to convert; install it or convert the file to DOCX"
    )


def test_convert_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="file not found"):
        convert_doc_to_docx(tmp_path / "nope.doc", tmp_path / "out")


FAKE_SOFFICE = """\
echo "$@" > "$KB_TEST_ARGS"
while [ $# -gt 0 ]; do
  case "$1" in
    --outdir) outdir="$2"; shift 2 ;;
    *) last="$1"; shift ;;
  esac
done
name=$(basename "$last")
printf 'PK fake docx' > "$outdir/${name%.*}.docx"
"""


@posix_only
def test_convert_runs_headless_with_a_private_profile(
    tmp_path: Path, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch
) -> None:
    args_file = tmp_path / "args.txt"
    monkeypatch.setenv("KB_TEST_ARGS", str(args_file))
    fake_bin("soffice", FAKE_SOFFICE)
    doc = tmp_path / "Child Q review.doc"
    doc.write_bytes(b"legacy")
    out_dir = tmp_path / "converted"
    stale = out_dir / "Child Q review.docx"
    out_dir.mkdir()
    stale.write_bytes(b"stale")

    result = convert_doc_to_docx(doc, out_dir)

    assert result == stale
    assert result.read_bytes() == b"PK fake docx"
    assert sorted(p.name for p in out_dir.iterdir()) == ["Child Q review.docx"]
    args = args_file.read_text()
    assert "-env:UserInstallation=file:///" in args
    assert "--headless" in args and "--convert-to docx" in args


@posix_only
def test_convert_via_libreoffice_name(
    tmp_path: Path, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KB_TEST_ARGS", str(tmp_path / "args.txt"))
    fake_bin("libreoffice", FAKE_SOFFICE)
    doc = tmp_path / "a.doc"
    doc.write_bytes(b"legacy")
    assert libreoffice_available()
    assert convert_doc_to_docx(doc, tmp_path / "out") == tmp_path / "out" / "a.docx"


@posix_only
def test_convert_without_output_is_a_parse_error(tmp_path: Path, fake_bin: FakeBin) -> None:
    # soffice really does exit 0 having written nothing when it can't read a file.
    fake_bin("soffice", "echo 'Error: source file could not be loaded' >&2\nexit 0")
    doc = tmp_path / "broken.doc"
    doc.write_bytes(b"junk")
    with pytest.raises(ParseError) as info:
        convert_doc_to_docx(doc, tmp_path / "out")
    assert info.value.reason == (
        "LibreOffice could not convert it: Error: source file could not be loaded"
    )
    assert list((tmp_path / "out").iterdir()) == []


@posix_only
def test_convert_timeout_kills_libreoffice_promptly(tmp_path: Path, fake_bin: FakeBin) -> None:
    fake_bin("soffice", "sleep 30")
    doc = tmp_path / "slow.doc"
    doc.write_bytes(b"legacy")
    started = time.monotonic()
    with pytest.raises(ParseError, match=r"^slow\.doc: LibreOffice timed out after 0\.5 s$"):
        convert_doc_to_docx(doc, tmp_path / "out", timeout=0.5)
    assert time.monotonic() - started < 10


@posix_only
def test_legacy_doc_parses_as_its_converted_docx(
    tmp_path: Path, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch
) -> None:
    import docx

    made = docx.Document()
    made.add_heading("Child V Review", level=1)
    made.add_paragraph("The school nurse was not told that the family had moved house.")
    converted = tmp_path / "converted.docx"
    made.save(str(converted))
    monkeypatch.setenv("KB_TEST_ARGS", str(tmp_path / "args.txt"))
    fake_bin("soffice", FAKE_SOFFICE.replace("printf 'PK fake docx' >", f"cp '{converted}'"))
    doc = tmp_path / "child-v.doc"
    doc.write_bytes(b"legacy")

    raw = parse_file(doc)

    assert [h.text for h in raw.pages[0].headings] == ["Child V Review"]
    assert "family had moved house" in raw.pages[0].text
    (tmp_path / "converted.docx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ParseError, match=r"^child-v\.doc: unreadable DOCX"):
        parse_file(doc)


@needs_libreoffice
@pytest.mark.slow
def test_convert_with_real_libreoffice(tmp_path: Path) -> None:
    # LibreOffice reads plain text too; a real .doc can't be made without it.
    source = tmp_path / "note.txt"
    source.write_text("The practitioner did not see the child alone.\n")
    result = convert_doc_to_docx(source, tmp_path / "out")
    assert result == tmp_path / "out" / "note.docx"
    assert result.read_bytes()[:2] == b"PK"  # DOCX is a zip
    assert os.path.getsize(result) > 0
