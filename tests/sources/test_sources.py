"""End to end for the sources work: fetched publications and scanned pages
become searchable, with the manifest's metadata and the right page numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from govuk_stub import GovukStub, sample_pdf
from kb.config import Settings
from kb.embed.hashing import HashEmbedder
from kb.library import Library
from kb.parse import tesseract_available

SENTENCE = "The heron protocol was reviewed by the night duty team after the incident."
PAGE = "/government/publications/local-review-child-h"
ASSET = "/media/abc123/child-h-review.pdf"


def test_fetch_then_ingest_then_search_finds_the_fetched_text(tmp_path: Path) -> None:
    with GovukStub() as stub:
        stub.add_asset(ASSET, sample_pdf(SENTENCE))
        stub.add_publication(PAGE, "Local child safeguarding practice review: Child H",
                             attachments=[stub.attachment(ASSET, "Child H review")])
        manifest = tmp_path / "manifest.yaml"
        manifest.write_text(
            "publications:\n"
            f"  - path: {PAGE}\n"
            "    title: 'Local child safeguarding practice review: Child H'\n"
            "    publisher: Northshire Safeguarding Children Partnership\n"
            "    year: 2023\n"
            "    doc_type: local_review\n",
            encoding="utf-8",
        )
        settings = Settings.of(store_dir=tmp_path / ".kb", govuk_base=stub.base_url, ocr=False)
        library = Library(settings, embedder=HashEmbedder())
        try:
            first = library.fetch(manifest)
            assert first.downloaded == ("child-h-review.pdf",) and first.exit_code == 0
            again = library.fetch(manifest)
            assert again.downloaded == () and again.unchanged == ("child-h-review.pdf",)

            report = library.ingest([settings.cache_dir])
            assert report.failed == [] and len(report.added) == 1
            hits = library.search("heron protocol night duty team", top_k=3)
        finally:
            library.close()
    top = hits[0]
    assert top.document.file == "child-h-review.pdf"
    assert top.chunk.page_start <= 2 <= top.chunk.page_end  # sample_pdf puts it on page 2
    # The manifest's metadata travelled with the file through the sidecar.
    assert top.document.title == "Local child safeguarding practice review: Child H"
    assert top.document.publisher == "Northshire Safeguarding Children Partnership"
    assert top.document.year == 2023 and top.document.doc_type == "local_review"
    assert top.document.source_url == f"https://www.gov.uk{PAGE}"


def _scan(path: Path) -> Path:
    """Page 1 typed, page 2 only a picture of text (as a scanner makes it)."""
    from PIL import Image, ImageDraw, ImageFont

    fonts = sorted(Path("/usr/share/fonts").rglob("DejaVuSans.ttf"))
    font = ImageFont.truetype(str(fonts[0]), 40) if fonts else ImageFont.load_default(size=40)
    lines = ("The rapid review found the baby", "was not seen by the health visitor",
             "after the family moved house.")
    image = Image.new("L", (1600, 60 + 60 * len(lines)), color=255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((40, 30 + 60 * i), line, fill=0, font=font)
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 6, "Cover page of a scanned serious case review about agency working.")
    pdf.add_page()
    pdf.image(image, x=10, y=20, w=190)
    pdf.output(str(path))
    return path


@pytest.mark.skipif(not tesseract_available(),
                    reason="tesseract not installed (apt-get install tesseract-ocr)")
def test_scanned_page_is_ocred_and_found_on_its_page(tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    _scan(folder / "scanned-review.pdf")
    library = Library(Settings.of(store_dir=tmp_path / ".kb", ocr=True), embedder=HashEmbedder())
    try:
        report = library.ingest([folder])
        assert report.failed == [], report.failed
        hits = library.search("baby not seen by the health visitor", top_k=3)
    finally:
        library.close()
    top = hits[0]
    assert top.document.file == "scanned-review.pdf"
    assert top.chunk.page_start <= 2 <= top.chunk.page_end and top.chunk.ocr
    assert "health visitor" in top.chunk.text.lower()
