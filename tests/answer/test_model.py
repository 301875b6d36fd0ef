"""kb.answer.model: a sentence from a threshold matrix's cell carries the cell's label."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kb.answer.extract import candidates
from kb.answer.model import Answer, AnswerSentence, Finding, Support
from kb.records import CELL, Chunk, Document, Hit, Mark

LEVEL4 = "Any suspicious injury in a pre-mobile or non-mobile child must be referred."
LEVEL3 = "Child has injuries more frequent than expected for their age."
LABEL = "ABUSE AND NEGLECT: Level 4"


def _hit() -> Hit:
    text = f"{LEVEL3}\n{LEVEL4}"
    at = text.index(LEVEL4)
    marks = (
        Mark(0, len(LEVEL3), CELL, "ABUSE AND NEGLECT: Level 3"),
        Mark(at, at + len(LEVEL4), CELL, LABEL),
    )
    chunk = Chunk("d", 0, text, 5, 5, marks=marks)
    return Hit(chunk, Document("d", "thresholds.pdf"), 1.0)


def _level4(hit: Hit) -> AnswerSentence:
    cand = next(c for c in candidates([hit]) if c.text == LEVEL4)
    return AnswerSentence(cand.text, 1, cand.start, cand.end)


def test_a_sentence_in_a_cell_carries_its_label_in_json_and_plain_text() -> None:
    hit = _hit()
    sentence = _level4(hit)
    answer = Answer("bruising in a non-mobile baby", (sentence,), (hit,), no_match=False)
    assert answer.cell_of(sentence) == LABEL
    assert answer.to_dict()["sentences"] == [{"text": LEVEL4, "citation": 1, "cell": LABEL}]
    assert answer.plain_lines() == [f"- {LEVEL4} [1]", f"  Table cell: {LABEL}"]


def test_a_finding_from_a_cell_carries_its_label_and_so_does_its_citation() -> None:
    from kb.web.html import answer_html
    from kb.web.summary import summary_groups

    hit = _hit()
    s = _level4(hit)
    key = Support(s.text, 1, s.start, s.end)
    answer = Answer(
        "bruising", (s,), (hit,), no_match=False, form="broad", findings=(Finding(key),)
    )
    (finding,) = answer.to_dict()["findings"]
    assert finding["cell"] == LABEL and finding["citations"][0]["cell"] == LABEL
    assert f"Table cell: {LABEL}" in answer_html(answer)
    (group,) = summary_groups(answer)
    assert group.items[0].key.where.endswith(f"(table cell: {LABEL})")


def test_a_sentence_outside_any_cell_has_no_label() -> None:
    hit = Hit(Chunk("d", 0, LEVEL4, 1, 1), Document("d", "d.pdf"), 1.0)
    sentence = _level4(hit)
    answer = Answer("q", (sentence,), (hit,), no_match=False)
    assert answer.cell_of(sentence) == ""
    assert "cell" not in answer.to_dict()["sentences"][0]


def test_plain_kb_ask_prints_a_broad_answer_as_its_evidence_summary() -> None:
    review = Hit(
        Chunk("r", 0, "Information about risk was not shared with the school.", 4, 4),
        Document("r", "review.pdf", doc_type="local_review"),
        1.0,
    )
    other = Hit(
        Chunk("q", 0, "Risk information was not passed to the school nurse.", 9, 9),
        Document("q", "other.pdf", doc_type="local_review"),
        0.9,
    )
    guidance = _hit()
    s = _level4(guidance)
    shared = Finding(
        Support(review.chunk.text, 1, 0, len(review.chunk.text)),
        also_in=(Support(other.chunk.text, 2, 0, len(other.chunk.text)),),
        count=2,
    )
    cell = Finding(Support(s.text, 3, s.start, s.end), group="guidance")
    answer = Answer(
        "information sharing",
        (),
        (review, other, guidance),
        False,
        form="broad",
        findings=(shared, cell),
    )
    assert answer.summary_lines() == [
        "Evidence summary across 3 documents:",
        "",
        "What reviews found:",
        f"- {review.chunk.text} [1]",
        "  stated in 2 documents; also in [2]",
        "",
        "What guidance says:",
        f"- {LEVEL4} [3]",
        "  stated in 1 document",
        f"  Table cell: {LABEL}",
    ]


def test_kb_ask_prints_the_summary_for_a_broad_answer_and_sentences_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from kb.cli import cli
    from kb.library import Library

    hit = _hit()
    s = _level4(hit)
    broad = Answer(
        "bruising",
        (s,),
        (hit,),
        False,
        form="broad",
        findings=(Finding(Support(s.text, 1, s.start, s.end), group="guidance"),),
    )
    for answer, first in (
        (broad, "Evidence summary across 1 document:"),
        (replace(broad, form="narrow"), f"- {LEVEL4} [1]"),
    ):
        monkeypatch.setattr(Library, "ask", lambda self, question, _a=answer, **kw: _a)
        out = CliRunner().invoke(cli, ["--store", str(tmp_path), "ask", "bruising"]).output
        assert out.splitlines()[0] == first
