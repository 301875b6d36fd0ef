"""Learning across the library: findings, recommendations and reflective questions as records.

Ingest stores each passage's learning items (``kb.enrich.roles``); this module
turns them into ``LearningEntry`` records with their citation, filters them by
role, addressee and audience, and ranks them against a query by sentence-vector
similarity. ``kb.answer.recurring`` groups the same recommendation made in
several documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from kb.records import Chunk, Document, Filters, LearningItem
from kb.text.terms import content_terms

# Texts -> unit-length row vectors (the library's sentence cache).
EmbedTexts = Callable[[Sequence[str]], np.ndarray]
EmbedQuery = Callable[[str], np.ndarray]

LEARNING_ROLES = (
    "finding",
    "recommendation",
    "reflective_question",
    "practice_episode",
    "good_practice",
)
LEVELS = ("national", "local")
AUDIENCES = ("practitioners", "leaders", "partnerships")
# A query term found in the item's own words lifts it a little above a
# neighbour that only sounds alike.
LEXICAL_WEIGHT = 0.1


@dataclass(frozen=True)
class LearningQuery:
    """What to list: empty fields mean any."""

    roles: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    addressees: tuple[str, ...] = ()  # a named addressee contains one of these (any case)
    audiences: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()  # the item's passage carries one of these themes
    query: str = ""
    limit: int = 0  # 0: all


@dataclass(frozen=True)
class LearningEntry:
    """One learning item with its citation."""

    doc: str
    title: str
    publisher: str
    year: int | None
    doc_type: str
    page_start: int
    page_end: int
    section: str
    role: str
    addressee_level: str | None
    addressee: str | None
    audience: str | None
    text: str
    themes: tuple[str, ...] = ()
    score: float | None = None
    doc_id: str = ""
    item_id: str = ""  # the passage's id and the item's place in it: a pin's key
    source_url: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["themes"] = list(self.themes)
        out["citation"] = self.citation()
        return out

    def citation(self) -> str:
        pages = (
            f"p. {self.page_start}"
            if self.page_start == self.page_end
            else f"pp. {self.page_start}-{self.page_end}"
        )
        parts = [self.title or self.doc, self.publisher, str(self.year or ""), pages]
        return ", ".join(p for p in parts if p)


def entries_of(document: Document, chunks: Iterable[Chunk]) -> list[LearningEntry]:
    """A document's learning items, in reading order."""
    return [_entry(document, c, n, item) for c in chunks for n, item in enumerate(c.items)]


def _entry(document: Document, chunk: Chunk, n: int, item: LearningItem) -> LearningEntry:
    return LearningEntry(
        doc=document.file,
        title=document.title,
        publisher=document.publisher,
        year=document.year,
        doc_type=document.doc_type,
        page_start=chunk.page_start,
        page_end=chunk.page_end,
        section=item.section or chunk.heading,
        role=item.role,
        addressee_level=item.addressee_level,
        addressee=item.addressee,
        audience=item.audience,
        text=" ".join(item.text.split()),
        themes=chunk.themes,
        doc_id=document.doc_id,
        item_id=f"{chunk.chunk_id}:{n}",
        source_url=document.source_url,
    )


def document_passes(document: Document, filters: Filters) -> bool:
    """The document-level filters (type, publisher, file, years); themes are per passage."""
    f = filters
    if f.doc_types and document.doc_type not in f.doc_types:
        return False
    if f.publishers and document.publisher not in f.publishers:
        return False
    if f.files and document.file not in f.files:
        return False
    year = document.year
    if f.year_from is not None and (year is None or year < f.year_from):
        return False
    return f.year_to is None or (year is not None and year <= f.year_to)


def matches(entry: LearningEntry, q: LearningQuery) -> bool:
    if q.roles and entry.role not in q.roles:
        return False
    if q.levels and entry.addressee_level not in q.levels:
        return False
    if q.audiences and entry.audience not in q.audiences:
        return False
    if q.themes and not set(q.themes) & set(entry.themes):
        return False
    if q.addressees:
        named = (entry.addressee or "").lower()
        return bool(named) and any(a.lower() in named for a in q.addressees)
    return True


def select(
    entries: Iterable[LearningEntry],
    q: LearningQuery,
    *,
    embed: EmbedTexts | None = None,
    embed_query: EmbedQuery | None = None,
) -> list[LearningEntry]:
    """The entries ``q`` lets through: in library order, or by relevance to ``q.query``."""
    chosen = [e for e in entries if matches(e, q)]
    if q.query.strip() and chosen and embed is not None and embed_query is not None:
        chosen = rank(chosen, q.query, embed, embed_query)
    return chosen[: q.limit] if q.limit > 0 else chosen


def rank(
    entries: Sequence[LearningEntry], query: str, embed: EmbedTexts, embed_query: EmbedQuery
) -> list[LearningEntry]:
    """``entries`` by cosine similarity to ``query``, plus a share of its terms."""
    vectors = embed([e.text for e in entries])
    q = np.asarray(embed_query(query), dtype=np.float32)
    sims = vectors @ q
    terms = set(content_terms(query))
    scored = []
    for entry, sim in zip(entries, sims, strict=True):
        shared = len(terms & set(content_terms(entry.text))) / len(terms) if terms else 0.0
        scored.append(replace(entry, score=round(float(sim) + LEXICAL_WEIGHT * shared, 4)))
    return sorted(scored, key=lambda e: -(e.score or 0.0))
