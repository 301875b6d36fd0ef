"""Integration test over the real published documents in ../shared/corpus/real.

The corpus is ingested once per test run with the real model (the
``real_library`` fixture in conftest). Each fact below was checked by reading
the PDF page it names; the search must bring that page into the top 5.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.real

FACTS = [
    ("How many working days does the local authority have to notify the Child Safeguarding "
     "Practice Review Panel of a serious incident?",
     "Working_together_to_safeguard_children_2023_-_statutory_guidance.pdf", {133, 144}),
    ("What does a day in an unregistered placement cost for a child on a deprivation of "
     "liberty order?", "cco-illegal-childrens-homes.pdf", {8, 16}),
    ("How many London rapid reviews concerned extra-familial harm and how old were the children?",
     "London-Rapid-Reviews-Analysis-Report.pdf", {15}),
    ("When did Ofsted carry out its focused visit to West Northamptonshire children's services?",
     "West_Northamptonshire_Focused_visit_of_local_authority_childrens_services_Apr25.pdf", {1}),
    ("What happens if a child or parent refuses a return home interview after going missing?",
     "missing-protocol-v3.2-Nov22-2.pdf", {13}),
    ("How quickly must the home liaise with the LADO after an allegation against staff?",
     "Safeguarding Policy.docx", {8}),
]


def test_real_corpus_ingested_without_failures(real_ingest_report) -> None:  # type: ignore[no-untyped-def]
    report = real_ingest_report
    assert report.failed == [], [f"{f.path}: {f.reason}" for f in report.failed]
    assert len(report.added) == 23
    assert report.pages >= 1034


@pytest.mark.parametrize(("question", "doc", "pages"), FACTS, ids=[f[1][:24] for f in FACTS])
def test_fact_found_on_its_page(real_library, question: str, doc: str, pages: set[int]) -> None:  # type: ignore[no-untyped-def]
    hits = real_library.search(question, top_k=5)
    found = [(h.document.file, h.chunk.page_start, h.chunk.page_end) for h in hits]
    assert any(f == doc and any(s <= p <= e for p in pages) for f, s, e in found), found


def test_every_chunk_fits_the_model_window(real_library) -> None:  # type: ignore[no-untyped-def]
    store = real_library.store
    too_long = []
    for doc in real_library.documents():
        too_long += [(doc.file, c.index, c.n_tokens) for c in store.chunks_of(doc.doc_id)
                     if c.n_tokens > 256]
    assert too_long == []
