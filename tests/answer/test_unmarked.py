"""Answer candidates skip what ingest marked (kb.answer.unmarked, kb.answer.extract)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.answer.extract import candidates
from kb.answer.unmarked import unmarked
from kb.ingest.marks import mark_pages
from kb.records import Chunk, Document, Hit, Mark, Page


def _hit(text: str) -> Hit:
    marks = mark_pages([Page(2, text)])[0].marks
    chunk = Chunk("d", 0, text, 2, 2, marks=marks)
    return Hit(chunk, Document("d", "d.pdf"), 1.0)


def test_a_myth_is_cut_off_the_front_of_its_fact() -> None:
    text = ("Myth Fact\nThe Data Protection Act 2018 is a barrier to sharing information No - "
            "the Data Protection Act 2018 does not prohibit sharing.")
    got = [c.text for c in candidates([_hit(text)])]
    assert got == ["No - the Data Protection Act 2018 does not prohibit sharing."]


def test_a_marker_before_the_full_stop_is_cut_and_one_inside_drops_the_sentence() -> None:
    text = ("Practitioners must follow the statutory guidance235. "
            "Many agencies have a duty16 to ensure their functions are discharged well.")
    got = [c.text for c in candidates([_hit(text)])]
    assert got == ["Practitioners must follow the statutory guidance"]


def test_contents_lines_and_cross_references_are_never_candidates() -> None:
    text = ("Contents\nWhy data protection legislation does not prevent sharing 9\n"
            "See section 7 for the detail of how referrals are made.\n"
            "Children must be seen alone (see Annex A) at every statutory visit.")
    got = [c.text for c in candidates([_hit(text)])]
    assert got == ["Children must be seen alone (see Annex A) at every statutory visit."]


def test_unmarked_keeps_a_span_without_marks() -> None:
    assert unmarked("Some words here.", 0, 16, [Mark(20, 30, "title")]) == (0, 16, False)


def test_a_quoted_fact_carries_its_myth_beside_it_only() -> None:
    from kb.answer.model import Answer, AnswerSentence
    from kb.web.html import answer_html

    text = ("Myth Fact\nConsent is always needed to share personal information No - you do "
            "not necessarily need the consent of the subject.")
    hit = _hit(text)
    (cand,) = candidates([hit])
    sentence = AnswerSentence(cand.text, 1, cand.start, cand.end)
    answer = Answer("consent", (sentence,), (hit,), no_match=False)
    myth = "Consent is always needed to share personal information"
    assert answer.myth_of(sentence) == myth
    assert answer.to_dict()["sentences"] == [{"text": cand.text, "citation": 1, "myth": myth}]
    assert f"Myth: {myth}" in answer_html(answer)


MYTH_ROW = (
    "Myth Fact\nConsent is always needed to share personal information No - you do "
    "not necessarily need the consent of the subject."
)
MYTH = "Consent is always needed to share personal information"


def test_a_findings_fact_carries_its_myth_in_the_json() -> None:
    from kb.answer.model import Answer, Finding, Support

    hit = _hit(MYTH_ROW)
    (cand,) = candidates([hit])
    key = Support(cand.text, 1, cand.start, cand.end)
    answer = Answer("consent", (), (hit,), no_match=False, form="broad", findings=(Finding(key),))
    (finding,) = answer.to_dict()["findings"]
    assert finding["text"] == cand.text and finding["myth"] == MYTH
    assert finding["citations"][0]["myth"] == MYTH


def test_also_in_skips_a_copy_of_the_key_inside_marked_text() -> None:
    from kb.answer.findings import _verbatim_elsewhere

    key_text = "Practitioners should share information about risk with other agencies early on."
    own = Hit(Chunk("a", 0, key_text, 3, 3), Document("a", "a.pdf"), 1.0)
    (key,) = candidates([own])
    noted = f"Contents\n{key_text} 9\nOther text follows here."  # a contents entry
    clean = f"As the review said: {key_text}"
    got = _verbatim_elsewhere(key, [own, _hit(noted), _hit_of("c", clean)], [])
    assert [s.citation for s in got] == [3]


def _hit_of(doc: str, text: str) -> Hit:
    marks = mark_pages([Page(2, text)])[0].marks
    return Hit(Chunk(doc, 0, text, 2, 2, marks=marks), Document(doc, f"{doc}.pdf"), 1.0)


def test_plain_kb_ask_prints_the_myth_under_its_fact(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from kb.answer.model import Answer, AnswerSentence
    from kb.cli import cli
    from kb.library import Library

    hit = _hit(MYTH_ROW)
    (cand,) = candidates([hit])
    answer = Answer("consent", (AnswerSentence(cand.text, 1, cand.start, cand.end),), (hit,), False)
    monkeypatch.setattr(Library, "ask", lambda self, question, **kw: answer)
    out = CliRunner().invoke(cli, ["--store", str(tmp_path), "ask", "consent"]).output
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"- {cand.text}"))
    assert lines[at + 1] == f"  Myth: {MYTH}"
