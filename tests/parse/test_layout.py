"""kb.parse.layout on hand-made lines: headings and their levels, wrapped lines, blocks."""

from __future__ import annotations

import pytest

from kb.parse.layout import heading_level, layout_page, starts_block, typical_line_length
from kb.records import Page

TYPICAL = 78
WRAP_1 = "The review found that professionals did not share information about the"
WRAP_2 = "risks in a timely way, and the family were never seen together at home."


def _heading_texts(page: Page) -> list[tuple[int, str]]:
    return [(h.level, h.text) for h in page.headings]


def _assert_offsets(page: Page) -> None:
    for h in page.headings:
        assert page.text[h.offset : h.offset + len(h.text)] == h.text
        assert h.offset == 0 or page.text[h.offset - 1] == "\n"


# --------------------------------------------------------------------------- heading_level


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("3 Findings", 1),
        ("3. Findings", 1),
        ("3.4 Health visiting", 2),
        ("3.4.1 Missed appointments", 3),
        ("3.4.1.2 Second visit", 4),
    ],
)
def test_numbered_headings_level_follows_the_number(line: str, level: int) -> None:
    assert heading_level(line, "The previous paragraph ended here.", "The next one.", TYPICAL) == (
        level
    )


@pytest.mark.parametrize(
    "line",
    [
        "Working Together With Families",
        "LESSONS LEARNED",
        "Appendix A",
        "Terms of reference",  # short sentence-case line, clearly isolated
    ],
)
def test_unnumbered_headings(line: str) -> None:
    assert heading_level(line, "A paragraph ends.", "Another paragraph starts.", TYPICAL) > 0


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("3.2 The Health Visitor", 2),  # ends in "or", but not with the word "or"
        ("Safeguarding in England", 2),  # ends in "and", but not with the word "and"
        ("Proof", 2),
    ],
)
def test_headings_ending_in_letters_of_a_function_word(line: str, level: int) -> None:
    assert heading_level(line, "A paragraph ends.", "Another paragraph starts.", TYPICAL) == level


@pytest.mark.parametrize(
    ("line", "nxt"),
    [
        ("paragraph.", "Next paragraph starts here."),  # short last line of a paragraph
        ("The child was seen.", "The mother was not."),  # a short sentence
        ("Lessons Learned About", "the way agencies share information."),  # runs on
        ("Working Together With Families", "and carers, agencies should act."),  # runs on
        ("3 Findings", "continued in lower case"),
        ("3.4 the health visitor saw the baby", "Another line."),  # numbered paragraph
        ("Recommendations for the police and", "Partners."),  # ends with "and"
        ("Working With Parents AND", "Carers."),
        ("\u2022 Health Visiting", "Next."),  # a bullet, not a heading
        ("12 345", "Next."),  # no letters
        ("Agencies, Schools,", "Next."),  # trailing comma
    ],
)
def test_body_lines_are_not_headings(line: str, nxt: str) -> None:
    assert heading_level(line, "The previous paragraph ended here.", nxt, TYPICAL) == 0


def test_title_case_line_after_an_unfinished_line_is_not_a_heading() -> None:
    # The previous line is long and has no closing punctuation: this is a wrap.
    prev = "The partnership commissioned an independent reviewer from outside the"
    assert heading_level("Local Authority Area", prev, "It met monthly.", TYPICAL) == 0


def test_very_long_line_is_not_a_heading() -> None:
    line = " ".join(["Word"] * 20)
    assert heading_level(line, None, None, TYPICAL) == 0


def test_typical_line_length() -> None:
    assert typical_line_length([]) == 80
    assert typical_line_length(["short", "x" * 30, "y" * 50, "z" * 70, "w" * 70]) == 70


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("\u2022 A bullet", True),
        ("- A dash bullet", True),
        ("(a) A lettered item", True),
        ("iv) A roman item", True),
        ("2. A numbered paragraph", True),
        ("3.4 A numbered heading", True),
        ("An ordinary line", False),
        ("-5 degrees", False),
    ],
)
def test_starts_block(line: str, expected: bool) -> None:
    assert starts_block(line) is expected


# --------------------------------------------------------------------------- layout_page


def test_layout_joins_wrapped_lines_and_records_headings() -> None:
    lines = [
        "3 Findings",
        WRAP_1,
        WRAP_2,
        "3.4 Health visiting",
        "The health visitor saw the baby twice in the first month after the birth and",
        "noted no concerns about the home conditions or the sleeping arrangements.",
        "3.4.1 Missed appointments",
        "Several appointments were missed.",
        "Working Together With Families",
        "Agencies should consider the voice of the child in every assessment that they",
        "undertake, and should record it in the child's own words wherever possible.",
    ]
    page = layout_page(5, lines)
    assert page.number == 5
    assert _heading_texts(page) == [
        (1, "3 Findings"),
        (2, "3.4 Health visiting"),
        (3, "3.4.1 Missed appointments"),
        (2, "Working Together With Families"),
    ]
    assert f"{WRAP_1} {WRAP_2}" in page.text
    assert page.text.split("\n") == [
        "3 Findings",
        f"{WRAP_1} {WRAP_2}",
        "3.4 Health visiting",
        lines[4] + " " + lines[5],
        "3.4.1 Missed appointments",
        "Several appointments were missed.",
        "Working Together With Families",
        lines[9] + " " + lines[10],
    ]
    _assert_offsets(page)


def test_bullets_start_their_own_blocks() -> None:
    lines = [
        "The review panel identified the following areas where practice fell short:",
        "\u2022 information about the father was not shared with the health visitor",
        "\u2022 the school did not follow up when the child stopped attending",
        "(a) the GP practice did not record the injury",
    ]
    page = layout_page(1, lines)
    assert page.text.split("\n") == lines
    assert page.headings == ()


def test_short_last_line_of_a_paragraph_is_not_a_heading() -> None:
    lines = [
        "The health visitor saw the baby twice in the first month after the birth and",
        "noted no concerns about the home conditions or the sleeping arrangements of the",
        "family home.",
        "Later that year the family moved to another area and the records were lost.",
    ]
    page = layout_page(1, lines)
    assert page.headings == ()
    assert page.text.split("\n") == [" ".join(lines[:3]), lines[3]]


def test_title_case_line_followed_by_lowercase_is_joined_not_a_heading() -> None:
    lines = [
        "The partnership met.",
        "Lessons Learned From Practice",
        "across the partnership were shared with all agencies in the autumn.",
    ]
    page = layout_page(1, lines)
    assert page.headings == ()
    assert "Lessons Learned From Practice across the partnership" in page.text


def test_heading_offsets_point_at_heading_text_mid_page() -> None:
    lines = [
        "The review was commissioned in March and reported to the partnership in the",
        "autumn, after every agency had submitted a chronology of its involvement.",
        "Background",
        "The family had lived in the area for many years before the incident.",
        "2.1 The Family",
        "Child Q lived with his mother, his older sister and a lodger.",
    ]
    page = layout_page(2, lines)
    assert _heading_texts(page) == [(2, "Background"), (2, "2.1 The Family")]
    assert page.headings[0].offset > 0
    _assert_offsets(page)


def test_ocr_flag_is_carried() -> None:
    assert layout_page(1, ["Some text."], ocr=True).ocr is True
    assert layout_page(1, []).text == ""
