"""Facet counts: how many passages fall under each theme, document type, publisher and year.

Two bases, and callers say which they used:

- a filter alone: every matching passage in the store, counted by Qdrant's facet
  API on the indexed payload fields (exact counts, no vectors touched);
- a query: the query's top ``top_n`` hybrid hits (within the filter), counted
  here. A query has no natural cut-off, so "passages about neglect" means the
  ones search would show, not every passage that mentions the word.

Counts are of passages (chunks), not documents: a long report about neglect
weighs more than a leaflet that mentions it once, which is what a reader
browsing by theme wants to see.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from kb.records import Filters, Hit
from kb.store.contract import Store

FACET_KEYS = ("themes", "doc_type", "publisher", "year")
TOP_N = 100  # hits counted for a query
FACET_LIMIT = 200  # values per key from the facet API (there are 38 themes, ~16 types)

Counts = dict[str, dict[Any, int]]


def store_facets(store: Store, filters: Filters, keys: Sequence[str] = FACET_KEYS) -> Counts:
    """Counts over every passage matching ``filters``, from the store's facet API."""
    return {key: _ordered(key, store.facet(key, filters, limit=FACET_LIMIT)) for key in keys}


def hit_facets(hits: Iterable[Hit], keys: Sequence[str] = FACET_KEYS) -> Counts:
    """Counts over the given hits."""
    counters: dict[str, Counter[Any]] = {key: Counter() for key in keys}
    for hit in hits:
        for key in keys:
            for value in _values(hit, key):
                counters[key][value] += 1
    return {key: _ordered(key, dict(c)) for key, c in counters.items()}


def _values(hit: Hit, key: str) -> tuple[Any, ...]:
    if key == "themes":
        return hit.chunk.themes
    if key == "kind":
        return (hit.chunk.kind,)
    value = getattr(hit.document, key, None)
    return () if value is None or value == "" else (value,)


def _ordered(key: str, counts: dict[Any, int]) -> dict[Any, int]:
    """Most frequent first; years newest first."""
    items = [(v, n) for v, n in counts.items() if n > 0 and v is not None and v != ""]
    if key == "year":
        items.sort(key=lambda kv: -int(kv[0]))
    else:
        items.sort(key=lambda kv: (-kv[1], str(kv[0])))
    return dict(items)
