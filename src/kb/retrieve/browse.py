"""Browsing without a question: the passages a filter lets through, by document.

A trainer choosing a theme ("neglect"), or a Panel member choosing a
publisher, wants to read what the library holds under it, not search: every
document with such passages, newest first, with its first few. The filters
mean what they mean in a search (``kb.store.filters``: any of the values of
each field, the year within the range); documents are read from the store, so
the counts agree with the app's ``N passages in M documents``.
"""

from __future__ import annotations

from kb.records import Chunk, Document, Filters, Hit
from kb.retrieve.precedents import ReviewGroup
from kb.store.contract import Store


def admits_document(filters: Filters, d: Document) -> bool:
    if filters.doc_types and d.doc_type not in filters.doc_types:
        return False
    if filters.publishers and d.publisher not in filters.publishers:
        return False
    if filters.files and d.file not in filters.files:
        return False
    if filters.year_from is not None and (d.year is None or d.year < filters.year_from):
        return False
    return not (filters.year_to is not None and (d.year is None or d.year > filters.year_to))


def admits_chunk(filters: Filters, c: Chunk) -> bool:
    if filters.themes and not set(filters.themes) & set(c.themes):
        return False
    return not (filters.kinds and c.kind not in filters.kinds)


def browse(store: Store, filters: Filters, *, per_doc: int = 3) -> list[ReviewGroup]:
    """Documents with passages ``filters`` admit, newest first (then by title),
    each with its first ``per_doc`` such passages in reading order."""
    groups = []
    for d in store.documents():
        if not admits_document(filters, d):
            continue
        chunks = [c for c in store.chunks_of(d.doc_id) if admits_chunk(filters, c)]
        if chunks:
            hits = tuple(Hit(chunk=c, document=d, score=0.0) for c in chunks[:per_doc])
            groups.append(ReviewGroup(document=d, hits=hits, matches=len(chunks), score=0.0))
    groups.sort(key=lambda g: (-(g.document.year or 0), (g.document.title or g.document.file)))
    return groups
