"""A trainer's session pack: a collection's learning items as a Word document.

Pinned findings (and any other pinned passage) become quotes, each with its
full reference; reflective questions follow, the pinned ones and the related
ones (asked by the same reviews the quotes come from), each with the review it
comes from; then the full references. A trainer can take it straight into a
team meeting or a webinar.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from kb.answer.learning import LearningEntry
from kb.workspace.export import CONTENT_NOTE, _stamp, _xml_safe
from kb.workspace.pinned import Collection, PinnedPassage, _now

QUESTION = "reflective_question"
ROLE_NAMES = {
    "finding": "Finding",
    "recommendation": "Recommendation",
    "reflective_question": "Reflective question",
    "practice_episode": "Key practice episode",
    "good_practice": "Good practice",
}


def pinned_from_entry(entry: LearningEntry) -> PinnedPassage:
    """A learning item as a pin, keyed by its place in its passage."""
    return PinnedPassage(
        chunk_id=entry.item_id,
        doc_id=entry.doc_id,
        file=entry.doc,
        title=entry.title or entry.doc,
        publisher=entry.publisher,
        year=entry.year,
        doc_type=entry.doc_type,
        page_start=entry.page_start,
        page_end=entry.page_end,
        heading=entry.section,
        text=entry.text,
        source_url=entry.source_url,
        note=_note(entry),
        pinned_at=_now(),
        role=entry.role,
    )


def _note(entry: LearningEntry) -> str:
    if entry.role == "recommendation" and entry.addressee:
        return f"Addressed to {entry.addressee} ({entry.addressee_level})"
    if entry.role == QUESTION and entry.audience:
        return f"For {entry.audience}"
    return ""


def related_questions(
    collection: Collection, questions: Sequence[LearningEntry]
) -> list[PinnedPassage]:
    """The collection's pinned questions, then the library's questions from the
    documents its other items come from (each once)."""
    pinned = [p for p in collection.items if p.role == QUESTION]
    docs = {p.doc_id for p in collection.items if p.role != QUESTION}
    seen = {" ".join(p.text.split()) for p in pinned}
    out = list(pinned)
    for q in questions:
        if q.role == QUESTION and q.doc_id in docs and q.text not in seen:
            seen.add(q.text)
            out.append(pinned_from_entry(q))
    return out


def to_session_pack(collection: Collection, questions: Sequence[LearningEntry] = ()) -> bytes:
    """The DOCX: quotes with references, reflective questions, references."""
    from docx import Document as DocxDocument  # python-docx: only exports need it

    quotes = [p for p in collection.items if p.role != QUESTION]
    asked = related_questions(collection, questions)
    doc = DocxDocument()
    doc.core_properties.title = _xml_safe(f"Session pack: {collection.name}")
    doc.add_heading(_xml_safe(f"Session pack: {collection.name}"), level=0)
    doc.add_paragraph(
        f"{len(quotes)} quote(s) and {len(asked)} reflective question(s), "
        f"exported {_stamp()} from kb."
    ).runs[0].italic = True
    doc.add_paragraph(CONTENT_NOTE).runs[0].italic = True
    doc.add_heading("What the reviews found", level=1)
    for n, p in enumerate(quotes, 1):
        kind = ROLE_NAMES.get(p.role, "Passage")
        doc.add_heading(_xml_safe(f"{n}. {kind}: {p.title}"), level=2)
        doc.add_paragraph(_xml_safe(" ".join(p.text.split())), style="Quote")
        if p.note:
            doc.add_paragraph(_xml_safe(p.note)).runs[0].italic = True
        doc.add_paragraph(_xml_safe(f"Reference: {p.reference()}"))
    doc.add_heading("Reflective questions", level=1)
    if not asked:
        doc.add_paragraph("None of these reviews sets reflective questions.")
    for p in asked:
        line = doc.add_paragraph(_xml_safe(" ".join(p.text.split())), style="List Bullet")
        line.add_run(_xml_safe(f" ({p.note + '; ' if p.note else ''}{p.title}, {p.pages})"))
    doc.add_heading("References", level=1)
    for ref in dict.fromkeys(p.reference() for p in (*quotes, *asked)):
        doc.add_paragraph(_xml_safe(ref), style="List Number")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
