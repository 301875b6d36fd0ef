"""kb.retrieve.answertype: which questions ask for a kind of fact, and which texts state one."""

from __future__ import annotations

import pytest

from kb.retrieve.answertype import (
    NO_AGE_STATED,
    NO_DATE_STATED,
    NO_NUMBER_STATED,
    NO_PERSON_NAMED,
    NO_TIME_STATED,
    asked_type,
    asks_for_duration,
    counted_term,
    lacks_answer_type,
    missing_answer_type,
    states_answer_type,
    states_duration,
    stating_asked_type,
)


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


# -- numbers, ages, dates, names


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many local child safeguarding practice reviews were published in 2023?", "count"),
        ("What percentage of referrals come from schools?", "amount"),
        ("What proportion of children were persistently absent?", "amount"),
        ("How much does an enhanced DBS check cost?", "money"),
        ("At what age can a child be left at home alone?", "age"),
        ("How old must a babysitter be?", "age"),
        ("When was the focused visit carried out?", "date"),
        ("In what year was the review published?", "date"),
        ("Who is the current Children's Commissioner?", "person"),
        ("Who chaired the safeguarding board?", "person"),
        ("What is the name of the reviewer?", "person"),
        ("How many hours of training must a childminder complete?", "duration"),
        # Roles, timing and open questions are not checked:
        ("Who is responsible for the kinship care policy?", ""),
        ("Who chairs the strategy meetings as the days go by?", ""),
        ("When must strategy meetings be held?", ""),
        ("What does the LADO do?", ""),
    ],
)
def test_the_kind_of_fact_a_question_asks_for(question: str, kind: str) -> None:
    assert asked_type(question) == kind


def test_what_how_many_counts() -> None:
    assert counted_term("How many local child safeguarding practice reviews were published?") == (
        "review"
    )
    assert counted_term("How many children's homes closed in 2023?") == "home"
    assert counted_term("How many children under five may a childminder look after?") == (
        "children"
    )
    assert counted_term("Roughly how many UASC were looked after?") == ""  # an acronym


COUNT_Q = "How many serious incident notifications did the panel receive in 2022-23?"


@pytest.mark.parametrize(
    ("kind", "question", "text"),
    [
        ("count", COUNT_Q, "In 2022-23 the panel received 393 serious incident notifications."),
        ("count", COUNT_Q, "The panel had 2,400 notifications of serious incidents that year."),
        (
            "count",
            "How many children were absent from school?",
            "Of these children, 30% were absent from school.",
        ),
        (
            "count",
            "How many children's homes closed in England in 2023?",
            "In 2023, 56 children's homes closed.",
        ),
        (
            "count",
            "How many children's homes closed in England in 2023?",
            "56 children's homes closed across the country.",  # no period named
        ),
        (
            "count",
            "How many times was the child seen at the clinic?",
            "She was seen at the clinic twice more in the winter.",
        ),
        (
            "amount",
            "What percentage of schools were judged inadequate?",
            "Ofsted judged 3% of schools inadequate.",
        ),
        (
            "money",
            "How much does a day in an unregistered placement cost?",
            "The average daily cost of an unregistered placement was £1,567.",
        ),
        (
            "age",
            "At what age can a child consent to sexual activity?",
            "The age of consent to sexual activity is 16.",
        ),
        (
            "age",
            "How old must a private foster carer's child be?",
            "Private fostering covers a child aged 15 placed with a foster carer.",
        ),
        (
            "date",
            "When was the focused visit to the council?",
            "This focused visit took place on 4 and 5 March 2025.",
        ),
        (
            "date",
            "In what year was the Munro review published?",
            "The Munro review of child protection (2011) set out the systems approach.",
        ),
        (
            "person",
            "Who is the current Children's Commissioner?",
            "A foreword by the Children's Commissioner, Dame Rachel de Souza.",
        ),
        (
            "person",
            "Who wrote the independent review of children's social care?",
            "The independent review of children's social care (MacAlister, 2022) proposed reforms.",
        ),
        (
            "duration",
            "How many hours of training must a childminder complete?",
            "A childminder must complete 12 hours of training.",
        ),
    ],
)
def test_texts_stating_the_kind_of_fact(kind: str, question: str, text: str) -> None:
    assert asked_type(question) == kind
    assert states_answer_type(kind, text, question)
    assert not missing_answer_type(question, ["Unrelated text.", text])


@pytest.mark.parametrize(
    ("question", "text", "reason"),
    [
        # Numbers that are not counts of what is asked:
        (
            COUNT_Q,
            "Notifications are set out in section 17 of the Children Act 1989.",
            NO_NUMBER_STATED,
        ),
        (
            COUNT_Q,
            "Rapid reviews 343. The panel reviews serious incident notifications.",
            NO_NUMBER_STATED,
        ),
        (
            COUNT_Q,
            "Guidance for the panel 141 How to notify a serious incident 148",
            NO_NUMBER_STATED,
        ),
        (
            COUNT_Q,
            "The panel must receive serious incident notifications within 5 working days.",
            NO_NUMBER_STATED,
        ),
        (
            "How many calls did the helpline receive about abuse?",
            "Staff can call 0800 028 0285 about abuse.",
            NO_NUMBER_STATED,
        ),
        # A count of the right thing, about something else ("79 reviews" across London):
        (
            "How many serious case reviews did Lambeth publish?",
            "Twenty five partnerships completed 79 reviews.",
            NO_NUMBER_STATED,
        ),
        (
            "How much is the weekly fostering allowance paid?",
            "Agencies offer 48% of fostering places.",
            NO_NUMBER_STATED,
        ),
        (
            "What percentage of referrals come from schools?",
            "Schools make referrals to children's social care.",
            NO_NUMBER_STATED,
        ),
        # A figure for another period than the one asked about:
        (
            "How many children's homes closed in England in 2023?",
            "Since 2002, 16 secure children's homes have closed.",
            NO_NUMBER_STATED,
        ),
        # A percentage that only names what is counted, not what the question says of it:
        (
            "How many local child safeguarding practice reviews were published in 2023?",
            "38% of the Rapid Reviews recommended a Local Child Safeguarding Practice Review.",
            NO_NUMBER_STATED,
        ),
        # An age, but not in a sentence about the question:
        (
            "At what age can a child be left at home alone?",
            "A child protection plan ends when the child reaches the age of 18.",
            NO_AGE_STATED,
        ),
        # A year that is part of a title or a statute:
        (
            "In what year did Keeping children safe in education come into force?",
            "This guidance replaces Keeping children safe in education 2023.",
            NO_DATE_STATED,
        ),
        (
            "When was the Education Act first in force for schools?",
            "Schools have duties under the Education Act 2002.",
            NO_DATE_STATED,
        ),
        (
            "When was the CERAF first introduced?",
            "A CERAF may be completed by any practitioner.",
            NO_DATE_STATED,
        ),
        # Capitalised words and organisations are not people:
        (
            "Who is the current Children's Commissioner?",
            "Children's Commissioner, The Big Ask, 2021.",
            NO_PERSON_NAMED,
        ),
        (
            "Who is the current Children's Commissioner?",
            "The Commissioner's office (Ofsted, 2024) reported.",
            NO_PERSON_NAMED,
        ),
        # A length of time in another unit, or in an unrelated sentence:
        (
            "How many hours of training must a childminder complete?",
            "Staff complete induction training within a three-month period.",
            NO_TIME_STATED,
        ),
        (
            "How many hours of training must a childminder complete?",
            "Risk ratings: Red 4 hours, Amber 24 hours.",
            NO_TIME_STATED,
        ),
    ],
)
def test_texts_without_the_kind_of_fact(question: str, text: str, reason: str) -> None:
    assert missing_answer_type(question, [text]) == reason
    assert lacks_answer_type(question, [text])


def test_questions_the_check_does_not_know_are_never_refused() -> None:
    assert missing_answer_type("What does the LADO do?", []) == ""
    assert missing_answer_type("Who is responsible for the policy?", []) == ""


def test_stating_asked_type_marks_the_sentences_that_give_the_fact() -> None:
    sentences = [
        "Rapid reviews should be completed within 15 working days of the incident.",
        "The rapid review is led by the safeguarding partners.",
    ]
    assert stating_asked_type("how quickly must a rapid review be done", sentences) == [True, False]
    # A question asking for no kind of fact: no sentence is singled out.
    assert stating_asked_type("who leads a rapid review and why", sentences[1:]) == [False]
    assert stating_asked_type("what is a rapid review", sentences) == [False, False]
