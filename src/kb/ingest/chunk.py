"""Structure-aware chunking that never exceeds the embedding model's window.

Pages become sentence-sized units that remember their page and character
span. Units are packed greedily into chunks under a token budget measured
with the model's own tokenizer; a heading starts a new chunk once the current
one has enough substance, and a chunk cut mid-section starts with a short
overlap of the previous chunk's last sentences. Every chunk's embedded text
(title and heading path, then the passage) is re-measured at the end, so no
text can be silently truncated by the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from kb.ingest.marks import covered, heading_label
from kb.records import BOILERPLATE, Chunk, Document, Mark, Page
from kb.text.sentences import split_sentences

# Token counts for a batch of texts, without the [CLS]/[SEP] specials.
TokenCounter = Callable[[Sequence[str]], list[int]]

SPECIAL_TOKENS = 2  # [CLS] and [SEP]
HEADER_MAX_TOKENS = 40  # the title/heading prefix may use at most this much of the window
MIN_CHUNK_TOKENS = 48  # below this a heading does not close the current chunk



@dataclass(frozen=True)
class Unit:
    """A sentence (or a fragment of one) at a known place in the document."""

    page: int  # 1-based page number
    start: int
    end: int
    heading_path: tuple[str, ...]
    is_heading: bool = False
    block_start: bool = False


def heading_paths(pages: Sequence[Page]) -> list[list[tuple[int, tuple[str, ...], bool]]]:
    """For each page, its blocks as (start offset, heading path, is_heading)."""
    stack: list[tuple[int, str]] = []
    out: list[list[tuple[int, tuple[str, ...], bool]]] = []
    for page in pages:
        starts = {h.offset: h for h in page.headings}
        blocks: list[tuple[int, tuple[str, ...], bool]] = []
        offset = 0
        for line in page.text.split("\n"):
            h = starts.get(offset)
            # A title line, a contents entry, a footnote or a myth is no section's
            # name: it still starts a block, as the parser saw it, but names nothing.
            if h is not None and not covered(page.marks, h.offset, BOILERPLATE):
                while stack and stack[-1][0] >= h.level:
                    stack.pop()
                stack.append((h.level, heading_label(page, h.offset, h.text)))
            blocks.append((offset, tuple(t for _, t in stack), h is not None))
            offset += len(line) + 1
        out.append(blocks)
    return out


def units_of(pages: Sequence[Page]) -> list[Unit]:
    units: list[Unit] = []
    for page, blocks in zip(pages, heading_paths(pages), strict=True):
        text = page.text
        for i, (start, path, is_heading) in enumerate(blocks):
            end = blocks[i + 1][0] - 1 if i + 1 < len(blocks) else len(text)
            block = text[start:end]
            if not block.strip():
                continue
            spans = [(start, end)] if is_heading else split_sentences(block, start)
            for j, (s, e) in enumerate(spans):
                units.append(Unit(page.number, s, e, path, is_heading, block_start=j == 0))
    return units


def _text_between(pages_by_no: dict[int, Page], first: Unit, last: Unit) -> str:
    if first.page == last.page:
        return pages_by_no[first.page].text[first.start : last.end]
    parts = [pages_by_no[first.page].text[first.start :]]
    parts += [pages_by_no[n].text for n in range(first.page + 1, last.page) if n in pages_by_no]
    parts.append(pages_by_no[last.page].text[: last.end])
    return "\n".join(parts)


def header_text(title: str, heading_path: Sequence[str]) -> str:
    """The context prefix embedded with every chunk: document title and section.

    Capped in characters so a pathological title can't crowd out the passage.
    """
    parts = [p for p in (title[:100], " > ".join(h[:80] for h in heading_path[-2:])) if p]
    return " | ".join(parts)


def embed_text(document: Document, chunk: Chunk) -> str:
    """What the dense model sees: the context header, then the passage."""
    header = header_text(document.title, chunk.heading_path)
    return f"{header}\n{chunk.text}" if header else chunk.text


class Chunker:
    """Packs a parsed document into chunks within ``max_tokens`` model tokens."""

    def __init__(self, count_tokens: TokenCounter, *, max_tokens: int = 256, overlap: int = 24):
        self.count = count_tokens
        self.window = max_tokens - SPECIAL_TOKENS
        self.overlap = overlap

    def chunk(self, document: Document, pages: Sequence[Page]) -> list[Chunk]:
        pages_by_no = {p.number: p for p in pages}
        units = self._fit_units(units_of(pages), pages_by_no, self.window - HEADER_MAX_TOKENS)
        if not units:
            return []
        sizes = self.count([pages_by_no[u.page].text[u.start : u.end] for u in units])
        budgets = self._budgets(document.title, {u.heading_path for u in units})
        groups = self._pack(units, sizes, budgets)
        return self._verify(document, pages_by_no, groups)

    def _budgets(self, title: str, paths: set[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
        ordered = sorted(paths)
        headers = [header_text(title, p) for p in ordered]
        sizes = self.count(headers)
        # +1 for the newline between header and passage.
        return {
            p: self.window - min(n + 1, HEADER_MAX_TOKENS) if h else self.window
            for p, h, n in zip(ordered, headers, sizes, strict=True)
        }

    def _fit_units(self, units: list[Unit], pages_by_no: dict[int, Page], limit: int) -> list[Unit]:
        """Split any unit longer than ``limit`` tokens into word-bounded pieces."""
        texts = [pages_by_no[u.page].text[u.start : u.end] for u in units]
        sizes = self.count(texts)
        out: list[Unit] = []
        for u, text, n in zip(units, texts, sizes, strict=True):
            if n <= limit:
                out.append(u)
                continue
            words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
            if len(words) < 4:  # one giant "word" (a URL, a table row): cut by characters
                step = max(1, len(text) * limit // (2 * n))
                words = [(k, min(k + step, len(text))) for k in range(0, len(text), step)]
            pieces = max(2, -(-n // max(1, limit * 3 // 4)))
            per = max(1, -(-len(words) // pieces))
            split = [
                Unit(
                    u.page,
                    u.start + words[k][0],
                    u.start + words[min(k + per, len(words)) - 1][1],
                    u.heading_path,
                    u.is_heading,
                    block_start=u.block_start and k == 0,
                )
                for k in range(0, len(words), per)
            ]
            # A piece holding one giant "word" (a long URL among a few words) can
            # still be too long: split it again. Each piece is strictly shorter
            # than ``u`` when there are several, so this ends.
            out += self._fit_units(split, pages_by_no, limit) if len(split) > 1 else split
        return out

    def _pack(
        self, units: list[Unit], sizes: list[int], budgets: dict[tuple[str, ...], int]
    ) -> list[list[Unit]]:
        groups: list[list[Unit]] = []
        current: list[int] = []
        used = 0
        for i, (u, n) in enumerate(zip(units, sizes, strict=True)):
            section_break = u.is_heading and used >= MIN_CHUNK_TOKENS
            # A chunk's budget is set by the heading path of its first body unit.
            path = next(
                (units[j].heading_path for j in current if not units[j].is_heading), u.heading_path
            )
            budget = budgets.get(path, self.window)
            if current and (section_break or used + n + 1 > budget):
                groups.append([units[j] for j in current])
                current = [] if section_break else self._overlap(current, units, sizes, n, budget)
                used = sum(sizes[j] + 1 for j in current)
            current.append(i)
            used += n + 1
        if current:
            groups.append([units[j] for j in current])
        return groups

    def _overlap(
        self, previous: list[int], units: list[Unit], sizes: list[int], incoming: int, budget: int
    ) -> list[int]:
        """Trailing sentences of the previous chunk, up to ``overlap`` tokens."""
        carried: list[int] = []
        total = 0
        for j in reversed(previous[1:]):  # never carry the whole previous chunk
            if units[j].is_heading or total + sizes[j] + 1 > self.overlap:
                break
            carried.insert(0, j)
            total += sizes[j] + 1
        if total + incoming + 1 > budget // 2:
            return []  # the overlap must stay small next to the new material
        return carried

    def _verify(
        self, document: Document, pages_by_no: dict[int, Page], groups: list[list[Unit]]
    ) -> list[Chunk]:
        """Measure each chunk's embedded text; split any that still overflow."""
        # Single units that cannot be cut any smaller: only possible when the
        # header alone (a pathological title or headings) nearly fills the
        # window. They are kept as they are, over the window, rather than loop.
        stuck: list[list[Unit]] = []
        while True:
            chunks = [_make(document, pages_by_no, g, i) for i, g in enumerate(groups)]
            sizes = self.count([embed_text(document, c) for c in chunks])
            if all(n <= self.window or g in stuck for g, n in zip(groups, sizes, strict=True)):
                return [
                    replace(c, n_tokens=n + SPECIAL_TOKENS)
                    for c, n in zip(chunks, sizes, strict=True)
                ]
            fixed: list[list[Unit]] = []
            for g, n in zip(groups, sizes, strict=True):
                if n <= self.window or g in stuck:
                    fixed.append(g)
                elif len(g) > 1:
                    fixed += [g[: len(g) // 2], g[len(g) // 2 :]]
                else:
                    # One unit plus its header overflows: cut the unit so each piece fits.
                    limit = max(8, self.window - HEADER_MAX_TOKENS - (n - self.window))
                    pieces = self._fit_units(g, pages_by_no, limit)
                    if pieces == g:
                        stuck.append(g)
                    fixed += [[u] for u in pieces]
            groups = fixed


def _make(document: Document, pages_by_no: dict[int, Page], units: list[Unit], index: int) -> Chunk:
    first, last = units[0], units[-1]
    body = next((u for u in units if not u.is_heading), first)
    return Chunk(
        doc_id=document.doc_id,
        index=index,
        text=_text_between(pages_by_no, first, last),
        page_start=first.page,
        page_end=last.page,
        heading_path=body.heading_path,
        char_start=first.start,
        char_end=last.end,
        ocr=any(pages_by_no[u.page].ocr for u in units),
        marks=_marks_between(pages_by_no, first, last),
    )


def _marks_between(pages_by_no: dict[int, Page], first: Unit, last: Unit) -> tuple[Mark, ...]:
    """The pages' marks within a chunk, as offsets into its text (``_text_between``)."""
    out: list[Mark] = []
    base = 0
    for n in range(first.page, last.page + 1):
        page = pages_by_no.get(n)
        if page is None:
            continue
        lo = first.start if n == first.page else 0
        hi = last.end if n == last.page else len(page.text)
        for m in page.marks:
            s, e = max(m.start, lo), min(m.end, hi)
            if s < e:
                out.append(Mark(base + s - lo, base + e - lo, m.kind, m.note))
        base += hi - lo + 1  # the newline that joins pages
    return tuple(out)
