"""Turn a page's cleaned lines into running text plus the headings on it.

PDF text layers keep the typesetter's line breaks but not paragraphs or
headings. This module decides, line by line, whether a break is a soft wrap
(becomes a space), a paragraph break (stays a newline) or a heading (a
newline on both sides, recorded with its level). Pure functions only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb.records import Heading, Page

# "3", "3.4", "3.4.1", "Section 2", "Appendix A", "Part 1", "Chapter 4"
_NUMBERED = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(?P<rest>\S.*)$")
_LABELLED = re.compile(r"^(?:section|part|chapter|appendix|annex)\s+[\dA-Z]{1,3}\b", re.IGNORECASE)
_BULLET = re.compile(
    r"^(?:[\u2022\u25cf\u25aa\u25e6\u2023\u2043\u2219\u00b7\uf0b7\uf0a7*\-–o]\s|"
    r"\(?[a-z]\)\s|\(?[ivx]{1,4}\)\s|\d{1,2}[.)]\s)"
)
_SENTENCE_END = re.compile(r"[.!?:;]['\u2019\u201d\")]?$")
_HAS_LETTER = re.compile(r"[A-Za-z]")


def typical_line_length(lines: Sequence[str]) -> int:
    lengths = sorted(len(ln) for ln in lines if len(ln) > 20)
    if not lengths:
        return 80
    return lengths[int(0.8 * (len(lengths) - 1))]


def heading_level(line: str, prev: str | None, nxt: str | None, typical: int) -> int:
    """The heading level of ``line`` (1-4), or 0 when it is body text.

    Headings are short, carry no closing punctuation, start with a capital or a
    section number, and are followed by something that starts afresh.
    """
    text = line.strip()
    words = text.split()
    if not text or len(text) > 90 or len(words) > 14 or not _HAS_LETTER.search(text):
        return 0
    if text[-1] in ".,;:" or words[-1].lower() in ("and", "or", "the", "of", "to"):
        return 0
    if nxt is not None and nxt[:1].islower():
        return 0  # the sentence runs on, so this is a wrapped line
    prev_ended = prev is None or bool(_SENTENCE_END.search(prev)) or len(prev) < 0.6 * typical
    m = _NUMBERED.match(text)
    if m:
        rest = m.group("rest")
        if not rest[:1].isupper() or len(words) > 12:
            return 0
        return min(m.group("num").count(".") + 1, 4)
    if _BULLET.match(text) or not prev_ended:
        return 0
    if not text[:1].isupper():
        return 0
    if _LABELLED.match(text):
        return 1
    if len(text) > 0.85 * typical or len(words) > 10:
        return 0
    # Mostly capitalised words (title case) or all caps reads as a heading;
    # a short sentence-case line qualifies only when it is clearly isolated.
    caps = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    if text.isupper() or caps / len(words) >= 0.6:
        return 2
    return 3 if len(words) <= 7 else 0


def starts_block(line: str) -> bool:
    """Lines that always begin a new paragraph: bullets and numbered paragraphs."""
    return bool(_BULLET.match(line) or _NUMBERED.match(line))


def layout_page(number: int, lines: Sequence[str], *, ocr: bool = False) -> Page:
    """Join a page's lines into text; headings and paragraphs become newlines."""
    typical = typical_line_length(lines)
    parts: list[str] = []
    headings: list[Heading] = []
    length = 0
    prev_line: str | None = None
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        level = heading_level(line, prev_line, nxt, typical)
        if not parts:
            sep = ""
        elif (
            level
            or starts_block(line)
            or prev_heading(headings, length)
            or prev_line is not None
            and _SENTENCE_END.search(prev_line)
            and len(prev_line) < 0.8 * typical
        ):
            sep = "\n"
        else:
            sep = " "
        length += len(sep)
        if level:
            headings.append(Heading(offset=length, level=level, text=line.strip()))
        parts.append(sep + line)
        length += len(line)
        prev_line = line
    return Page(number=number, text="".join(parts), headings=tuple(headings), ocr=ocr)


def prev_heading(headings: Sequence[Heading], length: int) -> bool:
    """True when the text so far ends with a heading, so the next line starts afresh."""
    return bool(headings) and headings[-1].offset + len(headings[-1].text) == length
