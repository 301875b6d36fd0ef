"""The year a document was published, scored from every dated clue it gives.

Clues, strongest first: a "Published: 12 March 2024" line, a date standing alone on the
cover, a copyright line, a year in the title, a period the document covers ("2022 to
2023" ends in 2023), a date in the file name, and the PDF's creation and change dates.
Dates that say when something else happens ("review date", "date of birth") are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from kb.describe.pages import COVER_LINES, page_lines

MIN_YEAR = 1980

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
# A plausible publication year, as a pattern other modules embed in theirs.
YEAR_PATTERN = r"(?:19[89]\d|20\d\d)"
_DAY = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?\d{1,2}(?:st|nd|rd|th)?"
# One date in any of the shapes covers use; group "y" is the year.
_DATE = (
    rf"(?:(?:{_DAY}\s+)?{_MONTH},?\s+(?P<y>{YEAR_PATTERN})"
    rf"|\d{{1,2}}[./-]\d{{1,2}}[./-](?P<y2>{YEAR_PATTERN})"
    rf"|(?P<y3>{YEAR_PATTERN})-\d\d-\d\d)"
)
DATE_RE = re.compile(_DATE, re.IGNORECASE)
# A whole line that is only a date, maybe introduced by the word publishers put before it.
DATE_LINE_RE = re.compile(
    rf"^(?:(?:last\s+)?(?:updated|revised|issued|reissued|amended|published|dated?|version"
    rf"\s+[\w.]+|final|draft)\s*(?:on|in)?\s*[:\-–]?\s*)?(?:{_DATE}|(?P<y4>{YEAR_PATTERN}))"
    rf"\s*\.?$",
    re.IGNORECASE,
)
PUBLISHED_RE = re.compile(
    rf"^(?:first\s+)?(?:published|publication\s+date|date\s+of\s+publication|date\s+published"
    rf"|date\s+of\s+issue|issue\s+date|date)(?:\s+(?:on|in))?\s*[:\-–]?\s*{_DATE}",
    re.IGNORECASE,
)
PUBLISHED_LABEL_RE = re.compile(
    r"^(?:first\s+)?(?:published|publication\s+date|date\s+published|date\s+of\s+publication)"
    r"\s*:?$",
    re.IGNORECASE,
)
# "© Crown copyright 2022", "Copyright SafeLives 2019-2021": group "holder" is whose it is.
COPYRIGHT_RE = re.compile(
    rf"(?:©|\(c\)|copyright)\s*(?:©\s*)?(?P<holder>[^\n\d©]{{0,60}}?)\s*,?\s*"
    rf"(?P<y>{YEAR_PATTERN})\b(?:\s*(?:-|–|to)\s*(?P<y_end>{YEAR_PATTERN}))?",
    re.IGNORECASE,
)
YEAR_RE = re.compile(rf"(?<![\d/.-]){YEAR_PATTERN}(?![\d])")
# "2023-2024", "2022/23", "2022 to 2023": a period the document covers, not when it appeared.
YEAR_RANGE_RE = re.compile(
    rf"(?<!\d)(?P<start>{YEAR_PATTERN})\s*(?:-|–|—|/|to)\s*(?P<end>{YEAR_PATTERN}|\d\d)(?!\d)",
    re.IGNORECASE,
)
PDF_DATE_RE = re.compile(rf"^(?:D:)?(?P<y>{YEAR_PATTERN})")
# Dates that are not when the document was published.
NOT_PUBLICATION_RE = re.compile(
    r"review\s+date|next\s+review|due\s+for\s+review|to\s+be\s+reviewed|review\s+due|expir"
    r"|valid\s+until|deadline|closes|closing\s+date|\bborn\b|\bdob\b|date\s+of\s+birth|\bdied\b",
    re.IGNORECASE,
)

# A clue's weight and the year it names.
Clue = tuple[float, int]


def publication_year(
    head: Sequence[str],
    tail: Sequence[str],
    info: Mapping[str, str],
    title: str,
    text_title: str,
    file_name: str,
) -> int | None:
    """Score every dated clue and keep the best; ties go to the latest year."""
    clues: list[tuple[float, int | None]] = []
    for page_no, text in enumerate([*head, *tail]):
        clues.extend(_page_clues(text, page_no, in_head=page_no < len(head)))
    for source in {title, text_title}:
        clues.append((60, _single_year(source)))
        clues.append((45, _period_end(source)))
    stem = Path(file_name).stem
    m = DATE_RE.search(stem.replace("_", " "))
    clues.append((42, _date_year(m) if m else _single_year(re.sub(r"[_\-]+", " ", stem))))
    for key, score in (("creationdate", 40.0), ("moddate", 38.0)):
        pm = PDF_DATE_RE.match(info.get(key, ""))
        if pm:
            clues.append((score, int(pm.group("y"))))

    latest = date.today().year + 1
    candidates: list[Clue] = [
        (score, year) for score, year in clues if year is not None and MIN_YEAR <= year <= latest
    ]
    if not candidates:
        return None
    return max(candidates)[1]


def _page_clues(text: str, page_no: int, *, in_head: bool) -> list[tuple[float, int | None]]:
    """The dated clues on one page; only the opening pages' loose dates count."""
    clues: list[tuple[float, int | None]] = []
    lines = page_lines(text)
    if page_no == 0 and in_head:
        lines = lines[: COVER_LINES * 3]
    for i, line in enumerate(lines):
        if not line or NOT_PUBLICATION_RE.search(line):
            continue
        m = PUBLISHED_RE.match(line)
        if not m and PUBLISHED_LABEL_RE.match(line):
            # GOV.UK pages put "Published" and its date on separate lines.
            nxt = next((n for n in lines[i + 1 : i + 3] if n), "")
            m = DATE_LINE_RE.match(nxt)
        if m:
            clues.append((100, _date_year(m)))
            continue
        m = DATE_LINE_RE.match(line)
        if m and in_head:
            clues.append(({0: 90.0, 1: 70.0}.get(page_no, 55.0), _date_year(m)))
            continue
        if in_head and page_no == 0:
            clues.append((45, _period_end(line)))
            clues.extend(
                (50, _date_year(dm))
                for dm in DATE_RE.finditer(line)
                if not _inside_range(line, dm.start(), dm.end())
            )
    for cm in COPYRIGHT_RE.finditer(text):
        clues.append((75, _int(cm.group("y_end")) or _int(cm.group("y"))))
    return clues


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _date_year(m: re.Match[str]) -> int | None:
    for group in ("y", "y2", "y3", "y4"):
        value = m.groupdict().get(group)
        if value:
            return int(value)
    return None


def _inside_range(line: str, start: int, end: int) -> bool:
    """True when a date is one end of a period such as "April 2023 to March 2024"."""
    before = line[max(0, start - 4) : start]
    after = line[end : end + 5]
    return bool(re.search(r"(?:-|–|—|to)\s*$", before) or re.match(r"\s*(?:-|–|—|to)\s", after))


def _single_year(text: str) -> int | None:
    """A year standing alone in a title ("... 2024"), not one end of a period."""
    masked = YEAR_RANGE_RE.sub(" ", text)
    years = {int(y) for y in YEAR_RE.findall(masked)}
    return years.pop() if len(years) == 1 else None


def _period_end(text: str) -> int | None:
    """The last year of a short period ("2022/23" -> 2023), or None."""
    m = YEAR_RANGE_RE.search(text)
    if not m:
        return None
    start, end = m.group("start"), m.group("end")
    end_year = int(start[:2] + end) if len(end) == 2 else int(end)
    return end_year if 0 < end_year - int(start) <= 5 else None
