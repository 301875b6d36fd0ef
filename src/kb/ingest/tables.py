"""Myth/Fact tables read as pairs, so that a myth is never quoted as a statement.

Guidance often busts myths in a two-column table ("Myth | Fact", "The Myth |
The Truth", "Myth | Reality"). A PDF text layer flattens each row into one
line ("Consent is always needed to share personal information No - you do not
necessarily need ..."), or puts the myth on a line of its own (where it looks
like a heading) and the answer on the next. Read as prose, the myth is the
first thing the row says. Here each row becomes a ``MYTH`` mark over the myth
and a ``FACT`` mark over the answer whose note is the myth, so an answer can
quote the fact and show the myth only as "Myth: ...".

Rows are looked for only just after the word "myth" (a heading, a table
header, "Below are common myths ..."), so "No, ..." elsewhere is prose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb.records import FACT, MYTH, Mark, Page

# How many lines after a mention of myths a table's rows may run.
ZONE_LINES = 40
_MENTION = re.compile(r"\bmyths?\b", re.IGNORECASE)
# A myth has no sentence punctuation and is answered by "No" ("No -", "No,", "No.").
_ROW = re.compile(
    r"^(?P<myth>[A-Z][^.!?;:]{10,220}?)\s+(?P<fact>No\b\s*[,.:\-\u2013\u2014]?\s+\S.*)$"
)
_ANSWER = re.compile(r"^No\b\s*[,.:\-\u2013\u2014]?\s+\S")
_OPEN = re.compile(r"[.!?:;,]['\u2019\u201d\")]*\s*$")
# Labelled rows: "⮽ The Myth ... ☑ The Truth ...", "Myth: ... Fact: ...".
_MYTH_LABEL = re.compile(r"(?:\u2bbd\s*)?(?:\bThe Myth\b|\bMyth\s*:)\s*")
_FACT_LABEL = re.compile(
    r"(?:\u2611\s*)?(?:\bThe (?:Truth|Fact|Reality)\b|\b(?:Truth|Fact|Reality)\s*:)\s*"
)


def _flat(text: str) -> str:
    return " ".join(text.split())


def row_marks(text: str, start: int, end: int, nxt: tuple[int, int] | None) -> list[Mark]:
    """The myth and fact of one line (and the next, when the line is a bare myth)."""
    line = text[start:end]
    m = _ROW.match(line)
    if m:
        myth = _flat(m.group("myth"))
        return [
            Mark(start, start + m.end("myth"), MYTH),
            Mark(start + m.start("fact"), end, FACT, myth),
        ]
    bare = len(line.split()) >= 3 and line[:1].isupper() and not _OPEN.search(line)
    if bare and nxt is not None and _ANSWER.match(text[nxt[0] : nxt[1]]):
        return [Mark(start, end, MYTH), Mark(nxt[0], nxt[1], FACT, _flat(line))]
    return []


def labelled_marks(text: str, start: int, end: int, myth: str) -> tuple[list[Mark], str]:
    """Rows with their labels in one line: a myth runs from its label to the fact's
    label or the line's end. ``myth`` is one still waiting for its fact (a labelled
    myth on a line of its own); the one left waiting is returned."""
    labels = sorted(
        [(m.start(), m.end(), MYTH) for m in _MYTH_LABEL.finditer(text, start, end)]
        + [(m.start(), m.end(), FACT) for m in _FACT_LABEL.finditer(text, start, end)]
    )
    out: list[Mark] = []
    for i, (s, e, kind) in enumerate(labels):
        stop = labels[i + 1][0] if i + 1 < len(labels) else end
        body = text[e:stop].rstrip()
        if not body:
            continue
        if kind == MYTH:
            myth = _flat(body)
            out.append(Mark(s, e + len(body), MYTH))
        elif myth:
            out.append(Mark(e, e + len(body), FACT, myth))
            myth = ""
    return out, myth


def myth_marks(pages: Sequence[Page]) -> dict[int, list[Mark]]:
    """MYTH and FACT marks by page number."""
    out: dict[int, list[Mark]] = {}
    budget = 0
    pending = ""  # a labelled myth whose fact is on a later line
    for page in pages:
        text = page.text
        spans = [(s, s + len(ln)) for s, ln in _lines(text) if ln.strip()]
        marks: list[Mark] = []
        taken = -1  # end of the last line already read as a fact
        for i, (s, e) in enumerate(spans):
            if _MENTION.search(text, s, e):
                budget = ZONE_LINES
            if budget <= 0:
                continue
            budget -= 1
            if s < taken:
                continue
            row, pending = labelled_marks(text, s, e, pending)
            if not row:
                row = row_marks(text, s, e, spans[i + 1] if i + 1 < len(spans) else None)
            marks += row
            taken = max([m.end for m in row], default=taken)
        if marks:
            out[page.number] = marks
    return out


def _lines(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    offset = 0
    for line in text.split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out
