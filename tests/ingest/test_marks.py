"""The boilerplate detectors of kb.ingest.marks, on hand-made pages."""

from __future__ import annotations

from kb.ingest.marks import (
    contents,
    detached_markers,
    footnote_lines,
    footnote_markers,
    heading_label,
    mark_pages,
    references,
    sentence_marks,
    title_page,
)
from kb.records import (
    CONTENTS,
    FOOTNOTE,
    MARKER,
    NOTICE,
    REFERENCE,
    TITLE,
    XREF,
    Heading,
    Page,
)

BODY = "The review found that information about risk was not shared with schools. " * 30


def _texts(page: Page, marks: list, kind: str) -> list[str]:  # type: ignore[type-arg]
    return [page.text[m.start : m.end] for m in marks if m.kind == kind]


def test_a_short_first_page_is_a_title_page() -> None:
    first = Page(
        1, "Baby Willow\nPublished: March 2024 FICTIONAL This document is entirely fictional."
    )
    pages = [first, Page(2, BODY), Page(3, BODY)]
    assert _texts(first, title_page(pages), TITLE) == first.text.split("\n")


def test_a_long_first_page_keeps_its_body_but_not_its_publication_lines() -> None:
    first = Page(1, "Published: March 2024\n" + BODY)
    marks = title_page([first, Page(2, BODY), Page(3, BODY)])
    assert _texts(first, marks, TITLE) == ["Published: March 2024"]


def test_contents_entries_and_their_continuation_page() -> None:
    page = Page(1, "Contents\nWho is this advice for? 7\nUnderstanding safeguarding 7\n"
                   "Why consent is not the basis 10 How to share information 11")
    marks, continues = contents(page, False)
    assert len(_texts(page, marks, CONTENTS)) == 4 and continues
    nxt = Page(2, "Senior leader responsibilities 14\nData Sharing Agreements (DSA) 16")
    marks, continues = contents(nxt, True)
    assert len(marks) == 2 and continues
    body = Page(3, "Within 15 working days the review must be done.\n" + BODY)
    marks, continues = contents(body, True)
    assert marks == [] and not continues


def test_dotted_leaders_are_contents_anywhere_but_a_number_alone_is_not() -> None:
    page = Page(5, "Sharing information ............ 15\nThe panel met 12 times in 2023 and saw 14")
    marks, _ = contents(page, False)
    assert _texts(page, marks, CONTENTS) == ["Sharing information ............ 15"]


def test_footnote_markers_are_digits_glued_to_words() -> None:
    page = Page(1, "agencies12 share. Child criminal exploitation (CCE)13 rises. "
                   "A Year 10 pupil, PE1 and COVID-19 in 2023 are not markers; guidance235.")
    assert _texts(page, footnote_markers(page), MARKER) == ["12", "13", "235"]


def test_footnote_markers_after_a_closing_quote() -> None:
    page = Page(1, "guidance ‘Use and share information with confidence.’18 How the Act "
                   "applies; the 'duty of care'7 and “harm”97 too, but not a '90s list "
                   "or Rule '5' 10 times.")
    assert _texts(page, footnote_markers(page), MARKER) == ["18", "7", "97"]


def test_a_footnote_number_set_apart_between_sentences_is_a_marker_in_sequence() -> None:
    page = Page(56, "other support and services. 17 \u201cWhat we have noticed through the "
                    "multi-agency working is that our number has reduced. 3 Reviews found "
                    "more. In 2023. 40 Local areas took part.\n12 Heading at a line start")
    # 17 follows footnote 16; 3 is not in sequence with any; 40 neither; a line
    # start is a heading's place, not a marker's.
    assert _texts(page, detached_markers(page, {"15", "16"}), MARKER) == ["17"]
    assert _texts(page, detached_markers(page, {"3"}), MARKER) == ["3"]
    assert detached_markers(page, set()) == []  # no glued markers: no footnotes to point to
    # mark_pages finds it, with the glued markers of earlier pages.
    earlier = Page(55, "as the guidance says16 and more.")
    marked = mark_pages([earlier, page])[1]
    assert _texts(marked, list(marked.marks), MARKER) == ["17"]


def test_footnote_lines_need_a_marker_pointing_to_them() -> None:
    page = Page(1, "have a duty16 to act.\n16 Section 11 of the Children Act 2004\n"
                   "8 Sharing information")
    assert _texts(page, footnote_lines(page, {"16"}), FOOTNOTE) == [
        "16 Section 11 of the Children Act 2004"
    ]


def test_reference_lists_and_reference_shaped_lines() -> None:
    text = "References\nBrandon, M. (2020) Complexity and challenge. London: DfE.\nAnything here"
    page = Page(9, text, headings=(Heading(0, 1, "References"),))
    marks, inside = references(page, False)
    # The list under the heading is marked; "References" itself names the section.
    assert _texts(page, marks, REFERENCE) == [
        "Brandon, M. (2020) Complexity and challenge. London: DfE.",
        "Anything here",
    ]
    assert inside
    body = Page(10, "Munro, E. (2011) The Munro review. London.\nThe review found gaps.")
    marks, _ = references(body, False)
    assert _texts(body, marks, REFERENCE) == ["Munro, E. (2011) The Munro review. London."]


def test_signposts_to_other_reading_are_cross_references() -> None:
    page = Page(1, "Guidance on completing a good quality referral can be found here. "
                   "Further information about the duty can be found in the NHS guidance. "
                   "Information about the father could be found in police records. "
                   "Information about risk was not shared.")
    assert _texts(page, sentence_marks(page), XREF) == [
        "Guidance on completing a good quality referral can be found here.",
        "Further information about the duty can be found in the NHS guidance.",
    ]


def test_a_sentence_announcing_another_publication_is_a_cross_reference() -> None:
    page = Page(1, "The government has also produced Information Sharing Advice for "
                   "Safeguarding Practitioners. The Panel has published 15 reviews this year. "
                   "Ofsted has published its findings on the local authority.")
    # Only the sentence that names a publication and says nothing else is marked.
    assert _texts(page, sentence_marks(page), XREF) == [
        "The government has also produced Information Sharing Advice for "
        "Safeguarding Practitioners."
    ]


def test_roman_endnote_numerals_and_an_inline_note_are_marked() -> None:
    from kb.ingest.marks import roman_markers

    page = Page(1, "Children hoped for better courses in the adult secure estate.xii xii However, "
                   "the Chief Inspector found that men spent too long in their cells. Section iv "
                   "of the act applies. Staff said the vi form was missing.")
    marks = roman_markers(page)
    assert _texts(page, marks, MARKER) == ["xii"]
    assert _texts(page, marks, FOOTNOTE) == [
        "xii However, the Chief Inspector found that men spent too long in their cells."
    ]


def test_cross_references_and_fictional_notices() -> None:
    page = Page(1, "See section 7 for the detail of the threshold. Children must be seen "
                   "(see Annex A) at every visit. This document is entirely fictional. "
                   "See the child and hear them.")
    marks = sentence_marks(page)
    assert _texts(page, marks, XREF) == [
        "See section 7 for the detail of the threshold.", "(see Annex A)"
    ]
    assert _texts(page, marks, NOTICE) == ["This document is entirely fictional."]


def test_mark_pages_sets_sorted_marks_on_every_page() -> None:
    pages = mark_pages([Page(1, "Title\nPublished: 2024"), Page(2, BODY + " duty16 x."),
                        Page(3, "16 Section 11\n" + BODY)])
    assert [m.kind for m in pages[0].marks] == [TITLE, TITLE]
    assert [m.kind for m in pages[2].marks] == [FOOTNOTE]
    for p in pages:
        assert [m.start for m in p.marks] == sorted(m.start for m in p.marks)


def test_a_run_of_page_numbered_lines_is_contents_but_table_labels_are_not() -> None:
    page = Page(3, "What we found out 6\nWhat children told us 10\nThank you 27\n"
                   "About this booklet\nLevel 1 Level 2 Level 3 Level 4")
    marks, _ = contents(page, False)
    assert _texts(page, marks, CONTENTS) == [
        "What we found out 6", "What children told us 10", "Thank you 27"
    ]


def test_a_marker_glued_to_an_acts_year_and_headings_lose_their_markers() -> None:
    text = "Statutory requirements216\nThe Data Protection Act 201812 and UK GDPR apply."
    page = mark_pages([Page(2, BODY), Page(3, text)])[1]
    assert _texts(page, list(page.marks), MARKER) == ["216", "12"]
    assert heading_label(page, 0, "Statutory requirements216") == "Statutory requirements"


def test_a_high_numbered_heading_in_a_footnoted_document_is_a_footnote() -> None:
    text = "93 Children Act 1989 Section 17ZD\n12 Findings"
    page = Page(4, text, headings=(Heading(0, 1, "93 Children Act 1989 Section 17ZD"),
                                   Heading(34, 1, "12 Findings")))
    marks = footnote_lines(page, {"1", "2", "3", "4", "5"})
    assert _texts(page, marks, FOOTNOTE) == ["93 Children Act 1989 Section 17ZD"]
    quoted = Page(5, "referred to as \u201cextra-familial harm\u201d97. Harm can occur.")
    assert _texts(quoted, footnote_markers(quoted), MARKER) == ["97"]


def test_a_numbered_heading_with_subsections_is_a_section_not_a_footnote() -> None:
    text = "5 Care placements\n5.1 Current policy background\nThe paper sets out reforms."
    heads = (Heading(0, 1, "5 Care placements"), Heading(18, 2, "5.1 Current policy background"))
    assert footnote_lines(Page(61, text, headings=heads), {"5", "6"}) == []
    act = "5 Children Act 2004"
    foot = Page(7, f"The duty applies.\n{act}", headings=(Heading(18, 1, act),))
    assert _texts(foot, footnote_lines(foot, {"5"}), FOOTNOTE) == [act]
