"""Which points a read selects, in one form both backends translate.

``Filters`` (the user's choice of types, publishers, themes, years, …) becomes
a ``Selection``: every point must match one of the values of each key, and
the year must fall in the range. ``kb.store.edge`` and ``kb.store.server``
each turn a selection into their engine's filter object in a few lines, so
the meaning of a filter is written once.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.records import Filters


@dataclass(frozen=True)
class Selection:
    """Points whose payload matches every ``(key, any of values)`` pair and the year range."""

    match: tuple[tuple[str, tuple[str, ...]], ...] = ()
    year_from: int | None = None
    year_to: int | None = None

    @property
    def has_years(self) -> bool:
        return self.year_from is not None or self.year_to is not None


def chunks(filters: Filters) -> Selection:
    """The chunks ``filters`` let through (never the document markers)."""
    match: list[tuple[str, tuple[str, ...]]] = [("record", ("chunk",))]
    for key, values in (
        ("doc_type", filters.doc_types),
        ("publisher", filters.publishers),
        ("file", filters.files),
        ("themes", filters.themes),
        ("kind", filters.kinds),
    ):
        if values:
            match.append((key, tuple(values)))
    return Selection(tuple(match), filters.year_from, filters.year_to)


def documents() -> Selection:
    """The document marker points."""
    return Selection((("record", ("document",)),))


def chunks_of(doc_id: str) -> Selection:
    return Selection((("doc_id", (doc_id,)), ("record", ("chunk",))))


def all_of(doc_id: str) -> Selection:
    """Every point of one document: its chunks and its marker."""
    return Selection((("doc_id", (doc_id,)),))
