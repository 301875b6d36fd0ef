"""Small fictional reviews, unlike the shipped samples, with their learning known.

Written for the role tagger's held-out check: the wording, numbering and layout
differ from corpus/fictional (plain PDFs in one font, so no heading is found by
size; numbered lists; "The review recommends"; questions after a lead-in), so a
tagger tuned to the samples' phrasing would fail here.
"""

from __future__ import annotations

from pathlib import Path

from conftest import write_pdf

FOOTER = "Fictional document written to test software - not a real review"

ALDER = [
    "Alderbrook Safeguarding Partnership (fictional)\n\n"
    "Child Safeguarding Practice Review: Child Q\n\n"
    "1. Introduction\n\n"
    "This review looks at the support given to Q, aged 9, and her family between 2021 "
    "and 2023. Q lived with her mother and her mother's partner.\n\n"
    "2. What the review found\n\n"
    "2.1 School staff saw bruises on Q's arms on four occasions and recorded each one "
    "separately, so nobody saw the pattern.\n\n"
    "2.2 The mother's partner was never asked about his own history, although police held "
    "records of violence towards a previous partner's child.",
    "3. Recommendations\n\n"
    "3.1 The Alderbrook Safeguarding Partnership should make sure that every agency keeps a "
    "single running record of injuries seen on a child.\n\n"
    "3.2 Alderbrook Council should train its early help workers to ask about every adult "
    "who lives in or visits the home.\n\n"
    "3.3 The Department for Education should publish national guidance on recording "
    "unexplained injuries to school-age children.\n\n"
    "4. Questions for reflection\n\n"
    "Frontline practitioners might ask themselves:\n\n"
    "- Would I notice if the same child had a fourth minor injury this term?\n\n"
    "- Have I asked who else lives in the house?",
]

BIRCH = [
    "Birchfield Children's Partnership (fictional)\n\n"
    "Local Review: Baby N\n\n"
    "Summary\n\n"
    "Baby N was seven weeks old when she was admitted to hospital with a fractured arm.\n\n"
    "Learning from this review\n\n"
    "Lesson 1: Practitioners did not share what they knew about the father. Health "
    "visitors knew about his previous conviction but did not tell the GP.\n\n"
    "Lesson 2: Injuries to a baby who cannot move were not referred straight away.",
    "Our recommendations\n\n"
    "The review recommends that Birchfield Children's Partnership checks that every "
    "agency uses one shared record of all injuries seen on a child.\n\n"
    "The review recommends that NHS England includes bruising in non-mobile babies in "
    "the mandatory training of all GPs.\n\n"
    "The review recommends that Ofsted looks at how well early help services share "
    "information about adults in the household.\n\n"
    "Reflective questions for senior managers\n\n"
    "- How do you know that staff share information about fathers?\n\n"
    "- What would make your teams refer an injured baby on the same day?",
]

# Known learning: (document, role, a phrase of the text, level, addressee).
KNOWN: list[tuple[str, str, str, str | None, str | None]] = [
    (
        "alder.pdf",
        "recommendation",
        "single running record of injuries",
        "local",
        "The Alderbrook Safeguarding Partnership",
    ),
    ("alder.pdf", "recommendation", "early help workers to ask", "local", "Alderbrook Council"),
    (
        "alder.pdf",
        "recommendation",
        "publish national guidance",
        "national",
        "The Department for Education",
    ),
    ("alder.pdf", "reflective_question", "fourth minor injury", None, None),
    ("alder.pdf", "reflective_question", "who else lives in the house", None, None),
    (
        "birch.pdf",
        "recommendation",
        "one shared record of all injuries",
        "local",
        "Birchfield Children's Partnership",
    ),
    ("birch.pdf", "recommendation", "mandatory training of all GPs", "national", "NHS England"),
    ("birch.pdf", "recommendation", "early help services share", "national", "Ofsted"),
    ("birch.pdf", "reflective_question", "share information about fathers", None, None),
    ("birch.pdf", "reflective_question", "injured baby on the same day", None, None),
    ("alder.pdf", "finding", "nobody saw the pattern", None, None),
    ("birch.pdf", "finding", "did not share what they knew", None, None),
]
# The same ask in two documents, in different words.
SAME_ASK = ("single running record of injuries", "one shared record of all injuries")


def write_learning_docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_pdf(folder / "alder.pdf", ALDER, footer=FOOTER, page_numbers=True)
    write_pdf(folder / "birch.pdf", BIRCH, footer=FOOTER, page_numbers=True)
    return folder
