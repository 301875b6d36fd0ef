"""Myth/Fact tables read as pairs (kb.ingest.tables), in the shapes the real corpus has."""

from __future__ import annotations

from kb.ingest.tables import myth_marks
from kb.records import FACT, MYTH, Page


def _pairs(pages: list[Page]) -> list[tuple[str, str, str]]:
    by_no = {p.number: p for p in pages}
    return [
        (m.kind, by_no[n].text[m.start : m.end], m.note)
        for n, marks in myth_marks(pages).items()
        for m in marks
    ]


def test_a_flattened_row_splits_at_its_no() -> None:
    page = Page(15, "Myth Fact\nConsent is always needed to share personal information No - you "
                    "do not necessarily need the consent of the subject.")
    myth = "Consent is always needed to share personal information"
    assert _pairs([page]) == [
        (MYTH, myth, ""),
        (FACT, "No - you do not necessarily need the consent of the subject.", myth),
    ]


def test_a_myth_on_its_own_line_pairs_with_the_answer_below() -> None:
    pages = [Page(20, "Common myths that hinder effective information sharing\n"),
             Page(21, "Consent is needed to share personal information\n"
                      "No, you do not need consent to share personal information.")]
    kinds = [(k, t) for k, t, _ in _pairs(pages)]
    assert kinds == [(MYTH, "Consent is needed to share personal information"),
                     (FACT, "No, you do not need consent to share personal information.")]


def test_labelled_rows_across_lines() -> None:
    page = Page(4, "Myth busting\nSome myths versus the truth. \u2bbd The Myth Safeguarding stops "
                   "at age 16.\n\u2611 The Truth In UK law, a person is a child until age 18.")
    assert _pairs([page]) == [
        (MYTH, "\u2bbd The Myth Safeguarding stops at age 16.", ""),
        (FACT, "In UK law, a person is a child until age 18.", "Safeguarding stops at age 16."),
    ]


def test_no_rows_without_a_mention_of_myths() -> None:
    page = Page(3, "Was the child seen alone No, the child was not seen alone at any visit.")
    assert _pairs([page]) == []
