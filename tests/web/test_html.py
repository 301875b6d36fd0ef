"""kb.web.html and kb.parse.render: escaping, highlighting, filter choices and the page renderer."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from conftest import MakePdf
from kb.errors import KbError
from kb.parse.render import can_render, matched_ranges, render_page
from kb.records import MARKER, XREF, Chunk, Document, Filters, Hit, Mark
from kb.web import html as ui

HOSTILE = (
    "Before <script>alert(1)</script> and <img src=x onerror=alert(2)> after; "
    "a [link](javascript:alert(3)) and $x$ and **bold** & more"
)


def hit(text: str, *, heading: tuple[str, ...] = ("Findings",), title: str = "T") -> Hit:
    doc = Document(doc_id="d", file="d.pdf", title=title, publisher="P", year=2024)
    chunk = Chunk(doc_id="d", index=0, text=text, page_start=3, page_end=4, heading_path=heading)
    return Hit(chunk=chunk, document=doc, score=1.0)


def test_highlight_escapes_everything_and_marks_only_terms() -> None:
    out = ui.highlight(HOSTILE, terms=["script", "alert"], spans=[(0, 6)])
    assert "<script" not in out and "<img" not in out
    assert "&lt;<mark>script</mark>&gt;" in out
    assert "onerror=<mark>alert</mark>(2)&gt;" in out
    assert '<span class="kb-quoted">Before</span>' in out
    stripped = re.sub(r"</?(mark|span)[^>]*>", "", out)
    import html

    assert html.unescape(stripped) == HOSTILE  # nothing lost, nothing added


def test_a_passage_raises_its_footnote_numbers_and_keeps_its_text() -> None:
    text = "More details are in the panel's practice guidance211. See section 7 for more."
    at = text.index("211")
    marks = (Mark(at, at + 3, MARKER), Mark(text.index("See"), len(text), XREF))
    chunk = Chunk(doc_id="d", index=0, text=text, page_start=1, page_end=1, marks=marks)
    out = ui.passage_html(Hit(chunk=chunk, document=hit("x").document, score=1.0), "panel")
    assert 'guidance<sup class="kb-note">211</sup>.' in out
    assert out.count("<sup") == 1  # only footnote numbers are raised
    import html

    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text


def test_every_html_builder_escapes_document_fields() -> None:
    evil = hit(HOSTILE, heading=("<b>Heading</b>",), title="<script>x</script>")
    from kb.workspace.pinned import PinnedPassage

    pieces = [
        ui.pinned_header_html(1, PinnedPassage.from_hit(evil)),
        ui.card_header_html(1, evil),
        ui.passage_html(evil, "script alert"),
        ui.snippet_html(evil, "script"),
        ui.document_header_html(evil.document, 2),
    ]
    for piece in pieces:
        assert "<script" not in piece and "<img" not in piece and "<b>" not in piece


def test_answer_html_cites_each_sentence() -> None:
    from kb.answer.model import Answer, AnswerSentence

    a = Answer(
        "q",
        (AnswerSentence("<i>One</i> thing.", 2, 0, 10),),
        (hit("x"), hit("y")),
        False,
    )
    out = ui.answer_html(a)
    assert "&lt;i&gt;One&lt;/i&gt; thing." in out
    assert out.count('href="#passage-2"') == 1 and ">[2]</a>" in out


def test_common_words_are_not_marked() -> None:
    terms = ui.marked_terms("What happened to the children when the police visited?")
    assert terms == ["happen", "polic", "visit"]


def test_filter_choice_only_sets_years_that_narrow() -> None:
    full = ui.FilterChoice(years=(2019, 2025), year_bounds=(2019, 2025))
    assert full.filters() == Filters()
    narrowed = ui.FilterChoice(
        doc_types=("local_review",), years=(2021, 2025), year_bounds=(2019, 2025)
    )
    assert narrowed.filters() == Filters(doc_types=("local_review",), year_from=2021)


# --------------------------------------------------------------------------- render


def test_matched_ranges_finds_the_passage_despite_cleaning() -> None:
    page = (
        "Header line\nThe health visitor saw the baby twice in the first\n"
        "month and recorded no con-\ncerns at all.\nFooter 3"
    )
    passage = (
        "The health visitor saw the baby twice in the first month and recorded no concerns at all."
    )
    ranges = matched_ranges(page, passage)
    assert ranges and page[ranges[0][0] :].startswith("The health visitor")
    assert "Header" not in "".join(page[s:e] for s, e in ranges)


def test_render_page_highlights_the_passage(make_pdf: MakePdf, review_pages) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    pdf = make_pdf(review_pages, "review.pdf")
    passage = " ".join(review_pages[1][1:5])
    marked = render_page(pdf, 2, highlight=passage)
    plain = render_page(pdf, 2)
    assert marked.n_pages == 3 and marked.page == 2
    assert marked.highlighted > 0 and plain.highlighted == 0
    image = Image.open(io.BytesIO(marked.png))
    assert image.format == "PNG" and image.size == (marked.width, marked.height)
    assert marked.png != plain.png
    with pytest.raises(KbError, match="no page 9"):
        render_page(pdf, 9)


def test_render_refuses_what_it_cannot_open(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    assert can_render(bad) and not can_render(tmp_path / "missing.pdf")
    assert not can_render(tmp_path / "x.docx")
    with pytest.raises(KbError, match="cannot open bad.pdf"):
        render_page(bad, 1)


# --------------------------------------------------------------------------- Markdown


BEACON = "beacon.invalid"
MARKDOWN_ATTACKS = [
    f"![t](http://{BEACON}/t.png) Lighthouse review of [the ferry](http://{BEACON}/l)",
    f"![f](https:{BEACON}) x.docx",
    f"<img src=http://{BEACON}/i.png> <script>alert(1)</script> <http://{BEACON}/auto>",
    ":material/warning: :smile: :+1: :-1: :red[alarm] :blue-background[x] :streamlit:",
    "$x^2$ and $$\\int y$$ and \\(z\\) cost $5 or $6",
    f"www.{BEACON} or WWW.{BEACON} or http://{BEACON}/a or me@{BEACON}",
    "**bold** _it_ ~~strike~~ ~one~ `code` <b>b</b> &lt;img&gt; &#33;",
    "# heading\n- list\n1. one\n> quote\n---\n| a | b |\n|---|---|\n    indented code",
    f"[ref]: http://{BEACON}/r\n\n[ref] and [x][ref]",
    "back\\slash \\[not escaped\\] \\",
    "子供 😀 Review (final).pdf — Évaluation",
]
# The passes Streamlit 1.67's Markdown renderer makes over *text* after parsing
# (so after backslash escapes are undone), as in its StreamlitMarkdown bundle:
# GFM autolink literals (mdast-util-gfm-autolink-literal) and remark-emoji.
STREAMLIT_TEXT_PASSES = [
    re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE),
    re.compile(r"(?<![-.\w+])([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)"),
    re.compile(r":\+1:|:-1:|:[\w-]+:"),
]


def rendered(markdown: str) -> str:
    """CommonMark with raw HTML, tables and strikethrough on: the worst case."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(
        markdown
    )


@pytest.mark.parametrize("attack", MARKDOWN_ATTACKS)
def test_md_text_renders_as_the_text_itself(attack: str) -> None:
    import html

    source = ui.md_text(attack)
    out = rendered(source)
    # One paragraph of text: no element but <p>, so no image, link, emphasis or HTML.
    assert re.findall(r"<(/?[a-z0-9]+)", out) == ["p", "/p"], out
    text = html.unescape(out.strip().removeprefix("<p>").removesuffix("</p>"))
    assert text.replace("\u2060", "") == " ".join(attack.split())  # nothing lost or added
    for text_pass in STREAMLIT_TEXT_PASSES:
        assert not text_pass.search(text), (text_pass.pattern, text)
    # Streamlit's directives (:red[...], :material/...:) and maths start with an
    # unescaped ":" or "$"; md_text leaves none.
    assert not re.search(r"(?<!\\)[:$]", source.replace("\\\\", "")), source
    assert ":material/" not in source


def test_md_text_leaves_plain_words_alone() -> None:
    assert ui.md_text("Child Q 2024 子供 Évaluation") == "Child Q 2024 子供 Évaluation"
    assert ui.md_text("Review: Child H") == "Review\\:\u2060 Child H"
    assert ui.md_text(ValueError("a*b")) == "a\\*b"  # exceptions, as the app passes them


def test_page_icon_is_a_local_svg() -> None:
    icon = ui.page_icon()
    assert icon.lstrip().startswith("<svg") and "http" not in icon.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
