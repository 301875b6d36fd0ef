"""kb.answer.scope: the "one local source only" flag."""

from __future__ import annotations

from kb.answer.extract import answer
from kb.answer.scope import ONE_LOCAL_SOURCE, answer_flags
from kb.records import Chunk, Document, Hit


def hit(doc: str, doc_type: str, publisher: str, title: str, text: str = "Text.") -> Hit:
    document = Document(
        doc_id=f"id-{doc}", file=f"{doc}.docx", title=title, publisher=publisher, doc_type=doc_type
    )
    chunk = Chunk(doc_id=document.doc_id, index=0, text=text, page_start=1, page_end=1)
    return Hit(chunk=chunk, document=document, score=0.5)


POLICY = hit("policy", "policy", "Silver Line Homes", "Safeguarding Policy")
PROTOCOL = hit(
    "protocol",
    "local_procedure",
    "Northamptonshire Safeguarding Children Partnership",
    "Missing children protocol",
)
GUIDANCE = hit("wt", "statutory_guidance", "Department for Education", "Working together")
TRAINING_Q = "How much safeguarding training must a childminder complete?"


def test_an_answer_from_one_providers_policy_is_flagged() -> None:
    assert answer_flags(TRAINING_Q, [1, 1], [POLICY, GUIDANCE]) == (ONE_LOCAL_SOURCE,)


def test_not_flagged_when_the_question_names_the_body_or_area() -> None:
    assert answer_flags("What training do Silver Line staff complete?", [1], [POLICY]) == ()
    question = "When are strategy meetings held for a child missing in Northamptonshire?"
    assert answer_flags(question, [1], [PROTOCOL]) == ()
    assert answer_flags("When are strategy meetings held?", [1], [PROTOCOL]) == (ONE_LOCAL_SOURCE,)


def test_not_flagged_with_a_second_source_or_a_national_one() -> None:
    assert answer_flags(TRAINING_Q, [1, 2], [POLICY, GUIDANCE]) == ()
    assert answer_flags(TRAINING_Q, [2], [POLICY, GUIDANCE]) == ()
    assert answer_flags(TRAINING_Q, [], [POLICY]) == ()


def test_the_answer_carries_its_flags_in_json() -> None:
    text = "All staff complete safeguarding training within three months of starting."
    policy = hit("policy", "policy", "Silver Line Homes", "Safeguarding Policy", text)
    shown = answer(TRAINING_Q, [policy], no_match=False)
    assert shown.sentences and shown.flags == (ONE_LOCAL_SOURCE,)
    assert shown.to_dict()["flags"] == [ONE_LOCAL_SOURCE]
    refused = answer(TRAINING_Q, [policy], no_match=True)
    assert refused.flags == () and refused.to_dict()["flags"] == []
