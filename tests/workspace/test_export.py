"""kb.workspace.export: Markdown, DOCX and CSV exports of a collection, with full references."""

from __future__ import annotations

import csv
import io

import pytest

from broad_answer import broad_answer
from kb.workspace.export import CSV_FIELDS, escape_markdown, file_stem, to_csv, to_docx, to_markdown
from kb.workspace.pinned import Collection, PinnedPassage, pin_finding

HOSTILE = '<script>alert(1)</script> <img src=x onerror=alert(2)> =HYPERLINK("x") *bold* $5'


def passage(n: int, *, text: str = "", url: str = "https://www.gov.uk/x.pdf") -> PinnedPassage:
    return PinnedPassage(
        chunk_id=f"c{n}",
        doc_id="d",
        file="child-q.pdf",
        title=f"Review of Child {n}",
        publisher="Eastmarsh Safeguarding Children Partnership",
        year=2023,
        doc_type="local_review",
        page_start=3 + n,
        page_end=3 + n,
        heading="Information sharing",
        text=text or f"Nobody brought the pieces together, passage {n}.\nA second paragraph.",
        source_url=url,
        question="who shared information?",
        pinned_at="2025-01-01T00:00:00+00:00",
    )


@pytest.fixture
def collection() -> Collection:
    return Collection(
        "Neglect: session 1",
        items=(passage(1), passage(2, url=""), passage(3, text=HOSTILE)),
    )


REFERENCE_PARTS = (
    "Review of Child 1",
    "Eastmarsh Safeguarding Children Partnership",
    "2023",
    "p. 4",
    "Information sharing",
    "https://www.gov.uk/x.pdf",
)


def test_docx_opens_with_python_docx_and_carries_references(collection: Collection) -> None:
    import docx

    document = docx.Document(io.BytesIO(to_docx(collection)))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    for part in REFERENCE_PARTS:
        assert part in text
    assert "child-q.pdf" in text  # passage 2 has no URL: the file is the source
    assert "Nobody brought the pieces together, passage 1." in text
    assert "Information sharing" in cells and "p. 5" in cells
    assert HOSTILE in text  # kept as text, verbatim
    assert document.core_properties.title == "Neglect: session 1"


def test_docx_drops_characters_xml_cannot_hold() -> None:
    import docx

    col = Collection("C", items=(passage(1, text="bad\x00 \x07control\x1f chars"),))
    document = docx.Document(io.BytesIO(to_docx(col)))
    assert "bad control chars" in "\n".join(p.text for p in document.paragraphs)


def test_markdown_has_references_and_escapes_document_text(collection: Collection) -> None:
    md = to_markdown(collection)
    for part in REFERENCE_PARTS:
        assert escape_markdown(part) in md
    assert "<script>" not in md and "\\<script\\>" in md
    assert "\\*bold\\*" in md and "\\$5" in md
    assert md.count("## ") == 4  # three passages and the references
    assert "Content note" in md


def test_csv_has_one_row_per_passage_with_references_and_no_formulas(
    collection: Collection,
) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(collection))))
    assert list(rows[0]) == list(CSV_FIELDS)
    assert len(rows) == 3
    first = rows[0]
    assert first["title"] == "Review of Child 1"
    assert first["publisher"] == "Eastmarsh Safeguarding Children Partnership"
    assert first["year"] == "2023" and first["page_start"] == "4"
    assert first["section"] == "Information sharing"
    assert first["source"] == "https://www.gov.uk/x.pdf"
    assert rows[1]["source"] == "child-q.pdf"
    assert "\n" in first["passage"]  # multi-line text survives quoting
    evil = Collection("E", items=(passage(1, text="=1+2"), passage(2, text="@SUM(A1)")))
    cells = [r["passage"] for r in csv.DictReader(io.StringIO(to_csv(evil)))]
    assert cells == ["'=1+2", "'@SUM(A1)"]


def test_file_stem_is_safe() -> None:
    assert file_stem(Collection("Neglect: session 1")) == "Neglect-session-1"
    assert file_stem(Collection("///")) == "collection"


@pytest.fixture
def with_findings() -> Collection:
    answer = broad_answer()
    shared, school, early = answer.findings
    # Pinned in mixed order: guidance first, a plain passage in between.
    return Collection(
        "Information sharing",
        items=(
            pin_finding(answer, early),
            passage(1),
            pin_finding(answer, shared),
            pin_finding(answer, school),
        ),
    )


def test_markdown_groups_findings_with_their_also_in(with_findings: Collection) -> None:
    md = to_markdown(with_findings)
    order = [
        md.index("## What reviews found"),
        md.index("### 1. Review of Child A"),
        md.index("**Finding:** Agencies did not share what they knew."),
        md.index("- **Also in:**"),
        md.index("Information was not shared between agencies."),
        md.index("### 2. Review of Child A"),
        md.index("## What guidance says"),
        md.index("### 3. Working Together"),
        md.index("## Other pinned passages"),
        md.index("### 4. Review of Child 1"),
        md.index("## References"),
    ]
    assert order == sorted(order)
    assert "Review of Child B, Eastmarsh Safeguarding Children Partnership, 2021, p. 4" in md
    assert "- **Stated in:** 2 document(s)" in md and "- **Stated in:** 1 document(s)" in md
    refs = md[md.index("## References") :].splitlines()[2:6]
    assert [r.split(". ", 1)[1][:20] for r in refs] == [
        "Review of Child A, E",
        "Review of Child A, E",
        "Working Together, Ea",
        "Review of Child 1, E",
    ]


def test_csv_and_docx_carry_the_grouping(with_findings: Collection) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(with_findings))))
    assert [(r["number"], r["group"], r["title"]) for r in rows] == [
        ("1", "What reviews found", "Review of Child A"),
        ("2", "What reviews found", "Review of Child A"),
        ("3", "What guidance says", "Working Together"),
        ("4", "", "Review of Child 1"),
    ]
    assert rows[0]["finding"] == "Agencies did not share what they knew."
    assert rows[0]["also_in"].startswith("\u201cInformation was not shared between agencies.")
    assert rows[2]["also_in"] == "" and rows[3]["finding"] == ""

    import docx

    document = docx.Document(io.BytesIO(to_docx(with_findings)))
    paras = [(p.style.name, p.text) for p in document.paragraphs]
    texts = [t for _, t in paras]
    assert ("Heading 1", "What reviews found") in paras
    assert ("Heading 2", "1. Review of Child A") in paras
    assert "Finding: Agencies did not share what they knew." in texts
    bullets = [t for s, t in paras if s == "List Bullet"]
    assert any(b.startswith("\u201cInformation was not shared") for b in bullets)
    assert texts.index("What reviews found") < texts.index("What guidance says")
    assert texts.index("What guidance says") < texts.index("Other pinned passages")


def test_a_collection_without_findings_exports_as_before(collection: Collection) -> None:
    md = to_markdown(collection)
    assert "## 1. Review of Child 1" in md and "What reviews found" not in md
    rows = list(csv.DictReader(io.StringIO(to_csv(collection))))
    assert [r["number"] for r in rows] == ["1", "2", "3"]
    assert all(r["group"] == r["finding"] == r["also_in"] == "" for r in rows)


def test_a_trainers_note_is_in_every_export(collection: Collection) -> None:
    import docx

    noted = collection.with_note("c2", "Discuss: who held the *whole* picture? =SUM(A1)")
    md = to_markdown(noted)
    assert "- **Note:** Discuss: who held the \\*whole\\* picture? =SUM(A1)" in md
    document = docx.Document(io.BytesIO(to_docx(noted)))
    cells = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    assert ["Note", "Discuss: who held the *whole* picture? =SUM(A1)"] in cells
    rows = list(csv.DictReader(io.StringIO(to_csv(noted))))
    assert [r["note"] for r in rows] == ["", "Discuss: who held the *whole* picture? =SUM(A1)", ""]
    assert to_markdown(collection).count("**Note:**") == 0


def test_a_pinned_finding_from_a_matrix_cell_carries_its_label_in_every_export() -> None:
    import docx

    from kb.answer.model import Answer, Finding, Support
    from kb.records import CELL, Chunk, Document, Hit, Mark

    text = "Any suspicious injury in a pre-mobile or non-mobile child must be referred."
    label = "ABUSE AND NEGLECT: Level 4"
    chunk = Chunk("d", 0, text, 5, 5, marks=(Mark(0, len(text), CELL, label),))
    hit = Hit(chunk, Document("d", "thresholds.pdf", title="Continuum of need"), 1.0)
    finding = Finding(Support(text, 1, 0, len(text)))
    answer = Answer("bruising", (), (hit,), no_match=False, form="broad", findings=(finding,))
    pinned = Collection("Bruising", items=(pin_finding(answer, finding),))
    assert pinned.items[0].context == f"Table cell: {label}"
    assert f"*Table cell: {label}*" in to_markdown(pinned)
    (row,) = csv.DictReader(io.StringIO(to_csv(pinned)))
    assert row["finding"] == text and row["finding_context"] == f"Table cell: {label}"
    document = docx.Document(io.BytesIO(to_docx(pinned)))
    assert f"Finding: {text} (Table cell: {label})" in [p.text for p in document.paragraphs]
