"""One document's chunking and embedding have a budget (issue 16).

A text layer of 5 MB of one word used to take 689 s after its parse; now it
fails as that file's failure, with a reason, as soon as its text is counted.
A document that takes longer than its seconds to embed fails the same way.
The parse has its own budget (tests/parse), so here it is replaced.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from kb.config import Settings
from kb.embed.hashing import HashEmbedder
from kb.ingest.run import Ingestor
from kb.parse.document import RawDocument
from kb.records import Page
from kb.store.edge import EdgeStore


def _ingestor(tmp_path: Path, text: str, **settings: object) -> tuple[Ingestor, Path]:
    config = Settings.of(store_dir=tmp_path / "store", ocr=False, parse_timeout=0, themes=False,
                         **settings)
    store = EdgeStore(tmp_path / "store", 384)
    ingestor = Ingestor(store, HashEmbedder(), config.ingest, config.parse)
    pages = tuple(Page(n + 1, text[i : i + 50_000]) for n, i in
                  enumerate(range(0, len(text), 50_000)))
    ingestor.guard.parse = lambda path, ocr=None: RawDocument(pages)  # type: ignore[method-assign]
    path = tmp_path / "big.pdf"
    path.write_bytes(b"%PDF-1.4 stand-in: parsing is replaced")
    return ingestor, path


def test_five_megabytes_of_one_word_fail_fast_with_a_reason(tmp_path: Path) -> None:
    ingestor, path = _ingestor(tmp_path, "safeguarding " * 400_000)  # 5.2 MB
    started = time.monotonic()
    report = ingestor.run([path])
    assert time.monotonic() - started < 60
    assert [f.reason for f in report.failed] == [
        "too much text to index: 5,200,000 characters, the limit is 2,000,000 (KB_DOC_MAX_CHARS)"
    ]
    ingestor.store.close()  # type: ignore[union-attr]


def test_too_many_tokens_fail_the_document(tmp_path: Path) -> None:
    ingestor, path = _ingestor(tmp_path, "neglect was seen. " * 2_000, doc_max_tokens=1_000)
    report = ingestor.run([path])
    assert len(report.failed) == 1
    assert report.failed[0].reason.startswith("too much text to index: ")
    assert report.failed[0].reason.endswith("tokens, the limit is 1,000 (KB_DOC_MAX_TOKENS)")
    ingestor.store.close()  # type: ignore[union-attr]


def test_a_document_over_its_seconds_fails_with_a_reason(tmp_path: Path) -> None:
    ingestor, path = _ingestor(tmp_path, "neglect was seen. " * 2_000)
    ingestor.settings = replace(ingestor.settings, doc_budget_s=0.0)
    report = ingestor.run([path])
    assert len(report.failed) == 1
    assert "took over 0 s (KB_DOC_BUDGET_S)" in report.failed[0].reason
    assert ingestor.store.documents() == []  # type: ignore[union-attr]
    ingestor.store.close()  # type: ignore[union-attr]


@pytest.mark.parametrize("length", [2_001, 50_000])
def test_a_question_over_the_cap_is_a_one_line_usage_error(tmp_path: Path, length: int) -> None:
    from kb.errors import UsageError
    from kb.library import Library

    library = Library(Settings.of(store_dir=tmp_path / "store"), embedder=HashEmbedder())
    expected = r"^the question is [\d,]+ characters long; the limit is 2,000"
    with pytest.raises(UsageError, match=expected):
        library.search("q" * length)


def _one_word_pdf(path: Path, text_bytes: int = 5_000_000) -> Path:
    """A PDF whose text layer is ``text_bytes`` of one word, ~1,000 pages of it."""
    line = b"(" + b"safeguarding " * 6 + b") Tj T*\n"
    content = b"BT /F1 9 Tf 11 TL 20 770 Td\n" + line * 60 + b"ET"
    n = text_bytes // (len(line) * 60) + 1
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
            3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            4: b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"}
    for i in range(n):
        objs[5 + i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                       b"/Resources << /Font << /F1 3 0 R >> >> >>")
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(n))
    objs[2] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n
    out, offsets = bytearray(b"%PDF-1.4\n"), {}
    for k in sorted(objs):
        offsets[k] = len(out)
        out += b"%d 0 obj\n" % k + objs[k] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % offsets[k] for k in sorted(objs))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def test_a_real_5mb_one_word_pdf_fails_within_its_budget(tmp_path: Path) -> None:
    """The issue's file, end to end through the parse sandbox: it took 689 s."""
    from kb.library import Library

    folder = tmp_path / "in"
    folder.mkdir()
    _one_word_pdf(folder / "one-word.pdf")
    library = Library(Settings.of(store_dir=tmp_path / "store", ocr=False, themes=False),
                      embedder=HashEmbedder())
    started = time.monotonic()
    report = library.ingest([folder])
    assert time.monotonic() - started < 300
    assert [f.reason.split(":")[0] for f in report.failed] == ["too much text to index"]
    library.close()
