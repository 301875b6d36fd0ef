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
