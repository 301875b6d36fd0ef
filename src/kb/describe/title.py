"""A document's title, read from its PDF Title entry or from the title block on its cover.

The Title entry is trusted only when it is meaningful (not "Microsoft Word - Document1",
not a bare type label) and its words are on the opening pages. The cover's title block is
the first run of title-like lines after the logos, markings and dates above it; a letter's
title is its subject line; a poster's is its first line in capitals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb.describe.doctype import STRONG_TYPE_RULES, WEAK_TYPE_RULES
from kb.describe.pages import COVER_LINES, URL_RE, page_lines
from kb.describe.publisher import is_org_line
from kb.describe.wordlists import word_list
from kb.describe.year import DATE_LINE_RE, YEAR_PATTERN, YEAR_RANGE_RE

MAX_TITLE_LINES = 7
MAX_TITLE_CHARS = 220

JUNK_TITLE_RE = re.compile(
    r"^(?:microsoft\s+(?:word|powerpoint|excel)\b.*|untitled.*|document\d*|presentation\d*"
    r"|powerpoint\s+presentation|slide\s*\d*|title|no\s+title|draft|final|template.*"
    r"|new\s+document|report|guidance|policy|contents|page\s*\d*|\W*)$",
    re.IGNORECASE,
)
FILE_EXT_RE = re.compile(r"\.(?:docx?|pdf|pptx?|xlsx?|indd|rtf|odt|txt|html?)\b", re.IGNORECASE)
SITE_SUFFIX_RE = re.compile(r"\s+[-|–—]\s+(?:GOV\.UK|gov\.uk)\s*$")
# Section headings that are never a title ("Contents", "Executive summary"), lower case.
GENERIC_HEADINGS = frozenset(word_list("generic_headings"))
META_KEY_RE = re.compile(
    r"^(?:authors?|written\s+by|prepared\s+by|independent\s+(?:author|reviewer)s?|lead\s+reviewers?"
    r"|reviewers?|published|publication\s+date|date|version|status|owner|document\s+owner"
    r"|approved(?:\s+by)?|review\s+date|classification|contact|ref(?:erence)?(?:\s+number)?"
    r"|chair|commissioned\s+by)\b\s*:",
    re.IGNORECASE,
)
# Capitalised notices above a cover's title: "DRAFT - NOT FOR CIRCULATION", "OFFICIAL".
BANNER_WORDS_RE = re.compile(
    r"\b(?:NOT|DRAFT|CONFIDENTIAL|EMBARGO(?:ED)?|SAMPLE|RESTRICTED|OFFICIAL|SENSITIVE"
    r"|PROTECTED|FICTIONAL|PRIVATE|REDACTED)\b"
)
CLASSIFICATION_RE = re.compile(
    r"^(?:research\s+report|policy\s+paper|government\s+response|consultation\s+outcome"
    r"|guidance|official(?:[\s-]+sensitive)?|protected|restricted|confidential|not\s+protectively"
    r"\s+marked|draft|final(?:\s+draft)?|for\s+publication|not\s+for\s+publication|easy\s+read"
    r"|hm\s+government|gov\.uk|logo)\W*$",
    re.IGNORECASE,
)
PAGE_NUMBER_RE = re.compile(r"^(?:page\s*)?\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?$", re.IGNORECASE)
BULLET_RE = re.compile(r"^(?:[•◼▪■●➢►✓☑\-–*]|o\s|\d+[.)]\s)")
# Words a title keeps in lower case ("a", "of", "the").
SMALL_WORDS = frozenset(word_list("small_words"))


def title_from_info(raw: str, head: Sequence[str]) -> str:
    """The PDF's Title entry, unless it is a placeholder or belongs to another document."""
    title = SITE_SUFFIX_RE.sub("", raw).strip(" -–|")
    if not _meaningful_title(title):
        return ""
    # Templates carry the title of whatever document they were copied from; trust the entry
    # only if most of its words are on the first pages.
    words = _tokens(title)
    body = set(_tokens(" ".join(head)))
    if body and words and sum(w in body for w in words) / len(words) < 0.5:
        return ""
    return _tidy_title(title, head)


def comes_after(info_title: str, text_title: str, head: Sequence[str]) -> bool:
    """True when the page prints ``info_title`` only below the whole ``text_title`` block."""
    page = " " + " ".join(_tokens(next((p for p in head if p.strip()), ""))) + " "
    text = " ".join(_tokens(text_title))
    at_info = page.find(" " + " ".join(_tokens(info_title)) + " ")
    at_text = page.find(" " + text + " ")
    return at_text >= 0 and at_text + len(text) < at_info


def _meaningful_title(title: str) -> bool:
    if len(title) < 4 or JUNK_TITLE_RE.match(title) or FILE_EXT_RE.search(title):
        return False
    if title.endswith(":") or title.lower() in GENERIC_HEADINGS:
        return False  # a section label such as "Policy Statement:"
    # One word ("Threshold", "Final-Report-2023") or a file name ("LSCP_Factsheet_v3").
    if len(title.split()) < 2 or "_" in title:
        return False
    # A bare type label ("Local Child Safeguarding Practice Review") left by a template.
    label = re.sub(
        rf"^(?:an?|the)\s+|\s*\b{YEAR_PATTERN}\b", "", title, flags=re.IGNORECASE
    ).strip()
    if any(
        re.fullmatch(rf"(?:{pattern})\w*", label, re.IGNORECASE)
        for pattern, _type in (*STRONG_TYPE_RULES, *WEAK_TYPE_RULES)
    ):
        return False
    letters = sum(c.isalpha() for c in title)
    return letters >= 0.6 * len(title.replace(" ", ""))


def title_from_text(head: Sequence[str], info_title: str) -> str:
    if not head:
        return ""
    page_index = 0
    # An image-only cover leaves page 1 without text; the title is then on page 2.
    while page_index < len(head) - 1 and len(head[page_index].strip()) < 20:
        page_index += 1
    lines = page_lines(head[page_index])[: COVER_LINES * 3]
    others = [page_lines(p) for i, p in enumerate(head) if i != page_index]
    # Running headers such as "Revised Threshold Guidance 11/4/2022 FINAL" label a version,
    # not the title; a header that merely repeats the title carries no date and is kept.
    repeated = {
        line
        for other in others
        for line in other[:3] + other[-3:]
        if len(line) > 3 and re.search(r"\d", line)
    }

    letter = _letter_subject(lines, repeated)
    if letter:
        return _tidy_title(letter, head)

    block, end = _title_block(lines, 0, repeated)
    title = _join_title(block)
    if not title or _weak_block(block, lines, end):
        caps = _caps_title(lines)
        if caps:
            title = caps
    if not title:
        title = _expand_short_info_title(lines, info_title)
    return _tidy_title(title, head) if title else ""


def _letter_subject(lines: Sequence[str], repeated: set[str]) -> str:
    """Ofsted and other letters: the subject line follows the salutation."""
    for i, line in enumerate(lines[:COVER_LINES]):
        if re.match(r"^Dear\s+\S", line):
            block, _ = _title_block(lines, i + 1, repeated)
            return _join_title(block)
    return ""


def _skippable(line: str, repeated: set[str]) -> bool:
    """Lines that sit above a title on a cover: page numbers, markings, logos, dates."""
    if not line or not re.search(r"[A-Za-z]", line):
        return True
    if (
        PAGE_NUMBER_RE.match(line)
        or CLASSIFICATION_RE.match(line)
        or DATE_LINE_RE.match(line)
        or URL_RE.fullmatch(line)
        or line in repeated
    ):
        return True
    if re.match(r"^(?:©|\(c\)|copyright\b)", line, re.IGNORECASE):
        return True
    if _mostly_caps(line) and BANNER_WORDS_RE.search(line):
        return True
    # "12Figure", "v5": layout debris with no spaces, mixing digits and letters.
    if " " not in line and re.search(r"\d", line):
        return True
    if re.match(r"^(?:version|v)\s*\d", line, re.IGNORECASE):
        return True
    return is_org_line(line)


def _title_block(lines: Sequence[str], start: int, repeated: set[str]) -> tuple[list[str], int]:
    """The first run of title-like lines from ``start``; returns it and where it stopped."""
    i = start
    while i < len(lines) and i < start + COVER_LINES and _skippable(lines[i], repeated):
        i += 1
    block: list[str] = []
    blanks = 0
    while i < len(lines) and len(block) < MAX_TITLE_LINES:
        line = lines[i]
        if not line:
            blanks += 1
            if block and blanks >= 3:
                break
            i += 1
            continue
        blanks = 0
        low = line.lower().strip(" :.")
        if low in GENERIC_HEADINGS or META_KEY_RE.match(line) or BULLET_RE.match(line):
            break
        if block and (
            re.fullmatch(YEAR_PATTERN, line) or YEAR_RANGE_RE.fullmatch(line.strip("()"))
        ):
            block.append(line)  # "Working Together to Safeguard Children / 2023", "2022/23"
            i += 1
            continue
        if block and (_skippable(line, repeated) or line.endswith(":")):
            break
        words = line.split()
        if len(words) > (16 if block else 25) or (line.endswith(".") and len(words) > 5):
            break
        if _starts_prose(lines, i):
            break
        if line.endswith("?"):
            if not block:
                block.append(line)
            break
        if SITE_SUFFIX_RE.search(line):
            block.append(SITE_SUFFIX_RE.sub("", line))  # an HTML page's <title>
            break
        block.append(line)
        if sum(len(b) + 1 for b in block) > MAX_TITLE_CHARS:
            break
        i += 1
    return block, i


def _starts_prose(lines: Sequence[str], i: int) -> bool:
    """A long line that wraps on into a sentence is body text, not a title."""
    line = lines[i]
    if len(line.split()) < 9:
        return False
    if line.endswith((".", ";")) or re.search(r"[a-z]\.\s+[A-Z]", line):
        return True
    following = [n for n in lines[i + 1 : i + 5] if n]
    if not following:
        return False
    if following[0][:1].islower():
        return True
    # "... the threshold for Police or" runs on; a sentence ends a line or two later.
    runs_on = line.endswith(",") or line.split()[-1].lower() in SMALL_WORDS
    return runs_on and any(
        n.endswith((".", ";")) or re.search(r"[a-z]\.\s+[A-Z]", n) for n in following[:3]
    )


def _weak_block(block: Sequence[str], lines: Sequence[str], end: int) -> bool:
    """A lone short line straight above prose is more likely a label than a title."""
    if len(block) != 1 or len(block[0].split()) > 6 or _mostly_caps(block[0]):
        return False
    nxt = next((n for n in lines[end : end + 2] if n), "")
    return len(nxt.split()) >= 10


def _caps_title(lines: Sequence[str]) -> str:
    """The first multi-word ALL-CAPS line on the page, as flowcharts and posters set titles."""
    for line in lines[: COVER_LINES * 2]:
        if (
            len(line.split()) >= 4
            and _mostly_caps(line)
            and not _skippable(line, set())
            and line.lower().strip(" :.") not in GENERIC_HEADINGS
        ):
            return line
    return ""


def _expand_short_info_title(lines: Sequence[str], info_title: str) -> str:
    """A one-word Title entry ("Threshold") often begins the real title line on the page."""
    word = info_title.strip()
    if not word or " " in word or len(word) < 4:
        return ""
    for line in lines:
        n = len(line.split())
        if 2 <= n <= 15 and line.lower().startswith(word.lower()) and not line.endswith("."):
            return line
    return ""


def _join_title(block: Sequence[str]) -> str:
    """Join a title block's lines, marking a subtitle with a colon.

    A title that already reads "Review: Child H" drops its subtitle, which only describes
    the case; otherwise the subtitle follows a colon ("... 2024: Statutory guidance for...").
    """
    text = ""
    for line in block:
        if not text:
            text = line
        elif text.endswith("-") and not text.endswith(" -"):
            # Split at a hyphen: "Multi-/Agency" keeps it, "safe-/guarding" was a line break.
            text = (text[:-1] if line[:1].islower() else text) + line
        elif _starts_subtitle(text, line):
            if ":" in text:
                break
            text = f"{text.rstrip(' :–-')}: {line}"
        else:
            text = f"{text} {line}"
    return text.strip(" :-–,;")


def _starts_subtitle(before: str, line: str) -> bool:
    """A sentence-case line after a complete phrase starts a subtitle."""
    last = before.split()[-1].lower() if before.split() else ""
    if last in SMALL_WORDS or before.endswith((",", "&", "-", "–")) or not line[:1].isupper():
        return False
    words = [w for w in line.split()[1:] if w.lower() not in SMALL_WORDS and w[:1].isalpha()]
    if len(words) < 2 or _mostly_caps(line):
        return False
    return sum(w[:1].islower() for w in words) >= 0.5 * len(words)


def _mostly_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 6 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _tidy_title(title: str, head: Sequence[str]) -> str:
    title = " ".join(title.split()).strip(" :-–,;")
    if not _mostly_caps(title):
        return title
    # Keep acronyms that the body writes in capitals inside ordinary sentences.
    acronyms = {
        w
        for line in page_lines("\n".join(head))
        if not _mostly_caps(line)
        for w in re.findall(r"\b[A-Z]{2,}s?\b", line)
    }
    out: list[str] = []
    for i, word in enumerate(title.split()):
        core = word.strip("()[],:;.'’\"")
        if core in acronyms or core.rstrip("S") in acronyms:
            out.append(word)
        elif i > 0 and word.lower() in SMALL_WORDS:
            out.append(word.lower())
        else:
            out.append("-".join(p[:1].upper() + p[1:].lower() for p in word.split("-")))
    return " ".join(out)


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "").replace("'", ""))
