"""The facade's own records: library statistics and the precedent view, and the
small helpers that fill them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kb.errors import UsageError
from kb.records import Document
from kb.retrieve.precedents import ReviewGroup


@dataclass(frozen=True)
class Stats:
    documents: int
    pages: int
    chunks: int
    location: str
    size_bytes: int
    backend: str
    # Documents per doc_type (most first) and per year (oldest first, "unknown" last).
    by_type: dict[str, int] = field(default_factory=dict)
    by_year: dict[str, int] = field(default_factory=dict)
    # Set when the index served is an earlier generation than the live one.
    notice: str | None = None
    # What embeds questions and passages, and at which precision (kb.embed.routing.summary).
    embedding: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        # `kb stats --json` keeps its documented keys (tests/test_cli.py pins
        # them), plus "notice" only when there is one.
        extra = ("by_type", "by_year", "embedding", "notice")
        out = {k: v for k, v in self.__dict__.items() if k not in extra}
        return {**out, "notice": self.notice} if self.notice else out


@dataclass(frozen=True)
class Precedents:
    """The precedent view of a question: one group per review, best first.

    ``no_match``: search found nothing close, so the groups are related reading,
    not precedents."""

    no_match: bool
    groups: tuple[ReviewGroup, ...]


def bounded(text: str, limit: int, what: str) -> None:
    """Refuse a query too long to be a question (a pasted document, say): the
    model reads its first 256 tokens only, and BM25 would weigh every word."""
    if len(text) > limit:
        raise UsageError(
            f"the {what} is {len(text):,} characters long; the limit is {limit:,}: shorten it"
        )


def by_type(docs: Sequence[Document]) -> dict[str, int]:
    counts = Counter(d.doc_type for d in docs)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def by_year(docs: Sequence[Document]) -> dict[str, int]:
    counts = Counter(str(d.year) if d.year else "unknown" for d in docs)
    return dict(sorted(counts.items(), key=lambda kv: (kv[0] == "unknown", kv[0])))
