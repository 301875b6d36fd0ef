"""A hand-made broad answer for the tests of what shows and exports it.

Four documents: three reviews (Child A, Child B, an inspection) and one piece
of guidance. Three findings: two from reviews, one from guidance, each key
sentence and each "also in" sentence a verbatim slice of its cited passage,
as ``kb.answer.findings`` makes them.
"""

from __future__ import annotations

from kb.answer.model import Answer, AnswerSentence, Finding, Support
from kb.records import Chunk, Document, Hit

QUESTION = "what have reviews found about information sharing"

_PASSAGES = (
    # (doc id, title, type, year, page, passage text, best sentence similarity)
    (
        "a",
        "Review of Child A",
        "local_review",
        2023,
        12,
        "Agencies did not share what they knew. The school held concerns it never passed on.",
        0.71,
    ),
    (
        "b",
        "Review of Child B",
        "local_review",
        2021,
        4,
        "Information was not shared between agencies. Health visitors were not told.",
        0.66,
    ),
    (
        "g",
        "Working Together",
        "statutory_guidance",
        2023,
        30,
        "Practitioners should share information early. Fears about sharing must not stand "
        "in the way.",
        0.62,
    ),
    (
        "i",
        "Joint inspection of Eastmarsh",
        "inspection_report",
        2022,
        7,
        "The school held concerns it never passed on to children's social care.",
        0.58,
    ),
    ("a", "Review of Child A", "local_review", 2023, 13, "Records were incomplete.", 0.31),
)


def passages() -> tuple[Hit, ...]:
    hits = []
    for n, (doc_id, title, doc_type, year, page, text, sim) in enumerate(_PASSAGES):
        doc = Document(
            doc_id=doc_id,
            file=f"{doc_id}.pdf",
            title=title,
            publisher="Eastmarsh Safeguarding Children Partnership",
            year=year,
            doc_type=doc_type,
            source_url=f"https://example.org/{doc_id}.pdf" if doc_id != "b" else "",
        )
        chunk = Chunk(
            doc_id=doc_id,
            index=n,
            text=text,
            page_start=page,
            page_end=page,
            heading_path=("Findings",),
        )
        hits.append(
            Hit(chunk=chunk, document=doc, score=1.0 - n / 10, extra={"sentence_similarity": sim})
        )
    return tuple(hits)


def support(hits: tuple[Hit, ...], number: int, sentence: str) -> Support:
    text = hits[number - 1].chunk.text
    start = text.index(sentence)
    return Support(text=sentence, citation=number, start=start, end=start + len(sentence))


def broad_answer() -> Answer:
    hits = passages()
    shared = Finding(
        key=support(hits, 1, "Agencies did not share what they knew."),
        also_in=(support(hits, 2, "Information was not shared between agencies."),),
        count=2,
        group="reviews",
        score=0.9,
    )
    school = Finding(
        key=support(hits, 1, "The school held concerns it never passed on."),
        also_in=(
            support(
                hits, 4, "The school held concerns it never passed on to children's social care."
            ),
        ),
        count=2,
        group="reviews",
        score=0.8,
    )
    early = Finding(
        key=support(hits, 3, "Practitioners should share information early."),
        count=1,
        group="guidance",
        score=0.7,
    )
    return Answer(
        question=QUESTION,
        sentences=(AnswerSentence(text=shared.key.text, citation=1, end=len(shared.key.text)),),
        passages=hits,
        no_match=False,
        best_similarity=0.71,
        form="broad",
        findings=(shared, school, early),
    )
