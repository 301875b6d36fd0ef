"""A passage cut into the blocks a review is written in: headings, paragraphs, list items.

Extracted PDF text keeps one paragraph, heading or bullet per line, but a
run-in label ("Finding 3: ...", "Recommendation 9: ...") can land in the middle
of a line when the layout joins paragraphs, so lines are also cut before such a
label. A line is a heading when the parser found it as one (any heading on the
document's heading paths) or when it looks like one: short, numbered or
title-like, and not ending a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from kb.enrich.sections import LEARNING_ROLES, heading_role

# A run-in label that starts a numbered finding, learning point or recommendation.
LABEL = re.compile(
    r"(?:(?<=\s)|^)(?:\d{1,2}(?:\.\d{1,2})*\.?\s+)?"
    r"(?:key\s+)?(?:finding|learning\s+point|lesson|recommendation)s?\s*\d{0,2}[a-z]?\s*[:\u2013]",
    re.IGNORECASE,
)
_SYMBOL = r"[-\u2022\u25cf\u25aa\u2013*\u27a2\u25e6\uf0b7]\s+"
_SYMBOL_BULLET = re.compile(rf"^\s*{_SYMBOL}")
# A list item: a bullet symbol, or "1." / "(a)" / "ii)" before a sentence.
_BULLET = re.compile(rf"^\s*(?:{_SYMBOL}|\(?(?:[a-z]|[0-9]{{1,2}}|[ivx]{{1,4}})[.)]\s+)")
_NUMBERED_HEADING = re.compile(
    r"^\s*(?:\d{1,2}(?:\.\d{1,2})*\.?|[A-Z]\.|appendix\s+\w+)\s+\S", re.I
)
_HEADING_MAX_WORDS = 14
_NAMED_PART_MAX_WORDS = 7
# A numbered list run into one line by the parser: "... shared. 2) Hartwell Police ...".
_INLINE_ITEM = re.compile(r"(?<=[.!?])\s+(?=\(?\d{1,2}[.)]\s+[A-Z])")


@dataclass(frozen=True)
class Block:
    """One heading, paragraph or list item of a passage."""

    text: str
    heading: bool = False
    bullet: bool = False


_LABEL_WORDS = ("finding", "lesson", "recommendation", "learning point")


def split_labels(line: str) -> list[str]:
    """``line`` cut before every run-in label after its start."""
    low = line.lower()
    if not any(word in low for word in _LABEL_WORDS):
        return [line.strip()]  # most lines: no label, and the regex is the cost
    cuts = [m.start() for m in LABEL.finditer(line) if m.start() > 0]
    pieces, start = [], 0
    for cut in cuts:
        if line[start:cut].strip():
            pieces.append(line[start:cut].strip())
        start = cut
    if line[start:].strip():
        pieces.append(line[start:].strip())
    return pieces


def names_a_part(text: str) -> bool:
    return heading_role(text) in LEARNING_ROLES


def looks_like_heading(line: str, known: Collection[str] = ()) -> bool:
    text = " ".join(line.split())
    if text in known:
        return True
    words = text.split()
    if not words or len(words) > _HEADING_MAX_WORDS or _SYMBOL_BULLET.match(text):
        return False
    if text.endswith((".", ",", ";", "?", "!")) or text[0].islower():
        return False
    if _NUMBERED_HEADING.match(text):
        return True
    # (A line ending in a colon introduces a list: "We recommend that:" is a lead-in.)
    if len(words) <= _NAMED_PART_MAX_WORDS and not text.endswith(":") and names_a_part(text):
        return True  # "Key findings", "Questions for practitioners": sentence case
    # An unnumbered title: few words, most of the longer ones capitalised, or a
    # line that ends with a colon that names a list ("Reflective questions:").
    long_words = [w for w in words if len(w) > 3]
    capitals = sum(1 for w in long_words if w[0].isupper())
    return len(words) <= 8 and (not long_words or capitals * 2 >= len(long_words))


def blocks_of(text: str, known_headings: Collection[str] = ()) -> list[Block]:
    """The blocks of a passage's text, in order."""
    out: list[Block] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        for piece in (p for part in _INLINE_ITEM.split(line) for p in split_labels(part)):
            flat = " ".join(piece.split())
            if not any(ch.isalnum() for ch in flat):
                # A bullet symbol on a line of its own (PDF text often breaks after
                # it) is no text, and no heading: it named 48 recommendations'
                # section "•" on the real corpus.
                continue
            if looks_like_heading(flat, known_headings):
                out.append(Block(flat, heading=True))
                continue
            bullet = bool(_BULLET.match(flat))
            if bullet and _SYMBOL_BULLET.match(flat):
                flat = _SYMBOL_BULLET.sub("", flat, count=1)  # the symbol is not text
            out.append(Block(flat, bullet=bullet))
    return out
