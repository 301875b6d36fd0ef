"""Presentation helpers for the app, kept free of Streamlit so they can be tested.

The one rule here: document text is escaped before anything is wrapped around
it. Highlighting works on the raw text's character positions, then every run
of text is passed through ``html.escape`` and only our own ``<mark>`` and
``<span>`` tags are added, so a PDF that contains ``<script>`` shows those
characters and nothing runs.

Streamlit reads captions, labels, toasts, alerts and headers as Markdown, so a
title such as ``![x](http://host/x.png)`` would make every reader's browser
fetch that address. ``md_text`` is the one way a document's or a user's string
enters such a widget.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kb.answer.model import Answer
from kb.records import MARKER, Document, Filters, Hit, Mark
from kb.text.limits import excerpt
from kb.text.terms import content_terms, stem, words
from kb.workspace.pinned import PinnedPassage

SEP = " \u00b7 "

# Every ASCII punctuation character: CommonMark lets each be backslash-escaped,
# and only these carry Markdown (and Streamlit's directives, math and icons).
_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Streamlit turns some plain text into links or emoji *after* unescaping: GFM
# autolink literals (http://, www., name@host) and :shortcodes:. An invisible
# WORD JOINER after each colon and before each @, and inside "www.", breaks
# those patterns while the text reads (and wraps) the same.
_WJ = "\u2060"
_WWW_DOT = re.compile(r"(?i)(?<=www)(?=\\\.)")

DOC_TYPE_LABELS = {
    "national_review": "National review",
    "local_review": "Local review",
    "rapid_review_analysis": "Rapid review analysis",
    "review_analysis": "Review analysis",
    "annual_report": "Annual report",
    "thematic_review": "Thematic review",
    "statutory_guidance": "Statutory guidance",
    "practice_guidance": "Practice guidance",
    "local_procedure": "Local procedure",
    "research_report": "Research report",
    "inspection_report": "Inspection report",
    "inspection_framework": "Inspection framework",
    "training_material": "Training material",
    "policy": "Policy",
    "practice_briefing": "Practice briefing",
    "other": "Other",
}


def md_text(text: object) -> str:
    """``text`` as Markdown that renders as exactly that text, on one line.

    For Streamlit widgets that interpret Markdown (captions, labels, alerts,
    toasts, headers, image captions): no link, image, emphasis, HTML, math,
    emoji or icon shortcode can come out of it. Whitespace runs become one space,
    since a newline could start a list, a heading or a code block.
    """
    one_line = " ".join(str(text).split())
    escaped = _MD_PUNCTUATION.sub(r"\\\1", one_line)
    escaped = escaped.replace("\\:", "\\:" + _WJ).replace("\\@", _WJ + "\\@")
    return _WWW_DOT.sub(_WJ, escaped)


def page_icon() -> str:
    """The app's favicon as SVG text (Streamlit serves it as a data: URL, so
    showing it asks no other site, unlike a ``:material/...:`` icon)."""
    from importlib.resources import files

    return files("kb.web").joinpath("book.svg").read_text(encoding="utf-8")


def doc_type_label(doc_type: str) -> str:
    return DOC_TYPE_LABELS.get(doc_type, doc_type.replace("_", " ").capitalize())


def pages_label(page_start: int, page_end: int) -> str:
    return f"p. {page_start}" if page_start == page_end else f"pp. {page_start}\u2013{page_end}"


def highlight(
    text: str,
    terms: Iterable[str] = (),
    spans: Sequence[tuple[int, int]] = (),
    marks: Sequence[Mark] = (),
) -> str:
    """``text`` as safe HTML: words whose stem is in ``terms`` in ``<mark>``,
    character ranges in ``spans`` (the answer's sentences) in a quote span, and
    the footnote numbers ingest marked in ``marks`` raised, so "guidance211"
    reads as a word and its note (the text itself stays whole)."""
    stems = set(terms)
    marked = _within(
        len(text), [(m.start(), m.end()) for m in words(text) if stem(m.group(0)) in stems]
    )
    quoted = _within(len(text), spans)
    raised = _within(len(text), [(m.start, m.end) for m in marks if m.kind == MARKER])
    out: list[str] = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and (marked[j], quoted[j], raised[j]) == (
            marked[i],
            quoted[i],
            raised[i],
        ):
            j += 1
        piece = html.escape(text[i:j])
        if marked[i]:
            piece = f"<mark>{piece}</mark>"
        if raised[i]:
            piece = f'<sup class="kb-note">{piece}</sup>'
        if quoted[i]:
            piece = f'<span class="kb-quoted">{piece}</span>'
        out.append(piece)
        i = j
    return "".join(out)


def _within(n: int, ranges: Iterable[tuple[int, int]]) -> list[bool]:
    """For each of ``n`` characters, whether it falls in one of ``ranges``."""
    inside = [False] * n
    for s, e in ranges:
        s, e = max(0, s), min(n, e)
        inside[s:e] = [True] * max(0, e - s)
    return inside


# Words on nearly every page of this library: marking them marks everything.
_EVERYWHERE = frozenset(stem(w) for w in ("child", "children", "young", "people", "person"))


def marked_terms(question: str) -> list[str]:
    """The question's terms worth marking in a passage."""
    return [t for t in content_terms(question) if t not in _EVERYWHERE]


def passage_html(hit: Hit, question: str, spans: Sequence[tuple[int, int]] = ()) -> str:
    body = highlight(hit.chunk.text, marked_terms(question), spans, hit.chunk.marks)
    return f'<div class="kb-passage">{body}</div>'


def answer_html(answer: Answer) -> str:
    """The cited answer: each sentence escaped, followed by its [n] link to its card
    (and, for the fact of a Myth/Fact row, the myth it answers; for a threshold
    matrix's cell, its label)."""
    items = [
        f'<li>{html.escape(s.text)} <a class="kb-cite" href="#passage-{s.citation}" '
        f'title="Passage {s.citation}">[{s.citation}]</a>{_labels_html(answer.labels_of(s))}</li>'
        for s in answer.sentences
    ]
    return f'<ul class="kb-answer">{"".join(items)}</ul>'


def _labels_html(labels: Sequence[str]) -> str:
    """What a quoted sentence is read beside (the myth a fact answers, a matrix
    cell's level): labelled, under it, never as a statement."""
    return "".join(f'<div class="kb-myth">{html.escape(label)}</div>' for label in labels)


def _meta_html(publisher: str, year: int | None, doc_type: str, last: str) -> str:
    """A card's metadata line: publisher, year, type and ``last`` (pages, matches), escaped."""
    meta = (
        publisher or "Publisher unknown",
        str(year) if year else "n.d.",
        doc_type_label(doc_type),
        last,
    )
    return f'<div class="kb-meta">{SEP.join(html.escape(m) for m in meta)}</div>'


def _section_html(heading: str | None) -> str:
    if heading is None:
        return ""
    return f'<div class="kb-section">Section: <em>{html.escape(heading)}</em></div>'


def card_header_html(number: int | None, hit: Hit) -> str:
    """Title line and metadata line of a passage card, all escaped."""
    d, c = hit.document, hit.chunk
    pages = pages_label(c.page_start, c.page_end)
    section = _section_html(c.heading_path[-1] if c.heading_path else None)
    anchor = f' id="passage-{number}"' if number is not None else ""
    badge = f'<span class="kb-badge">[{number}]</span> ' if number is not None else ""
    fictional = ' <span class="kb-fictional">fictional sample</span>' if d.fictional else ""
    return (
        f'<div class="kb-card-head"{anchor}>{badge}<span class="kb-title">'
        f"{html.escape(d.title or d.file)}</span>{fictional}</div>"
        f"{_meta_html(d.publisher, d.year, d.doc_type, pages)}{section}"
    )


def document_header_html(document: Document, matches: int) -> str:
    d = document
    counted = f"{matches} matching passage{'s' if matches != 1 else ''}"
    return (
        f'<div class="kb-card-head"><span class="kb-title">'
        f"{html.escape(d.title or d.file)}</span></div>"
        f"{_meta_html(d.publisher, d.year, d.doc_type, counted)}"
    )


def pinned_header_html(number: int, p: PinnedPassage) -> str:
    """Title and metadata of a pinned passage on the Collections page, escaped."""
    return (
        f'<div class="kb-card-head"><span class="kb-badge">{number}.</span> '
        f'<span class="kb-title">{html.escape(p.title)}</span></div>'
        f"{_meta_html(p.publisher, p.year, p.doc_type, p.pages)}{_section_html(p.heading or None)}"
    )


def snippet_html(hit: Hit, question: str, limit: int = 420, *, with_head: bool = True) -> str:
    """A shortened passage (precedent view, related passages), cut on a word boundary,
    under its page and section unless the card's header already shows them."""
    text = excerpt(hit.chunk.text, limit)
    head = f"{pages_label(hit.chunk.page_start, hit.chunk.page_end)}"
    if hit.chunk.heading_path:
        head += f" \u00b7 {hit.chunk.heading_path[-1]}"
    head_html = f'<div class="kb-snippet-head">{html.escape(head)}</div>' if with_head else ""
    return f'{head_html}<div class="kb-passage">{highlight(text, marked_terms(question))}</div>'


@dataclass(frozen=True)
class FilterChoice:
    """What the sidebar holds, turned into search filters."""

    doc_types: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    years: tuple[int, int] | None = None  # None: the whole range
    year_bounds: tuple[int, int] | None = None
    kinds: tuple[str, ...] = ()  # ("recommendation",): only a review's recommendations

    def filters(self) -> Filters:
        year_from = year_to = None
        if self.years is not None and self.year_bounds is not None:
            if self.years[0] > self.year_bounds[0]:
                year_from = self.years[0]
            if self.years[1] < self.year_bounds[1]:
                year_to = self.years[1]
        return Filters(
            doc_types=self.doc_types,
            publishers=self.publishers,
            themes=self.themes,
            kinds=self.kinds,
            year_from=year_from,
            year_to=year_to,
        )


# Shown while the server opens the library: by the app, and by kb.web.prerender
# in the page's HTML before the app has connected.
LOADING = "Loading the library… The first start after a restart takes a little while."

CSS = """
<style>
.stMainBlockContainer { padding-top: 2.5rem; }
.kb-answer, .kb-card-head, .kb-meta, .kb-section, .kb-passage, .kb-snippet-head {
  font-family: inherit; }
.kb-answer { margin: 0.2rem 0 0.4rem 0; padding-left: 1.1rem; line-height: 1.6;
  font-size: 1.02rem; }
.kb-answer li { margin-bottom: 0.45rem; }
.kb-myth { font-size: 0.85em; opacity: 0.75; }
.kb-cite { font-weight: 600; text-decoration: none; color: #1f5f8b; white-space: nowrap; }
.kb-card-head { font-size: 1.02rem; line-height: 1.4; }
.kb-badge { font-weight: 700; color: #1f5f8b; }
.kb-title { font-weight: 600; }
.kb-fictional { font-size: 0.75rem; color: #7a5c00; background: #fff3c4;
  border-radius: 0.3rem; padding: 0.05rem 0.35rem; margin-left: 0.3rem; }
.kb-meta, .kb-section { color: #4a5561; font-size: 0.88rem; margin-top: 0.1rem; }
.kb-section { font-style: normal; }
.kb-passage { white-space: pre-wrap; line-height: 1.55; margin-top: 0.5rem;
  font-size: 0.95rem; color: #1d2733; }
.kb-passage mark { background: #fde68a; color: inherit; padding: 0 0.05rem;
  border-radius: 0.15rem; }
.kb-related .kb-passage { color: #4a5561; }
.kb-quoted { background: #e3efe6; box-shadow: 0 0 0 1px #e3efe6; }
.kb-note { font-size: 0.7em; color: #4a5561; }
.kb-also { margin: 0.35rem 0 0.15rem 0; line-height: 1.5; }
.kb-also-quote { color: #1d2733; }
.kb-snippet-head { color: #4a5561; font-size: 0.85rem; margin-top: 0.6rem; font-weight: 600; }
</style>
"""

# At a laptop's half-screen width (up to 900 px) an open sidebar leaves the
# passages a narrow column and squeezes the card buttons' labels; Streamlit's
# own "auto" only collapses it at 768 px or less. Collapse it once per browser
# tab there; the person can open it again and it then stays open.
NARROW_WIDTH_PX = 900
NARROW_SCRIPT = f"""
<script>
(() => {{
  const key = "kb-narrow-sidebar-collapsed";
  if (window.innerWidth > {NARROW_WIDTH_PX} || window.sessionStorage.getItem(key)) return;
  const collapse = (tries) => {{
    const side = document.querySelector('[data-testid="stSidebar"]');
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (side && button && side.dataset.collapsed === "false") {{
      window.sessionStorage.setItem(key, "1");
      button.click();
    }} else if (tries > 0) {{
      setTimeout(() => collapse(tries - 1), 200);
    }}
  }};
  collapse(50);
}})();
</script>
"""
