"""Issue 13's trust test: no boilerplate or myth in answers and headings.

Over the real corpus, every dev question and "information sharing" (whose
answer the Myth/Fact tables of the information-sharing guidance used to fill);
over the fictional samples (hashing embedder), the title pages and fictional
notices never become answer sentences.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REAL_CORPUS
from fictional_library import fictional_library
from trust_check import known_myths, problems

DEV = REAL_CORPUS.parent.parent / "eval" / "dev_questions.jsonl"


def _questions() -> list[str]:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
    return ["information sharing", *[r["question"] for r in rows]]


@pytest.mark.real
def test_no_marker_contents_or_myth_in_real_answers(real_library) -> None:  # type: ignore[no-untyped-def]
    if not DEV.is_file():
        pytest.skip(f"{DEV} not present")
    store = real_library.store
    myths = known_myths(c for d in real_library.documents() for c in store.chunks_of(d.doc_id))
    assert "consent is needed to share personal information" in myths
    found = [(q, p) for q in _questions() for p in problems(real_library.ask(q), myths)]
    assert found == []


def test_no_title_page_or_notice_in_fictional_answers(tmp_path: Path) -> None:
    library, _ = fictional_library(tmp_path)
    try:
        for q in ("information sharing between agencies", "bruising in non-mobile babies",
                  "what have reviews found about safer sleep"):
            for s in library.ask(q).sentences:
                assert "fictional" not in s.text.lower() and "Published:" not in s.text, s.text
    finally:
        library.close()
