"""What a broad answer's evidence summary and its precedents show, free of Streamlit.

A broad question ("what have reviews found about ...") is answered with
findings (``kb.answer.findings``): each a verbatim key sentence, the other
documents that say the same ("also in") and how many documents that is. Here
they are grouped for the page, "What reviews found" then "What guidance says",
each finding with the labels its expandable item shows.

Below the summary come the precedents: the reviews that discuss the question,
one card each. Only a document whose best passage reaches the same evidence
bar the answer's no-match decision uses (the best sentence's similarity to
the question, ``SearchSettings.no_match_below``) is a precedent, so the count
shown ("4 reviews discuss this") is the count of documents that do, not of
every document that had some passage among the nearest.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from kb.answer.findings import REVIEWS, group_of
from kb.answer.model import GROUP_TITLES, Answer, Finding, Support
from kb.library import Precedent, Precedents
from kb.records import Document, Hit
from kb.web.html import md_text, pages_label

SIMILARITY = "sentence_similarity"  # the best sentence's cosine, on every hybrid hit


@dataclass(frozen=True)
class Citation:
    """One place a finding is stated: a verbatim sentence of a numbered passage."""

    sentence: str
    hit: Hit
    number: int  # the passage's number in ``Answer.passages``
    start: int
    end: int
    cell: str = ""  # a threshold matrix's cell label ("ABUSE AND NEGLECT: Level 4")

    @property
    def where(self) -> str:
        """Title and page(s), and a matrix cell's label, as plain text."""
        d, c = self.hit.document, self.hit.chunk
        cell = f" (table cell: {self.cell})" if self.cell else ""
        return f"{d.title or d.file}, {pages_label(c.page_start, c.page_end)}{cell}"


@dataclass(frozen=True)
class FindingItem:
    """One finding as the summary shows it."""

    finding: Finding
    key: Citation
    also_in: tuple[Citation, ...]

    @property
    def count(self) -> int:
        return self.finding.count

    @property
    def label(self) -> str:
        """The expander's heading, as Markdown that shows exactly this text:
        the key sentence, where it is, and how many documents state it."""
        sentence = " ".join(self.key.sentence.split())
        return (
            f"{md_text(sentence)} \u2014 {md_text(self.key.where)} \u00b7 "
            f"**{documents_label(self.count)}**"
        )


@dataclass(frozen=True)
class SummaryGroup:
    title: str  # "What reviews found", "What guidance says"
    items: tuple[FindingItem, ...]


def documents_label(n: int) -> str:
    return f"{n} document{'s' if n != 1 else ''}"


def is_summary(answer: Answer) -> bool:
    """Whether the answer is shown as an evidence summary (else as today's short answer)."""
    return answer.form == "broad" and not answer.no_match and bool(answer.findings)


def form_heading(answer: Answer) -> str:
    """Which form of answer is shown."""
    if is_summary(answer):
        return f"Evidence summary across {documents_label(answer.documents_cited)}"
    return "Short answer"


def _citation(answer: Answer, s: Support) -> Citation:
    hit = answer.passages[s.citation - 1]
    return Citation(s.text, hit, s.citation, s.start, s.end, answer.cell_of(s))


def summary_groups(answer: Answer) -> list[SummaryGroup]:
    """The findings under their headings, reviews first; within a group in the
    answer's order (by support, then relevance)."""
    out = []
    for group, title in GROUP_TITLES.items():
        items = tuple(
            FindingItem(f, _citation(answer, f.key), tuple(_citation(answer, s) for s in f.also_in))
            for f in answer.findings
            if f.group == group
        )
        if items:
            out.append(SummaryGroup(title, items))
    return out


def citation_html(c: Citation) -> str:
    """An "also in" line: the sentence quoted, then title, page and type, all escaped."""
    d = c.hit.document
    year = str(d.year) if d.year else "n.d."
    return (
        f'<div class="kb-also"><span class="kb-also-quote">\u201c'
        f"{html.escape(' '.join(c.sentence.split()))}\u201d</span>"
        f'<div class="kb-meta">{html.escape(c.where)} \u00b7 {html.escape(year)}</div></div>'
    )


# --------------------------------------------------------------------------- precedents


def similarity(hit: Hit) -> float:
    value = hit.extra.get(SIMILARITY, 0.0)
    return float(value) if isinstance(value, int | float) else 0.0


@dataclass(frozen=True)
class PrecedentCard:
    document: Document
    hits: tuple[Hit, ...]  # its shown passages that reach the bar, best first
    matches: int  # its passages among the nearest, as the precedent view counts them

    @property
    def hit(self) -> Hit:
        return self.hits[0]


@dataclass(frozen=True)
class PrecedentList:
    cards: tuple[PrecedentCard, ...]
    weaker: int  # documents among the nearest passages whose best one falls short
    reviews_only: bool

    @property
    def heading(self) -> str:
        n = len(self.cards)
        if self.reviews_only:
            return f"{n} review{' discusses' if n == 1 else 's discuss'} this"
        return f"{documents_label(n)} {'discusses' if n == 1 else 'discuss'} this, best first"

    @property
    def note(self) -> str:
        """What the count counts, and how many more matched only weakly."""
        kind = "Reviews, inspections and research" if self.reviews_only else "Documents"
        text = f"{kind} whose best passage among the nearest meets the bar the answer uses."
        if self.weaker:
            verb = "is" if self.weaker == 1 else "are"
            text += f" {self.weaker} more matched only weakly and {verb} not listed."
        return text


def precedent_list(found: Precedents, bar: float, *, reviews_only: bool) -> PrecedentList:
    """The documents (reviews only, if asked) whose best passage reaches ``bar``,
    in the precedent view's order, each with that passage; none on a no-match."""
    cards: list[PrecedentCard] = []
    weaker = 0
    for g in found.groups:
        if reviews_only and group_of(g.document.doc_type) != REVIEWS:
            continue
        passing = tuple(h for h in g.hits if similarity(h) >= bar) if not found.no_match else ()
        if passing:
            cards.append(PrecedentCard(g.document, passing, g.matches))
        else:
            weaker += 1
    return PrecedentList(tuple(cards), weaker, reviews_only)


def similar_list(found: list[Precedent], bar: float) -> PrecedentList:
    """The documents ranked for a case summary (``kb similar``) whose shown passages
    reach ``bar``, closest first, each with those passages; the rest are counted
    as weaker, so a summary the library has nothing like gets no list at all."""
    cards: list[PrecedentCard] = []
    weaker = 0
    for p in found:
        passing = tuple(h for h in p.passages if similarity(h) >= bar)
        if passing:
            cards.append(PrecedentCard(p.document, passing, p.windows_matched))
        else:
            weaker += 1
    return PrecedentList(tuple(cards), weaker, reviews_only=False)
