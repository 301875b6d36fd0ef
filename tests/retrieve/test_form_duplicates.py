"""kb.retrieve.form (broad or narrow) and kb.retrieve.duplicates.

The last test uploads a duplicate excerpt of a real passage into a copy of the
real corpus's store and checks that the top five sources stay as they were.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import write_pdf
from kb.config import Settings
from kb.library import Library
from kb.records import Chunk, Document
from kb.retrieve.duplicates import collapse
from kb.retrieve.form import BROAD, NARROW, decide, question_form
from kb.store.contract import StoredHit


@pytest.mark.parametrize(
    ("question", "form"),
    [
        ("What have reviews found about safer sleep?", BROAD),
        ("information sharing between agencies", BROAD),
        ("bruising in non-mobile babies", BROAD),
        ("what went wrong with neglect and parental substance use", BROAD),
        ("What are the themes in reviews of adolescent neglect?", BROAD),
        ("Within how many days must a rapid review be completed?", NARROW),
        ("Who chairs the initial child protection conference?", NARROW),
        ("How quickly must a rapid review be done", NARROW),
    ],
)
def test_question_form_reads_the_wording(question: str, form: str) -> None:
    assert question_form(question) == form


def test_an_unmarked_question_is_broad_only_when_its_passages_spread() -> None:
    question = "Why was spending slow to get going in the pathfinder areas?"
    assert question_form(question) is None
    assert decide(question, ["a"] * 5 + ["b"] * 5) == NARROW
    assert decide(question, [f"d{i}" for i in range(10)]) == BROAD


def _stored(doc: str, text: str, page: int, index: int = 0) -> StoredHit:
    document = Document(doc_id=f"id-{doc}", file=f"{doc}.pdf")
    chunk = Chunk(doc_id=document.doc_id, index=index, text=text, page_start=page, page_end=page)
    return StoredHit(chunk=chunk, document=document, score=0.0)


PASSAGE = (
    "Rapid reviews should be submitted to the panel within 15 working days of the "
    "incident. This is a non-statutory requirement and more details can be found in the "
    "panel's practice guidance."
)


def test_a_duplicate_from_another_file_is_shown_once_at_the_best_rank() -> None:
    excerpt = _stored("excerpt", PASSAGE, page=1)
    original = _stored("original", PASSAGE.replace("panel's", "panel\u2019s"), page=144, index=80)
    other = _stored("other", "Notifications should be sent within five working days " * 3, page=2)
    ranked = [(excerpt, 3.0), (other, 2.0), (original, 1.0)]
    kept, also = collapse(ranked, depth=10)
    assert [s.document.file for s, _ in kept] == ["original.pdf", "other.pdf"]
    assert kept[0][1] == 3.0  # the group keeps its best rank
    assert [s.document.file for s in also[original.chunk.chunk_id]] == ["excerpt.pdf"]


def test_passages_of_one_document_are_never_collapsed() -> None:
    a, b = _stored("a", PASSAGE, page=1), _stored("a", PASSAGE, page=2, index=1)
    kept, also = collapse([(a, 1.0), (b, 0.5)], depth=10)
    assert len(kept) == 2 and not also


@pytest.mark.real
def test_an_uploaded_duplicate_excerpt_keeps_the_top_five_sources(  # type: ignore[no-untyped-def]
    real_library, tmp_path: Path
) -> None:
    store_dir = tmp_path / "kb"
    shutil.copytree(real_library.settings.store.store_dir, store_dir)
    library = Library(Settings.of(store_dir=store_dir, ocr=False))
    question = "how quickly must a rapid review be done"
    before = library.ask(question)
    source = next(h for h in before.passages if "15 working days" in h.chunk.text)
    text = source.chunk.text.translate(
        str.maketrans("\u2018\u2019\u201c\u201d\u2013\u2014", "''\"\"--")
    )
    text = text.encode("latin-1", "replace").decode("latin-1")
    (tmp_path / "upload").mkdir()
    pdf = write_pdf(tmp_path / "upload" / "rapid-review-excerpt.pdf", [text])
    library.ingest([pdf])
    after = library.ask(question)
    library.close()
    assert [h.document.file for h in after.passages[:5]] == [
        h.document.file for h in before.passages[:5]
    ]
    assert any(a["doc"] == pdf.name for h in after.passages[:5] for a in h.extra.get("also_in", ()))
