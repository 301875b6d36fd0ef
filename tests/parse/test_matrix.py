"""kb.parse.matrix: a threshold matrix's cells kept apart and labelled with their column."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.parse import parse_file
from kb.parse.matrix import Cell, Columns, cell_marks, has_header
from kb.records import CELL

LEVELS = ("Level 1", "Level 2", "Level 3", "Level 4")
ROWS = (
    (
        "Carer protects their family from danger or significant harm.",
        "Carer on occasion does not protect their family.",
        "Carer frequently neglects their family.",
        "Carer is unable to protect their child from harm.",
    ),
    (
        "Child has injuries consistent with normal childish play.",
        "Child has occasional, less common injuries consistent with the account given.",
        "Child has injuries more frequent than expected for their age.",
        "Any suspicious injury in a pre-mobile or non-mobile child must be referred.",
    ),
)
MORE = (
    (
        "Carer does not physically harm their child.",
        "Carer uses physical chastisement without injury.",
        "Carer uses physical assault causing injury.",
        "Carer uses an implement causing significant harm.",
    ),
)
AFTER = (
    "Practitioners should discuss any concern with their designated safeguarding lead "
    "before deciding on the level of need, and record the reasons for the decision taken."
)


def write_matrix(path: Path) -> Path:
    """Two pages: a titled matrix, then its last row without a header and prose below."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_font("helvetica", size=9)
    pdf.add_page()
    pdf.multi_cell(0, 6, "Introduction to the levels of need used across the partnership.")
    pdf.ln(4)
    pdf.set_font("helvetica", style="B", size=10)
    pdf.cell(0, 8, "ABUSE AND NEGLECT", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=9)
    with pdf.table(col_widths=(45, 45, 45, 45), text_align="LEFT") as table:
        table.row(LEVELS)
        for cells in ROWS:
            table.row(cells)
    pdf.add_page()
    with pdf.table(
        col_widths=(45, 45, 45, 45), text_align="LEFT", first_row_as_headings=False
    ) as table:
        for cells in MORE:
            table.row(cells)
    pdf.ln(6)
    pdf.multi_cell(0, 6, AFTER)
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def matrix_pages(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = write_matrix(tmp_path_factory.mktemp("matrix") / "thresholds.pdf")
    return parse_file(path).pages


def _cells(page) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    out: dict[str, list[str]] = {}
    for m in page.marks:
        if m.kind == CELL:
            out.setdefault(m.note, []).append(" ".join(page.text[m.start : m.end].split()))
    return out


def test_each_cell_is_marked_with_its_table_and_level(matrix_pages) -> None:  # type: ignore[no-untyped-def]
    cells = _cells(matrix_pages[0])
    assert set(cells) == {f"ABUSE AND NEGLECT: {level}" for level in LEVELS}
    level4 = cells["ABUSE AND NEGLECT: Level 4"]
    assert [c.rstrip(".") for c in level4] == [ROWS[0][3].rstrip("."), ROWS[1][3].rstrip(".")]
    # The title names the section; the header row names nothing.
    assert "ABUSE AND NEGLECT" in [h.text for h in matrix_pages[0].headings]
    assert not any(h.text.startswith("Level 1") for p in matrix_pages for h in p.headings)
    # The introduction above the table is nobody's cell.
    intro = matrix_pages[0].text.index("Introduction")
    assert not any(m.start <= intro < m.end for m in matrix_pages[0].marks if m.kind == CELL)


def test_cells_side_by_side_are_separate_paragraphs(matrix_pages) -> None:  # type: ignore[no-untyped-def]
    for line in matrix_pages[0].text.splitlines():
        # No line holds the words of two cells of a row (each cell's last words).
        owners = [cell for cell in ROWS[1] if " ".join(cell.split()[-3:]) in line]
        assert len(owners) <= 1, line


def test_the_text_changes_only_in_its_whitespace(matrix_pages, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(p.text for p in matrix_pages)
    for cell in (*ROWS[0], *ROWS[1], *MORE[0], AFTER):
        assert " ".join(cell.split()) in " ".join(text.split()), cell


def test_a_table_runs_on_to_the_next_page_until_prose_ends_it(matrix_pages) -> None:  # type: ignore[no-untyped-def]
    page = matrix_pages[1]
    cells = _cells(page)
    assert cells["ABUSE AND NEGLECT: Level 4"] == [MORE[0][3].rstrip(".")]
    after = page.text.index("Practitioners should discuss")
    assert not any(m.start <= after < m.end for m in page.marks if m.kind == CELL)


def test_only_a_row_of_three_or_more_levels_is_a_header() -> None:
    assert has_header("intro\nLevel 1 Level 2 Level 3 Level 4\n")
    assert has_header("Tier 1   Tier 2   Tier 3")
    assert not has_header("Level 1 and Level 2 describe universal needs; Level 3 is targeted.")
    assert not has_header("Level 1 Level 2")


def test_cell_marks_follow_the_laid_out_text() -> None:
    # Layout joins wrapped lines and a hyphenated break; the marks still fit.
    cells = [
        Cell("HEALTH: Level 1", "Child is well and\nhealthy."),
        Cell("HEALTH: Level 2", "Non-\nmobile"),
    ]
    text = "HEALTH\nChild is well and healthy.\n\nNon-mobile baby"
    apart, marks = cell_marks(text, cells)
    assert apart == "HEALTH\nChild is well and healthy.\n\nNon-mobile\nbaby"
    assert [(text[m.start : m.end], m.note) for m in marks] == [
        ("Child is well and healthy", "HEALTH: Level 1"),
        ("Non-mobile", "HEALTH: Level 2"),
    ]
    assert Columns(("Level 1", "Level 2"), (100.0,)).of(150.0) == 1


def test_a_table_title_run_into_the_text_becomes_its_heading() -> None:
    from kb.parse.matrix import title_headings

    text = "Carer uses an implement. ABUSE AND NEGLECT Level 1 Level 2\nChild shows no symptoms."
    cells = [
        Cell("EDUCATION: Level 4", "Carer uses an implement.", "EDUCATION"),
        Cell("ABUSE AND NEGLECT: Level 1", "Child shows no symptoms.", "ABUSE AND NEGLECT"),
    ]
    apart, headings = title_headings(text, cells)
    assert [(h.text, h.level) for h in headings] == [("ABUSE AND NEGLECT", 2)]
    at = headings[0].offset
    assert apart[at - 1] == "\n" and apart[at + len("ABUSE AND NEGLECT")] == "\n"
    assert apart.replace("\n", " ") == text.replace("\n", " ")
    # A title the page does not show (a table carried on from the page before) adds none.
    assert title_headings(cells[1].text, cells[1:]) == (cells[1].text, [])
