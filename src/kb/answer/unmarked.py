"""Answer sentences clear of what ingest marked as boilerplate (``kb.ingest.marks``).

A candidate sentence is an exact slice of its passage. Boilerplate at either
end of it (a title line run into the first sentence, a myth before its "No -
...", a footnote marker before the full stop) is cut off, which keeps the
slice exact; boilerplate that would remain inside it cannot be cut out, so
such a sentence is not a candidate at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb.records import BOILERPLATE, MARKER, XREF, Mark

# What may follow a footnote marker that ends a sentence: its closing punctuation.
_MARKER_TAIL = re.compile(r"[.!?;:'\u2019\u201d\")\]\s]*")


def unmarked(
    text: str, start: int, end: int, marks: Sequence[Mark]
) -> tuple[int, int, bool] | None:
    """``[start, end)`` with boilerplate marked at ingest cut off its ends, and
    whether a footnote marker was cut from just before the closing punctuation
    ("... guidance235." quotes as "... guidance", a whole sentence). ``None`` when
    what is left still holds boilerplate: a footnote marker mid-sentence cannot be
    cut out of a verbatim span, and a myth or a title line is never a statement."""
    ended = False
    for m in marks:  # in text order, so a run of marks at the front is cut in turn
        if m.kind in BOILERPLATE and m.start <= start < m.end:
            start = m.end
            while start < end and (text[start].isspace() or text[start] in ".,;:-\u2013"):
                start += 1
    for m in reversed(marks):
        if m.kind not in BOILERPLATE or m.end <= start or m.start >= end:
            continue
        tail = text[m.end : end]
        if not tail.strip() or m.kind == MARKER and _MARKER_TAIL.fullmatch(tail):
            end, ended = m.start, m.kind == MARKER
    if start >= end:
        return None
    inline = [m for m in marks if m.kind in BOILERPLATE and m.start < end and start < m.end]
    if not all(m.kind == XREF for m in inline):
        return None  # an inline "(see Annex A)" may stay: the sentence still stands
    return start, end, ended
