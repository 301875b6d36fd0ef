"""kb.retrieve.answertype: which questions ask for a time limit, and which texts state one."""

from __future__ import annotations

import pytest

from kb.retrieve.answertype import asks_for_duration, lacks_answer_type, states_duration


@pytest.mark.parametrize(
    "question",
    [
        "What is the statutory deadline for issuing a final EHC plan?",
        "How quickly should the LADO be told about an allegation?",
        "How soon must the Panel be notified?",
        "Within how many days must a school tell the council?",
        "How many working days does the assessment take?",
        "What are the timescales for an initial child protection conference?",
        "How long can a child be kept in police protection?",
    ],
)
def test_questions_asking_for_a_time_limit(question: str) -> None:
    assert asks_for_duration(question)


@pytest.mark.parametrize(
    "question",
    [
        "How often must the risk assessment be reviewed?",  # a frequency, not a limit
        "How many children were persistently absent?",  # a count
        "What does the LADO do?",
        "Who attends a strategy discussion?",
    ],
)
def test_other_questions_are_not_checked(question: str) -> None:
    assert not asks_for_duration(question)


@pytest.mark.parametrize(
    "text",
    [
        "The plan must be issued within 20 weeks of the request.",
        "The LADO should be informed within one working day.",
        "Schools must notify the local authority within five school days.",
        "a 6-month review",
        "Refer immediately if a child is at risk of significant harm.",
        "The panel must be told within 5 working days and the review completed in 6 months.",
        "within 2 to 5 days",  # a range of days is still a time limit
        "A child aged 4 was seen within two weeks.",  # an age beside a duration
    ],
)
def test_texts_stating_a_length_of_time(text: str) -> None:
    assert states_duration(text)


@pytest.mark.parametrize(
    "text",
    [
        "EHC plans should be reviewed and kept up to date.",
        "Child 5 was seen by 3 agencies.",  # numbers, but no unit of time
        "The dayroom and the weekly timetable.",  # units only inside other words
        # Ages, which look like lengths of time:
        "Early help supports children between 0-19 years and unborn babies.",
        "a 15-year-old girl and her 3 month old brother",
        "children aged 6 months, young people under 18 years, or 16 years and over",
        "care leavers up to the age of 25 years",
    ],
)
def test_texts_without_a_length_of_time(text: str) -> None:
    assert not states_duration(text)


def test_lacks_answer_type_needs_both_a_timing_question_and_no_stated_time() -> None:
    untimed = ["The local authority issues EHC plans.", "Plans are reviewed."]
    timed = untimed + ["The final plan is due within 20 weeks."]
    assert lacks_answer_type("What is the deadline for a final EHC plan?", untimed)
    assert not lacks_answer_type("What is the deadline for a final EHC plan?", timed)
    assert not lacks_answer_type("Who issues EHC plans?", untimed)
    assert lacks_answer_type("How soon must it be issued?", [])
