"""kb.web.summary: a broad answer's evidence summary and its precedents, from hand-made records."""

from __future__ import annotations

import re
from dataclasses import replace

from broad_answer import broad_answer, passages
from kb.library import Precedent, Precedents
from kb.retrieve.precedents import group_by_review
from kb.web import summary


def test_a_broad_answer_is_a_summary_across_the_documents_it_cites() -> None:
    answer = broad_answer()
    assert summary.is_summary(answer)
    assert answer.documents_cited == 4  # A, B, the inspection, the guidance
    assert summary.form_heading(answer) == "Evidence summary across 4 documents"
    for narrow in (
        replace(answer, form="narrow"),
        replace(answer, findings=()),
        replace(answer, no_match=True),
    ):
        assert not summary.is_summary(narrow)
        assert summary.form_heading(narrow) == "Short answer"


def test_findings_are_grouped_reviews_first_with_their_also_in() -> None:
    groups = summary.summary_groups(broad_answer())
    assert [g.title for g in groups] == ["What reviews found", "What guidance says"]
    reviews, guidance = groups
    assert [i.key.sentence for i in reviews.items] == [
        "Agencies did not share what they knew.",
        "The school held concerns it never passed on.",
    ]
    first = reviews.items[0]
    assert first.count == 2 and first.key.number == 1
    [also] = first.also_in
    assert also.where == "Review of Child B, p. 4" and also.number == 2
    assert also.hit.chunk.text[also.start : also.end] == also.sentence  # verbatim
    assert guidance.items[0].also_in == () and guidance.items[0].count == 1


def test_a_finding_label_shows_sentence_place_and_count_as_text() -> None:
    item = summary.summary_groups(broad_answer())[0].items[0]
    shown = re.sub(r"\\(.)", r"\1", item.label)  # what a reader sees of the Markdown
    assert shown == (
        "Agencies did not share what they knew. \u2014 Review of Child A, p. 12 "
        "\u00b7 **2 documents**"
    )
    assert summary.documents_label(1) == "1 document"
    # A document's sentence can't become a link or an image in the label.
    hostile = replace(item, key=replace(item.key, sentence="See ![x](http://h/x.png) *now*"))
    assert "![x](http" not in hostile.label and "\\!\\[x\\]" in hostile.label


def test_citation_html_quotes_the_sentence_escaped() -> None:
    item = summary.summary_groups(broad_answer())[0].items[0]
    out = summary.citation_html(replace(item.key, sentence="A <script>x</script>\n b"))
    assert "<script" not in out and "&lt;script&gt;" in out
    assert "\u201cA &lt;script&gt;x&lt;/script&gt; b\u201d" in out
    assert "Review of Child A, p. 12 \u00b7 2023" in out


def found(no_match: bool = False) -> Precedents:
    return Precedents(no_match, tuple(group_by_review(passages())))


def test_precedents_are_the_reviews_whose_best_passage_reaches_the_bar() -> None:
    shown = summary.precedent_list(found(), 0.6, reviews_only=True)
    # The inspection's best sentence (0.58) falls short; the guidance is no review.
    assert [c.document.title for c in shown.cards] == ["Review of Child A", "Review of Child B"]
    assert shown.heading == "2 reviews discuss this" and shown.weaker == 1
    assert "1 more matched only weakly and is not listed" in shown.note
    a = shown.cards[0]
    assert a.hit.chunk.page_start == 12 and a.matches == 2
    assert [h.chunk.page_start for h in a.hits] == [12]  # p. 13 (0.31) is below the bar
    one = summary.precedent_list(found(), 0.7, reviews_only=True)
    assert one.heading == "1 review discusses this" and one.weaker == 2


def test_the_precedent_view_counts_every_type_that_passes() -> None:
    shown = summary.precedent_list(found(), 0.6, reviews_only=False)
    assert [c.document.doc_id for c in shown.cards] == ["a", "b", "g"]
    assert shown.heading == "3 documents discuss this, best first"
    assert re.match(r"Documents whose best passage", shown.note)
    nothing = summary.precedent_list(found(no_match=True), 0.0, reviews_only=False)
    assert nothing.cards == () and nothing.weaker == 4
    assert nothing.heading == "0 documents discuss this, best first"


def similar_cases() -> list[Precedent]:
    """``kb similar``'s ranking of the hand-made passages: one precedent per document."""
    return [
        Precedent(g.document, score=1.0 / n, passages=g.hits, windows_matched=4 - n)
        for n, g in enumerate(group_by_review(passages()), 1)
    ]


def test_similar_cases_keep_only_passages_that_reach_the_bar_in_their_order() -> None:
    shown = summary.similar_list(similar_cases(), 0.6)
    assert [c.document.doc_id for c in shown.cards] == ["a", "b", "g"]
    assert shown.weaker == 1  # the inspection's best passage (0.58) falls short
    a = shown.cards[0]
    assert [h.chunk.page_start for h in a.hits] == [12]  # p. 13 (0.31) is not shown
    assert a.matches == 3  # strands of the summary it spoke to


def test_a_case_the_library_has_nothing_like_lists_no_document() -> None:
    shown = summary.similar_list(similar_cases(), 0.99)
    assert shown.cards == () and shown.weaker == 4
    assert summary.similar_list([], 0.0).cards == ()
