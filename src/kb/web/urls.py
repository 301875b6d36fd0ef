"""What a shared link's query parameters mean, kept free of Streamlit so it can be tested.

The app keeps a search in its address (``?q=...&type=local_review&year_from=2020``)
so that a link reproduces it. A link may be old, hand-edited or made for another
library, so every value read from one is checked against what this library
offers, and every value written into one is left out when it is the default,
which keeps links short and stable.
"""

from __future__ import annotations

from collections.abc import Sequence

VIEWS = {"answer": "Answer and passages", "reviews": "Group by review"}
DEFAULT_VIEW = "answer"


def parse_year(raw: object, default: int) -> int:
    try:
        return int(str(raw))
    except ValueError:
        return default


def known_values(raw: Sequence[str], options: Sequence[str]) -> list[str]:
    """The link's values that this library offers, in the link's order."""
    return [v for v in raw if v in options]


def year_range(raw_from: object, raw_to: object, bounds: tuple[int, int]) -> tuple[int, int]:
    """A link's ``year_from``/``year_to`` as a range within ``bounds``.

    A missing or unreadable end is the bound itself; an end outside the bounds
    is moved onto them; ends given the wrong way round are swapped.
    """
    first, last = bounds
    lo = min(max(parse_year(raw_from, first), first), last)
    hi = max(min(parse_year(raw_to, last), last), first)
    return min(lo, hi), max(lo, hi)


def year_params(years: tuple[int, int], bounds: tuple[int, int]) -> dict[str, str | None]:
    """``year_from``/``year_to`` for the address; None for an end at its bound."""
    return {
        "year_from": str(years[0]) if years[0] != bounds[0] else None,
        "year_to": str(years[1]) if years[1] != bounds[1] else None,
    }


def view_from_url(raw: object) -> str:
    """The view a link asks for, or the default for one this app doesn't have."""
    return raw if isinstance(raw, str) and raw in VIEWS else DEFAULT_VIEW


def view_param(view: object) -> str | None:
    """``view`` for the address; None for the default view."""
    return str(view) if view in VIEWS and view != DEFAULT_VIEW else None
