"""Threshold and level-of-need matrices: each cell kept apart, with its column's label.

A threshold document sets out needs in a grid: a title row ("ABUSE AND
NEGLECT"), a header row ("Level 1  Level 2  Level 3  Level 4") and, under
each level, what a child's situation looks like there. The text layer keeps
no cell boundaries: two cells side by side on one line run together ("...
milestones met. Some developmental milestones ..."), and nothing says that
"Any allegation of abuse/suspicious injury in a ... non-mobile child" is the
Level 4 description.

Character positions do. On a page with a header row of three or more labels
of one kind ("Level 1" ... "Level 4", "Tier 1" ...), each label's position
sets a column. Below it, every word belongs to the column its first letter
starts in, and a change of column across a wide gap starts a new cell. A
table carries on to the next page (same page width) until a line spans three
or more columns as prose does.

The page text is changed by whitespace only (each cell becomes a paragraph
of its own), so everything quoted from it is still word for word the page.
Each cell's label ("ABUSE AND NEGLECT: Level 4") is returned beside it, and
``cell_marks`` turns the cells into ``CELL`` marks on the laid-out page text,
each cell on lines of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kb.records import CELL, Heading, Mark

# A header row: three or more labels of one kind, and nothing else on the line.
_HEADER = re.compile(r"^\s*(?:(?P<kind>Level|Tier|Stage|Step)\s+\d+\s*){3,}$", re.IGNORECASE)
_LABEL = re.compile(r"(?:Level|Tier|Stage|Step)\s+\d+", re.IGNORECASE)
# Points between two words that are in different cells, not one cell's words.
CELL_GAP = 8.0
# Cell text is set flush against the cell's left border, which lies a little
# left of the midpoint between two header labels: a word is placed by its
# left edge plus this much.
BORDER_SLACK = 4.0
# A table's title is a short line at most this far (points) above its header row.
TITLE_CHARS = 60
TITLE_GAP = 40.0

# Character index -> its box (left, bottom, right, top) in PDF points.
BoxFunc = Callable[[int], tuple[float, float, float, float]]


@dataclass(frozen=True)
class Columns:
    """A matrix's columns: each label, and the x positions between them."""

    labels: tuple[str, ...]
    bounds: tuple[float, ...]  # len(labels) - 1 boundaries, left to right
    title: str = ""
    width: float = 0.0  # of the page it was found on

    def of(self, x: float) -> int:
        return sum(x >= b for b in self.bounds)

    def label(self, column: int) -> str:
        name = self.labels[column]
        return f"{self.title}: {name}" if self.title else name


@dataclass(frozen=True)
class Cell:
    label: str
    text: str
    title: str = ""  # of its table, when the page shows one


def is_header(line: str) -> bool:
    """Whether ``line`` is a matrix header row."""
    return bool(_HEADER.match(line))


def has_header(text: str) -> bool:
    """Whether any line of ``text`` is a matrix header row (a cheap first test)."""
    return any(_HEADER.match(line) for line in text.splitlines())


def matrix_text(
    text: str, box: BoxFunc, width: float, carried: Columns | None = None
) -> tuple[str, list[Cell], Columns | None]:
    """``text`` with each matrix cell a paragraph of its own, the cells in page
    order, and the columns still open at the page's end (for the next page).

    ``box(i)`` is character ``i``'s box; ``text`` must be the page's text
    character for character. ``carried`` is the previous page's open columns.
    """
    columns = carried if carried is not None and abs(carried.width - width) < 1 else None
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\r\n]*(?:\r\n|\n|\r|$)", text)]
    lines = [(s, e) for s, e in lines if e > s]
    titles = _titles(text, lines, box)
    out: list[str] = []
    cells: list[Cell] = []
    current: tuple[int, list[str]] | None = None  # (column, texts) of the open cell

    def close() -> None:
        nonlocal current
        if current is not None and columns is not None:
            body = " ".join(" ".join(current[1]).split())
            if body:
                cells.append(Cell(columns.label(current[0]), body, columns.title))
        current = None

    for n, (start, end) in enumerate(lines):
        line = text[start:end]
        if _HEADER.match(line.rstrip("\r\n")):
            close()
            title = " ".join(text[slice(*lines[titles[n]])].split()) if n in titles else ""
            columns = _columns(line, start, box, width, title)
            out.append(line)
            continue
        if columns is None or not line.strip():
            out.append(line)
            continue
        if n in titles.values():
            close()  # a table's title: not a cell
            out.append(line)
            continue
        segments = _segments(text, start, end, box, columns)
        if segments is None:  # prose across the page: the table has ended
            close()
            columns = None
            out.append(line)
            continue
        for column, s, e in segments:
            if current is None or current[0] != column:
                close()
                current = (column, [])
                if out and not out[-1].endswith(("\n\n", "\r\n\r\n")):
                    out.append("\n" if out[-1].endswith(("\n", "\r")) else "\n\n")
            current[1].append(text[s:e])
            out.append(text[s:e])
        out.append(text[segments[-1][2] : end])
    close()
    return "".join(out), cells, columns


def _columns(line: str, start: int, box: BoxFunc, width: float, title: str) -> Columns:
    centres = []
    labels = []
    for m in _LABEL.finditer(line):
        left, right = box(start + m.start())[0], box(start + m.end() - 1)[2]
        centres.append((left + right) / 2)
        labels.append(" ".join(m.group(0).split()))
    bounds = tuple((a + b) / 2 for a, b in zip(centres, centres[1:], strict=False))
    return Columns(tuple(labels), bounds, title, width)


def _titles(text: str, lines: Sequence[tuple[int, int]], box: BoxFunc) -> dict[int, int]:
    """For each header row (by line index), the line of its table's title: the
    short line nearest above it on the page. By position, not text order: a
    page's text can give two tables' titles before either table."""
    spans: dict[int, tuple[float, float]] = {}  # line -> (bottom, top) of its letters
    for n, (start, end) in enumerate(lines):
        boxes = [box(i) for i in range(start, end) if not text[i].isspace()]
        if boxes:
            spans[n] = (min(b[1] for b in boxes), max(b[3] for b in boxes))
    headers = [n for n in spans if _HEADER.match(text[slice(*lines[n])].rstrip("\r\n"))]
    out: dict[int, int] = {}
    for h in headers:
        above = [
            (spans[n][0] - spans[h][1], n)
            for n in spans
            if n not in headers
            and 0 < len(text[slice(*lines[n])].strip()) <= TITLE_CHARS
            and 0 <= spans[n][0] - spans[h][1] <= TITLE_GAP
        ]
        if above:
            out[h] = min(above)[1]
    return out


def _segments(
    text: str, start: int, end: int, box: BoxFunc, columns: Columns
) -> list[tuple[int, int, int]] | None:
    """The line's runs of words, each with its column: (column, start, end).
    None when the line reads across three or more columns without a gap (prose)."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    if not words:
        return None
    runs: list[tuple[int, int, int]] = []
    spanned = set()
    last_right = None
    for s, e in words:
        left, right = box(s)[0], box(e - 1)[2]
        column = columns.of(left + BORDER_SLACK)
        spanned.add(column)
        gap = left - last_right if last_right is not None else CELL_GAP
        if runs and (column == runs[-1][0] or gap < CELL_GAP):
            runs[-1] = (runs[-1][0], runs[-1][1], e)
        else:
            runs.append((column, s, e))
        last_right = right
    if len(spanned) >= 3 and len(runs) < len(spanned):
        return None
    return runs


def cell_marks(page_text: str, cells: Sequence[Cell]) -> tuple[str, list[Mark]]:
    """``CELL`` marks for ``cells`` on the laid-out ``page_text``, found in order
    by their letters and digits (layout joins wrapped lines and hyphenation), and
    the text with a line break, not a space, on either side of each cell: layout
    runs short paragraphs together, and a sentence must not run from one cell
    into the next. Offsets do not move (a space becomes a newline)."""
    skeleton, where = _skeleton(page_text)
    chars = list(page_text)
    out: list[Mark] = []
    cursor = 0
    for cell in cells:
        key, _ = _skeleton(cell.text)
        at = skeleton.find(key, cursor) if key else -1
        if at < 0:
            continue
        first, last = where[at], where[at + len(key) - 1] + 1
        out.append(Mark(first, last, CELL, cell.label))
        cursor = at + len(key)
        after = last
        while after < len(chars) and after < last + 4 and not chars[after].isspace():
            after += 1  # the cell's closing punctuation
        _own_line(chars, first, after)
    return "".join(chars), out


def title_headings(page_text: str, cells: Sequence[Cell]) -> tuple[str, list[Heading]]:
    """A heading for each table title that stands, in the laid-out text, between
    the cells before its table and its first cell (on a line of its own, by a
    space turned newline): layout rarely sees a title set in a coloured band as
    one, and the table's passages were named after the section before it."""
    skeleton, where = _skeleton(page_text)
    chars = list(page_text)
    out: list[Heading] = []
    cursor, title = 0, ""
    for cell in cells:
        key, _ = _skeleton(cell.text)
        at = skeleton.find(key, cursor) if key else -1
        if at < 0:
            continue
        if cell.title and cell.title != title:
            name, _ = _skeleton(cell.title)
            found = skeleton.rfind(name, cursor, at) if name else -1
            if found >= 0:
                first, last = where[found], where[found + len(name) - 1] + 1
                _own_line(chars, first, last)
                out.append(Heading(first, 2, page_text[first:last]))
        title, cursor = cell.title, at + len(key)
    return "".join(chars), out


def _own_line(chars: list[str], first: int, last: int) -> None:
    """Spaces either side of ``[first, last)`` turned into line breaks."""
    if first > 0 and chars[first - 1] == " ":
        chars[first - 1] = "\n"
    if last < len(chars) and chars[last] == " ":
        chars[last] = "\n"


def _skeleton(text: str) -> tuple[str, list[int]]:
    """``text``'s letters and digits, lower-cased, and each one's offset in it."""
    kept = [(i, ch.lower()) for i, ch in enumerate(text) if ch.isalnum()]
    return "".join(ch for _, ch in kept), [i for i, _ in kept]
