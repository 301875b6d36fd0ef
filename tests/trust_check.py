"""The issue-13 trust check: what no answer sentence or heading may be.

No answer sentence, finding sentence (key or "also in") or passage heading may
carry a footnote marker glued to a word, read as a contents entry, or state a
myth from a Myth/Fact table. The check is independent of the marks where it
can be (plain patterns on the quoted text); myths are known only from the
tables, so it collects every myth the store's chunks name and looks for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kb.answer.model import Answer
from kb.records import FACT, MYTH, Chunk

GLUED = re.compile(
    r"(?:(?<=[a-z]{3})|(?<=[A-Za-z]\))|(?<=[a-z][\u2019\u201d\"'])|(?<=[a-z][.,;:!?][\u2019\u201d\"']))"
    r"\d{1,3}(?![\w])"
)
CONTENTS = re.compile(
    r"(?:\.{4,}|\u2026{2,})\s*\d{1,3}\s*$|^[^.!?;:]*[A-Za-z?\u201d\u2019)]\s\d{1,3}$"
)
# "Level 4", "Phase 9": a label's number, not a page number.
LABEL = re.compile(r"\b(?:level|phase|tier|step|stage|year|part|section|age)\s\d{1,3}$", re.I)


def known_myths(chunks: Iterable[Chunk]) -> set[str]:
    out: set[str] = set()
    for c in chunks:
        out |= {" ".join(m.note.split()).lower() for m in c.marks if m.kind == FACT}
        out |= {
            " ".join(c.text[m.start : m.end].split()).lower() for m in c.marks if m.kind == MYTH
        }
    return {m for m in out if len(m.split()) >= 4}


def problems(answer: Answer, myths: set[str]) -> list[str]:
    found: list[str] = []
    texts = [("sentence", s.text) for s in answer.sentences]
    texts += [("finding", s.text) for f in answer.findings for s in f.supports]
    texts += [("heading", h) for hit in answer.passages for h in hit.chunk.heading_path]
    for what, text in texts:
        flat = " ".join(text.split())
        if GLUED.search(flat):
            found.append(f"{what} with a footnote marker: {flat[:120]}")
        if CONTENTS.search(flat) and not LABEL.search(flat):
            found.append(f"{what} reads as a contents entry: {flat[:120]}")
        low = flat.lower()
        if any(m in low for m in myths if not low.startswith("no")):
            found.append(f"{what} states a myth: {flat[:120]}")
    return found
