"""kb.parse.clean on hand-made page texts: ligatures, hyphenation, running margins, spaces."""

from __future__ import annotations

from collections import Counter

import pytest

from kb.parse.clean import (
    SOFT_BREAK,
    clean_pages,
    collapse_spaces,
    join_hyphenation,
    normalise_chars,
    repeated_margins,
    strip_margins,
    vocabulary,
)

# --------------------------------------------------------------------------- characters


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\ufb01rst", "first"),
        ("\ufb02at", "flat"),
        ("o\ufb00er", "offer"),
        ("e\ufb03cient", "efficient"),
        ("ba\ufb04ing", "baffling"),
        ("\ufb05ep", "step"),
        ("\ufb06ep", "step"),
        ("the \ufb01nal o\ufb03cer re\ufb02ected", "the final officer reflected"),
    ],
)
def test_ligatures_are_expanded(raw: str, expected: str) -> None:
    assert normalise_chars(raw) == expected


def test_invisible_characters_dropped_and_odd_spaces_unified() -> None:
    raw = "safe\u00adguarding\u200b lead\u00a0officer\tand\u2009GP\r\nnext\rline"
    assert normalise_chars(raw) == "safeguarding lead officer and GP\nnext\nline"


def test_full_width_letters_folded() -> None:
    assert normalise_chars("\uff23hild \uff31") == "Child Q"


def test_collapse_spaces() -> None:
    assert collapse_spaces("  the   child    was seen  ") == "the child was seen"
    assert collapse_spaces("") == ""


# --------------------------------------------------------------------------- hyphenation


@pytest.mark.parametrize("brk", ["-\n", SOFT_BREAK + "\n", SOFT_BREAK])
def test_word_in_vocabulary_is_joined(brk: str) -> None:
    vocab = Counter({"safeguarding": 3, "safe": 1, "guarding": 1})
    assert join_hyphenation(f"the safe{brk}guarding partnership", vocab) == (
        "the safeguarding partnership"
    )


@pytest.mark.parametrize("brk", ["-\n", SOFT_BREAK + "\n"])
def test_pieces_that_are_not_words_are_joined(brk: str) -> None:
    # "fessional" never occurs on its own, so this is a typesetter's hyphen.
    vocab = Counter({"pro": 2, "the": 5})
    assert join_hyphenation(f"a pro{brk}fessional view", vocab) == "a professional view"
    assert join_hyphenation(f"a pro{brk}fessional view") == "a professional view"


@pytest.mark.parametrize("brk", ["-\n", SOFT_BREAK + "\n"])
def test_compound_of_two_words_keeps_its_hyphen(brk: str) -> None:
    vocab = Counter({"extra": 2, "familial": 1, "harm": 4})
    assert join_hyphenation(f"extra{brk}familial harm", vocab) == "extra-familial harm"


def test_compound_joined_when_document_writes_it_solid() -> None:
    vocab = Counter({"extra": 2, "familial": 1, "extrafamilial": 1})
    assert join_hyphenation("extra-\nfamilial harm", vocab) == "extrafamilial harm"


def test_indented_continuation_is_joined() -> None:
    assert join_hyphenation("the refer-\n   ral was late") == "the referral was late"


def test_hyphen_inside_a_line_is_untouched() -> None:
    text = "a well-being check and a multi-agency meeting"
    assert join_hyphenation(text, Counter({"well": 1, "being": 1})) == text


def test_stray_soft_break_becomes_a_hyphen() -> None:
    assert join_hyphenation("2019" + SOFT_BREAK + "20") == "2019-20"


def test_vocabulary_ignores_fragments_of_broken_words() -> None:
    vocab = vocabulary(["the safe-\nguarding lead", "guarding" + SOFT_BREAK + "\nians met"])
    assert vocab["the"] == 1 and vocab["lead"] == 1
    assert vocab["safe"] == 0 and vocab["guarding"] == 0 and vocab["ians"] == 0


def test_clean_pages_uses_the_whole_document_as_vocabulary() -> None:
    pages = [
        "Risks outside the home are extra-\nfamilial harms.\nThe safe-\nguarding team met.",
        "Safeguarding is everyone's job. The extra help was welcome.",
        "Familial ties were strong. The pro" + SOFT_BREAK + "\r\nfessional was new.",
    ]
    text = "\n".join("\n".join(p) for p in clean_pages(pages))
    assert "extra-familial harms." in text
    assert "The safeguarding team met." in text
    assert "The professional was new." in text
    assert SOFT_BREAK not in text


# --------------------------------------------------------------------------- margins


def _page(n: int, total: int, body: list[str], header: str = "Child Q: Practice Review") -> str:
    return "\n".join([header, *body, f"Page {n} of {total}"])


BODIES = [
    ["The review began in March.", "Agencies were asked for chronologies.", "They all replied."],
    ["Summary", "The baby was seen by the GP at six weeks.", "No concerns were noted then."],
    ["Housing moved the family twice.", "Each move lost records.", "were seen."],
    ["The school noticed the bruise.", "It made a referral the same day.", "Social care visited."],
    ["Police attended the home in June.", "No referral followed.", "The case closed."],
]


def test_running_header_and_numbered_footer_removed() -> None:
    total = len(BODIES)
    pages = [_page(i + 1, total, body) for i, body in enumerate(BODIES)]
    cleaned = clean_pages(pages)
    assert cleaned == BODIES


def test_footer_text_with_varying_digits_is_one_signature() -> None:
    pages = [
        [f"Child Q review {2020 + i} | page {i + 1} of 9", *body] for i, body in enumerate(BODIES)
    ]
    repeated = repeated_margins(pages)
    assert repeated == {"child q review # | page # of #"}
    assert [strip_margins(p, repeated) for p in pages] == BODIES


def test_short_body_lines_are_kept() -> None:
    # "Summary" opens one page and "were seen." ends another: both are body text.
    pages = [_page(i + 1, 5, body) for i, body in enumerate(BODIES)]
    cleaned = clean_pages(pages)
    assert cleaned[1][0] == "Summary"
    assert cleaned[2][-1] == "were seen."


def test_line_repeated_on_too_few_pages_is_kept() -> None:
    bodies = [list(b) for b in BODIES * 2]  # ten pages
    bodies[0].insert(0, "Key findings")
    bodies[5].insert(0, "Key findings")
    pages = [_page(i + 1, 10, b) for i, b in enumerate(bodies)]
    cleaned = clean_pages(pages)
    assert cleaned[0][0] == "Key findings" and cleaned[5][0] == "Key findings"
    assert all("Child Q: Practice Review" not in page for page in cleaned)


def test_repeated_line_in_the_middle_of_pages_is_kept() -> None:
    middle = "The panel agreed."
    pages = [
        ["Top line " + "abcdefgh"[i], "one", "two", "three", middle, "four", "five", "six"]
        for i in range(5)
    ]
    repeated = repeated_margins(pages)
    assert _sig(middle) not in repeated
    assert all(middle in strip_margins(p, repeated) for p in pages)


def _sig(line: str) -> str:
    return line.lower()


@pytest.mark.parametrize("number", ["7", "  12 ", "Page 4", "page 4 of 30", "iv", "3/12"])
def test_bare_page_numbers_removed_even_without_repetition(number: str) -> None:
    lines = ["The child lived with her grandmother.", "She attended school.", number]
    assert strip_margins(lines, set()) == lines[:2]
    assert strip_margins([number, *lines[:2]], set()) == lines[:2]


@pytest.mark.parametrize("line", ["2023", "March 2024", "Civil", "ill", "mix"])
def test_years_and_roman_looking_words_at_page_edges_are_kept(line: str) -> None:
    lines = [line, "The child lived with her grandmother.", "She attended school.", line]
    assert strip_margins(lines, set()) == lines


def test_numbers_inside_body_text_are_kept() -> None:
    lines = [
        "The review met on 12 occasions.",
        "Section 47 enquiries began in 2021.",
        "The family had 3 children.",
        "8",
        "They were aged 2, 5 and 9.",
        "Aged 9 she moved school.",
        "More text follows here.",
    ]
    # "8" is the fourth line of seven, outside the three-line margins: kept.
    assert strip_margins(lines, set()) == lines


def test_fewer_than_three_pages_have_no_running_margins() -> None:
    pages = [["Header", "body one"], ["Header", "body two"]]
    assert repeated_margins(pages) == set()


def test_clean_pages_collapses_spaces_and_drops_blank_lines() -> None:
    raw = ["  The   child\u00a0\u00a0was   seen.  \n\n\t\nBy the   GP. "]
    assert clean_pages(raw) == [["The child was seen.", "By the GP."]]
