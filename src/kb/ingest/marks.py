"""Boilerplate on a document's pages, marked at ingest so that no consumer states it.

A page carries text that is not the document saying something: the title page,
contents entries, footnotes and the numbers glued to words that point to them,
reference lists, cross-references ("See section 7 for ...") and notices that
the document is fictional. Each detector here finds one kind in cleaned page
text and returns ``Mark`` spans (offsets into that page's text); ``mark_pages``
runs them all, with the Myth/Fact tables of ``kb.ingest.tables``. Running
headers and footers never get this far: ``kb.parse.clean`` strips them.

The text is never changed: a mark only says what a span is, so every citation
still points at the words on the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from kb.ingest.tables import myth_marks
from kb.records import (
    CONTENTS,
    FOOTNOTE,
    MARKER,
    NOTICE,
    REFERENCE,
    TITLE,
    XREF,
    Mark,
    Page,
)
from kb.text.sentences import split_sentences

# A title page is short; a first page with more words than this is content.
TITLE_PAGE_MAX_WORDS = 150
# Lines of a first page that are its publication details, wherever they sit.
_TITLE_LINE = re.compile(
    r"^(?:published|publication date|date of publication|author|authors|independent"
    r" (?:reviewer|author|chair)|lead reviewer|prepared by|presented by|version)\b\s*[:\-]?",
    re.IGNORECASE,
)
_CONTENTS_HEAD = re.compile(r"^\s*(?:table of )?contents(?: page)?\s*$", re.IGNORECASE)
_DOTTED = re.compile(r"(?:\.{4,}|\u2026{2,}|(?:\. ){4,})\s*\d{1,3}\s*$")
_ENDS_IN_PAGE = re.compile(r"\D\s\d{1,3}\s*$")
# "Level 4", "Phase 9", "Tier 2": a number that is part of a label, not a page.
_LABEL_NUMBER = re.compile(
    r"\b(?:level|phase|tier|step|stage|year|part|section|chapter|annex|appendix|table|figure"
    r"|box|age|key stage|version|page)\s\d{1,3}\s*$",
    re.IGNORECASE,
)
# Lines in a row ending in page numbers that make a listing without a "Contents" line.
CONTENTS_RUN = 3
# A footnote number glued to the end of a word ("agencies12", "(CCE)13"): after
# three lower-case letters or a closing bracket, one to three digits, then no
# more of the word. Capitals before the digits are a code ("PE1", "Y10").
# (Found from the digits, which are rare, then checked behind: much faster
# than a look-behind at every character.)
_DIGITS = re.compile(r"(?<=[a-z)\u201d\u2019\"'])\d{1,3}(?!\w)")
# A numbered "heading" past this number in a footnoted document is a footnote
# ("93 Children Act 1989 Section 17ZD"): sections are numbered "9." or "9.3".
FOOTNOTE_HEADING_FROM = 20
# ... and glued to the year of a named Act ("Data Protection Act 201812").
_YEAR_MARKER = re.compile(r"\b(?:Act|Regulations|Order|Rules) (?:19|20)\d\d(\d{1,3})\b")
_FOOTNOTE_LINE = re.compile(r"^(\d{1,3}) \S")
# A footnote number set apart from the sentence it ends ("... other services. 17 \u201cWhat
# we ..."): after a full stop on the same line, before a capital or an opening quote.
_DETACHED = re.compile(r"[.!?][\"\u201d\u2019)]?[ \t]+(\d{1,3})[ \t]+(?=[\"\u201c\u2018'A-Z])")
_REFERENCES_HEAD = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\.?\s+)?(?:references|bibliography|endnotes|footnotes|notes"
    r"|sources|further reading|reference list)\s*$",
    re.IGNORECASE,
)
# "Smith, J. (2019) ...", "Smith J, Jones K (2019)", "Smith et al. (2019)".
_REFERENCE_LINE = re.compile(
    r"^[A-Z][A-Za-z'\u2019\-]+(?:,\s(?:[A-Z]\.\s?){1,3}|\s[A-Z]{1,2},|\set al\.?).{0,200}?"
    r"(?:\((?:19|20)\d\d[a-z]?\)|(?:19|20)\d\d[a-z]?[.,])"
)
_XREF_SENTENCE = re.compile(
    r"^(?:please\s+)?(?:see|refer to|for (?:more|further) (?:information|details|guidance)"
    r"[^.]{0,40}?,?\s*see)\s[^.]{0,60}?\b(?:section|paragraph|chapter|annex|appendix|page"
    r"|part|figure|table|box|below|above|\d)",
    re.IGNORECASE,
)
# A signpost to other reading ("Guidance on referrals can be found here."), not a
# statement of what anyone found or must do.
_SIGNPOST = re.compile(
    r"^(?:further |more |additional |detailed )?(?:information|guidance|advice|details)\b"
    r"[^.]{0,160}?\b(?:can|may) be (?:found|accessed|downloaded)\s"
    r"(?:here|at|on|online|from|via|in\b(?=[^.]*\b(?:guidance|website|www|https?|annex|appendix"
    r"|document|publication|link|toolkit|section|chapter)))",
    re.IGNORECASE,
)
# A sentence that only announces another publication by its title ("The
# government has also produced Information Sharing Advice for Safeguarding
# Practitioners."): everything after the verb is the title, capitalised words
# and the small words between them.
_TITLE_WORD = r"(?:[A-Z][\w'\u2019\-]*|and|for|of|on|the|to|in|with|&)"
_ANNOUNCES = re.compile(
    r"^[^.]{0,60}?\b(?:has|have)\s(?:also\s|now\s|recently\s)?(?:produced|published|issued"
    rf"|released)\s(?:the\s|a\s|an\s|its\s|their\s)?{_TITLE_WORD}(?:[\s:,]+{_TITLE_WORD})*"
    r"\s*[.]?$"
)
_XREF_INLINE = re.compile(r"\((?:see|refer to|as set out in)\s[^()]{1,80}\)", re.IGNORECASE)
_NOTICE_WORDS = ("fictional", "invented", "cited", "written")
_NOTICE = re.compile(
    r"\b(?:this|the) (?:document|report|review|publication|sample)\b[^.]{0,40}\b"
    r"(?:fictional|invented)\b|\bfictional (?:sample|annual report|document|report|review)\b"
    r"|\bwritten (?:to test|as sample material)\b|\bmust not be cited\b"
    r"|\bare (?:all )?invented\b|^FICTIONAL\b",
    re.IGNORECASE,
)


def lines_of(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each non-blank line of ``text``, without its newline."""
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            yield offset, offset + len(line)
        offset += len(line) + 1


def title_page(pages: Sequence[Page]) -> list[Mark]:
    """The first page when it is a title page; otherwise its publication lines."""
    if not pages:
        return []
    first = pages[0]
    if len(pages) >= 3 and len(first.text.split()) <= TITLE_PAGE_MAX_WORDS:
        return [Mark(s, e, TITLE) for s, e in lines_of(first.text)]
    lines = lines_of(first.text)
    return [Mark(s, e, TITLE) for s, e in lines if _TITLE_LINE.match(first.text[s:e])]


def _entry(line: str) -> bool:
    tail = line.rstrip()[-24:]  # the patterns are anchored at the end: test only the end
    return bool(_ENDS_IN_PAGE.search(tail)) and not _LABEL_NUMBER.search(tail)


def _dotted(line: str) -> bool:
    return bool(_DOTTED.search(line.rstrip()[-40:]))


def contents(page: Page, continues: bool) -> tuple[list[Mark], bool]:
    """Contents entries on ``page``, and whether its contents run on to the next page.

    Within a contents listing (after a "Contents" line, or on a page after one
    whose lines mostly end in a page number) a line ending in a page number is
    an entry, as is each of a run of ``CONTENTS_RUN`` such lines anywhere;
    otherwise only dotted leaders make one.
    """
    spans = list(lines_of(page.text))
    entry = [_entry(page.text[s:e]) for s, e in spans]
    out: list[Mark] = []
    entries = 0
    inside = continues
    for i, (s, e) in enumerate(spans):
        line = page.text[s:e]
        in_run = any(all(entry[j : j + CONTENTS_RUN]) for j in range(i - CONTENTS_RUN + 1, i + 1)
                     if j >= 0 and j + CONTENTS_RUN <= len(spans))
        if _CONTENTS_HEAD.match(line):
            inside = True
            out.append(Mark(s, e, CONTENTS))
        elif _dotted(line) or entry[i] and (inside or in_run):
            out.append(Mark(s, e, CONTENTS))
            entries += 1
    if continues and entries * 2 < len(spans):
        # The listing ended on the previous page: only dotted lines and runs count here.
        out = [m for m in out if _dotted(page.text[m.start : m.end])]
        return out, False
    return out, inside and entries * 2 >= len(spans)


def _glued(before: str) -> bool:
    """Whether the three characters before some digits end a word they are glued to."""
    if before[-1:] in "\u201d\u2019\"'":  # "... harm”97": after a word's closing quote,
        # or after the full stop or comma inside it ("... confidence.'18 How")
        return len(before) >= 2 and (
            before[-2].isalpha() or (before[-2] in ".,;:!?" and before[-3:-2].isalpha())
        )
    if before.endswith(")"):
        return len(before) >= 2 and before[-2].isalpha()
    return len(before) == 3 and all("a" <= ch <= "z" for ch in before)


def footnote_markers(page: Page) -> list[Mark]:
    """Footnote numbers glued to words."""
    text = page.text
    found = [
        Mark(m.start(), m.end(), MARKER)
        for m in _DIGITS.finditer(text)
        if _glued(text[max(0, m.start() - 3) : m.start()])
    ]
    found += [Mark(m.start(1), m.end(1), MARKER) for m in _YEAR_MARKER.finditer(page.text)]
    return found


# A lower-case roman endnote numeral glued to a sentence's end ("... secure
# estate.xii The next ..."), as the Children's Commissioner's reports number them.
_ROMAN_MARKER = re.compile(r"(?<=[a-z][.\u2019\u201d\")])([ivx]{1,5})(?=\s)")


def roman_markers(page: Page) -> list[Mark]:
    """Glued roman endnote numerals, and the note itself where the text layer put
    it inline: a sentence that opens with a numeral glued earlier on the page
    ("xii However, in the most recent Annual Report ...") is the note, not the
    document's own statement."""
    text = page.text
    found = [Mark(m.start(1), m.end(1), MARKER) for m in _ROMAN_MARKER.finditer(text)]
    if not found:  # nearly every page: no sentence split needed
        return found
    glued = {m.start for m in found}
    sentences = split_sentences(text, 0)
    for numeral in {text[m.start : m.end] for m in found}:
        for m in re.finditer(rf"(?:(?<=\s)|^){numeral}\s+(?=[A-Z])", text):
            if m.start() not in glued:
                end = next((e for s, e in sentences if s <= m.end() < e), len(text))
                found.append(Mark(m.start(), end, FOOTNOTE))
    return found


def detached_markers(page: Page, numbers: set[str]) -> list[Mark]:
    """Footnote numbers standing alone between two sentences, when the document's
    glued markers (``numbers``) hold that number or the one before it: footnotes
    run in sequence, and a count or a list number rarely follows a full stop so."""
    return [
        Mark(m.start(1), m.end(1), MARKER)
        for m in _DETACHED.finditer(page.text)
        if m.group(1) in numbers or str(int(m.group(1)) - 1) in numbers
    ]


def footnote_lines(page: Page, numbers: set[str]) -> list[Mark]:
    """Lines opening with a footnote number that a marker in the document points to,
    and, in a document with footnotes, headings numbered like one."""
    heads = {h.offset for h in page.headings}
    out: list[Mark] = []
    for s, e in lines_of(page.text):
        m = _FOOTNOTE_LINE.match(page.text[s:e])
        if m and (
            m.group(1) in numbers
            or s in heads and len(numbers) >= 5 and int(m.group(1)) >= FOOTNOTE_HEADING_FROM
        ) and not _has_subsections(page, s, m.group(1)):
            out.append(Mark(s, e, FOOTNOTE))
    return out


def _has_subsections(page: Page, offset: int, number: str) -> bool:
    """Whether a heading numbered ``number`` follows ``offset`` on the page as a
    subsection of it ("5 Care placements", then "5.1 ..."): a section, since a
    footnote has none, however many footnotes are numbered 5."""
    sub = f"{number}."
    return any(
        h.offset > offset and h.text.startswith(sub) and h.text[len(sub) : len(sub) + 1].isdigit()
        for h in page.headings
    )


def references(page: Page, inside: bool) -> tuple[list[Mark], bool]:
    """Reference-list lines: under a References heading, or shaped like a reference."""
    heads = {h.offset for h in page.headings}
    out: list[Mark] = []
    for s, e in lines_of(page.text):
        line = page.text[s:e]
        if s in heads:
            inside = bool(_REFERENCES_HEAD.match(line))
            if inside:
                continue  # "References" names its section: the list under it is marked
        if inside or _REFERENCE_LINE.match(line):
            out.append(Mark(s, e, REFERENCE))
    return out, inside


def sentence_marks(page: Page) -> list[Mark]:
    """Cross-references and fictional notices, sentence by sentence."""
    out: list[Mark] = []
    text = page.text
    low = text.lower()
    notices = any(w in low for w in _NOTICE_WORDS)  # most pages have none: skip the search
    for ls, le in lines_of(text):
        for s, e in split_sentences(text[ls:le], ls):
            sentence = text[s:e]
            if notices and _NOTICE.search(sentence):
                out.append(Mark(s, e, NOTICE))
            elif _XREF_SENTENCE.match(bare := sentence.lstrip("\u2022*-\u2013 ")) or (
                _SIGNPOST.match(bare) or _ANNOUNCES.match(bare)
            ):
                out.append(Mark(s, e, XREF))
    out += [Mark(m.start(), m.end(), XREF) for m in _XREF_INLINE.finditer(text)]
    return out


def mark_pages(pages: Sequence[Page]) -> list[Page]:
    """``pages`` with their marks set, in text order."""
    # Marks the parser set (a matrix's cells, from character positions) are kept.
    found: dict[int, list[Mark]] = {p.number: list(p.marks) for p in pages}
    if pages:
        found[pages[0].number] += title_page(pages)
    numbers: set[str] = set()
    in_contents = in_references = False
    for page in pages:
        marks = found[page.number]
        markers = footnote_markers(page)
        numbers |= {page.text[m.start : m.end] for m in markers}
        listed, in_contents = contents(page, in_contents)
        refs, in_references = references(page, in_references)
        markers += detached_markers(page, numbers) + roman_markers(page)
        marks += markers + listed + refs + footnote_lines(page, numbers) + sentence_marks(page)
    for number, marks in myth_marks(pages).items():
        found[number] += marks
    return [
        replace(p, marks=tuple(sorted(set(found[p.number]), key=_order)))
        for p in pages
    ]


def _order(m: Mark) -> tuple[int, int, str]:
    return m.start, m.end, m.kind


def heading_label(page: Page, offset: int, text: str) -> str:
    """A heading's text without the footnote markers glued to it ("Statutory
    requirements216" is the section "Statutory requirements")."""
    if page.text[offset : offset + len(text)] != text:
        return text  # clipped or re-spaced: leave it as the parser gave it
    cut = [m for m in page.marks if m.kind == MARKER and offset <= m.start < offset + len(text)]
    for m in reversed(cut):
        text = text[: m.start - offset] + text[m.end - offset :]
    return text.rstrip()


def covered(marks: Sequence[Mark], offset: int, kinds: frozenset[str]) -> bool:
    """Whether a mark of one of ``kinds`` covers ``offset``."""
    return any(m.start <= offset < m.end and m.kind in kinds for m in marks)
