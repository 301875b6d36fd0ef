"""The Streamlit app through Streamlit's AppTest: ask, filter, group by review,
no-match, pin, export, deep links, escaping, the source page and the Library page.

The app opens its Library from ``Settings.from_env()``, so each test points
``KB_STORE_DIR`` at a store built from the fictional reviews (plus one hostile
PDF) with the real model. The app caches that Library for the whole process,
as it would in production, so the model loads once for all these tests.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_store import (
    ANSWERABLE,
    APP,
    HOSTILE_IMG,
    HOSTILE_MARKUP,
    NONSENSE,
    app_store,
    copy_store,
)
from conftest import REVIEW_PAGES, write_image_only_pdf, write_pdf
from kb.answer.model import NO_MATCH_MESSAGE
from kb.config import Settings
from kb.web import html as ui
from kb.workspace.export import to_csv, to_docx, to_markdown
from kb.workspace.pinned import Collections

pytestmark = pytest.mark.slow

TIMEOUT = 240  # the first run loads the model; later runs take well under a second


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    return app_store(tmp_path_factory, real_embedder)


@pytest.fixture
def app(store: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("KB_STORE_DIR", str(store))
    monkeypatch.setenv("KB_OCR", "false")
    shutil.rmtree(store / "collections", ignore_errors=True)  # each test starts unpinned
    yield AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    shutil.rmtree(store / "collections", ignore_errors=True)


def html_of(at: AppTest) -> list[str]:
    """The page's HTML elements, less kb's own fixed script (ui.NARROW_SCRIPT):
    what is left must never hold a script."""
    return [h.value for h in at.html if h.value.strip() != ui.NARROW_SCRIPT.strip()]


def answer_html(at: AppTest) -> str:
    found = [h for h in html_of(at) if 'class="kb-answer"' in h]
    return found[0] if found else ""


def card_heads(at: AppTest) -> list[str]:
    return [h for h in html_of(at) if 'class="kb-card-head"' in h]


def shown(markdown: str) -> str:
    """What a reader sees of Markdown escaped by ``kb.web.html.md_text``."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def ask(at: AppTest, question: str, **params: str | list[str]) -> AppTest:
    at.query_params["q"] = question
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


# --------------------------------------------------------------------------- ask


def test_the_server_imports_the_app_without_the_library() -> None:
    """``streamlit run`` imports app.py before it listens; the library, numpy and
    the pages load afterwards, in the warm-up, so a fresh server paints at once."""
    import subprocess
    import sys

    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import app; "
        "print(sorted(m for m in ('numpy', 'kb.library', 'kb.web.frame', 'pandas') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(APP.parent)],
        capture_output=True, text=True, check=True, timeout=120,
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_ask_shows_cited_sentences_and_passage_cards(app: AppTest) -> None:
    at = ask(app, ANSWERABLE)
    no_errors(at)
    answer = answer_html(at)
    sentences = re.findall(r"<li>(.*?)</li>", answer, flags=re.S)
    assert 2 <= len(sentences) <= 6
    for sentence in sentences:  # every sentence ends with its citation
        assert re.search(r'href="#passage-\d+"[^>]*>\[\d+\]</a>$', sentence), sentence
    assert "14 times" in answer
    heads = card_heads(at)
    assert len(heads) >= 2
    cited = {int(n) for n in re.findall(r"\[(\d+)\]</a>", answer)}
    for n in cited:  # each cited number has its card, with page and metadata
        head = next(h for h in heads if f'id="passage-{n}"' in h)
        assert re.search(r"· pp?\. \d+", head), head
        assert "(fictional)" in head and "Local review" in head
    assert not at.warning
    assert [w.value for w in at.info if "Content note" in w.value]


def test_passages_highlight_question_terms(app: AppTest) -> None:
    at = ask(app, ANSWERABLE)
    passages = [h for h in html_of(at) if 'class="kb-passage"' in h]
    assert any("<mark>missing</mark>" in p.lower() for p in passages)


def test_no_match_says_so_and_shows_only_related_passages(app: AppTest) -> None:
    at = ask(app, NONSENSE)
    no_errors(at)
    assert any(NO_MATCH_MESSAGE in w.value for w in at.warning)
    assert answer_html(at) == ""
    assert "Related passages" in [s.value for s in at.subheader]
    assert not any('id="passage-' in h for h in card_heads(at))  # no citation numbers


# --------------------------------------------------------------------------- filters


def test_filters_narrow_results_and_update_the_count(app: AppTest) -> None:
    at = ask(app, ANSWERABLE)
    before = [m.value for m in at.sidebar.caption if "passages" in m.value]
    assert before and before[0].startswith("Searching all")
    at.multiselect(key="type").set_value(["thematic_review"]).run()
    no_errors(at)
    count = [m.value for m in at.sidebar.markdown if "match these filters" in m.value]
    assert count and "in 1 document" in count[0]
    heads = card_heads(at)
    assert heads and all("Thematic review" in h for h in heads)
    assert all("Child R" not in h for h in heads)


def test_year_and_publisher_filters(app: AppTest) -> None:
    at = ask(app, ANSWERABLE, year_from="2024", year_to="2025")
    no_errors(at)
    assert at.slider(key="years").value == (2024, 2025)
    heads = card_heads(at)
    assert heads and all(re.search(r"· 202[45] ·", h) for h in heads), heads
    publisher = "Highmoor Local Safeguarding Children Board (fictional)"
    at = ask(AppTest.from_file(str(APP), default_timeout=TIMEOUT), ANSWERABLE, publisher=publisher)
    no_errors(at)
    assert at.multiselect(key="publisher").value == [publisher]
    assert all("Highmoor" in h for h in card_heads(at))


def test_theme_filter_uses_the_tagged_themes(app: AppTest) -> None:
    at = ask(app, ANSWERABLE, theme="missing_children")
    no_errors(at)
    theme = at.multiselect(key="theme")
    assert theme.value == ["missing_children"]
    assert any(o.startswith("Missing") or "missing" in o.lower() for o in theme.options)
    heads = card_heads(at)
    assert heads and any("Child R" in h for h in heads)
    count = [m.value for m in at.sidebar.markdown if "match these filters" in m.value]
    assert count and not count[0].startswith("**0 passages")
    assert at.query_params.get("theme") in ("missing_children", ["missing_children"])


def test_deep_link_reproduces_the_search(app: AppTest) -> None:
    at = ask(app, ANSWERABLE, type=["local_review"], view="reviews", year_from="2020")
    no_errors(at)
    assert at.text_input(key="q").value == ANSWERABLE
    assert at.multiselect(key="type").value == ["local_review"]
    assert at.segmented_control(key="view").value == "reviews"
    assert at.slider(key="years").value[0] == 2020
    heads = card_heads(at)
    assert heads and all("Local review" in h and "matching passage" in h for h in heads)


def test_changing_filters_writes_them_into_the_url(app: AppTest) -> None:
    at = ask(app, ANSWERABLE)
    at.multiselect(key="type").set_value(["local_review", "thematic_review"]).run()
    at.segmented_control(key="view").set_value("reviews").run()
    params = at.query_params
    assert sorted(params["type"]) == ["local_review", "thematic_review"]
    assert params["view"] == "reviews"
    at.multiselect(key="type").set_value([]).run()
    assert "type" not in at.query_params


# --------------------------------------------------------------------------- precedents


def test_group_by_review_shows_one_card_per_document(app: AppTest) -> None:
    at = ask(app, "What did reviews find about professionals not hearing the child?")
    at.segmented_control(key="view").set_value("reviews").run()
    no_errors(at)
    heads = card_heads(at)
    titles = [re.search(r'kb-title">(.*?)</span>', h).group(1) for h in heads]  # type: ignore[union-attr]
    assert len(titles) >= 2 and len(titles) == len(set(titles))
    assert all("matching passage" in h for h in heads)
    snippets = [h for h in html_of(at) if 'class="kb-snippet-head"' in h]
    assert len(heads) <= len(snippets) <= 3 * len(heads)
    assert all(re.search(r"pp?\. \d+", s) for s in snippets)


# --------------------------------------------------------------------------- broad answers

BROAD = "what have reviews found about safer sleep"


def test_a_broad_question_shows_its_evidence_summary_and_the_reviews(
    app: AppTest, store: Path
) -> None:
    at = ask(app, BROAD)
    no_errors(at)
    heads = [s.value for s in at.subheader]
    assert re.fullmatch(r"Evidence summary across \d+ documents", heads[0]), heads
    assert answer_html(at) == ""  # not the short answer
    findings = [e for e in at.expander if re.search(r"\*\*\d+ documents?\*\*$", e.label)]
    assert len(findings) >= 2
    groups = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert groups and groups[0] == "#### What reviews found"
    assert set(groups) <= {"#### What reviews found", "#### What guidance says"}
    precedents = next(h for h in heads if re.fullmatch(r"\d+ reviews? discuss(es)? this", h))
    count = int(precedents.split()[0])
    assert count >= 1 and len(card_heads(at)) == count  # one card per review shown
    # An "also in" (or the key passage) opens its source page, as a card does.
    toggle = next(t for t in at.toggle if t.key.startswith("src-f0-0-"))
    toggle.set_value(True).run()
    no_errors(at)
    assert len(at.image) == 1

    at.button(key="pinf-f0-0").click().run()
    no_errors(at)
    assert at.button(key="unpinf-f0-0").label.startswith("Finding pinned")
    saved = Collections(store / "collections").get("My collection")
    [pinned] = saved.items
    assert pinned.group == "reviews" and pinned.finding in pinned.text
    assert " ".join(pinned.finding.split()) in shown(findings[0].label)
    md = to_markdown(saved)
    assert "## What reviews found" in md and "**Finding:**" in md

    at.radio(key="page").set_value("Collections").run()
    no_errors(at)
    assert "#### What reviews found" in [m.value for m in at.markdown]
    at.button(key=f"rm-{pinned.key}").click().run()
    assert len(Collections(store / "collections").get("My collection")) == 0


# --------------------------------------------------------------------------- pin and export


def test_pin_then_export_from_the_collections_page(app: AppTest, store: Path) -> None:
    at = ask(app, ANSWERABLE)
    pins = [b for b in at.button if b.label == "Pin to collection"]
    assert pins
    pins[0].click().run()
    no_errors(at)
    assert [b for b in at.button if b.label.startswith("Pinned")]
    saved = Collections(store / "collections").get("My collection")
    assert len(saved) == 1 and saved.items[0].question == ANSWERABLE

    at.radio(key="page").set_value("Collections").run()
    no_errors(at)
    labels = [b.label for b in at.download_button]
    assert labels == ["Export Markdown", "Export Word (DOCX)", "Export CSV"]
    codes = [c.value for c in at.code]
    assert any("p. " in c and "(fictional)" in c for c in codes)  # the full reference

    import docx

    document = docx.Document(io.BytesIO(to_docx(saved)))
    text = "\n".join(p.text for p in document.paragraphs)
    item = saved.items[0]
    assert item.title in text and item.publisher in text and item.pages in text
    assert item.file in text  # no source URL for the fictional files: the file instead
    assert item.title in to_markdown(saved) and item.title in to_csv(saved)

    at.button(key=f"rm-{item.chunk_id}").click().run()
    assert len(Collections(store / "collections").get("My collection")) == 0


def test_new_collection_becomes_the_pin_target(app: AppTest, store: Path) -> None:
    at = ask(app, ANSWERABLE)
    at.text_input(key="new_collection_name").set_value("Panel precedents").run()
    at.button(key="create_collection").click().run()
    no_errors(at)
    assert at.selectbox(key="collection").value == "Panel precedents"
    [b for b in at.button if b.label == "Pin to collection"][0].click().run()
    assert len(Collections(store / "collections").get("Panel precedents")) == 1


def test_collection_names_and_questions_reach_markdown_escaped(app: AppTest, store: Path) -> None:
    name = ":red[![c](http://beacon.invalid/c.png)] Panel"
    question = f"{ANSWERABLE} [q](http://beacon.invalid/q)"
    at = ask(app, question)
    at.text_input(key="new_collection_name").set_value(name).run()
    at.button(key="create_collection").click().run()
    [b for b in at.button if b.label == "Pin to collection"][0].click().run()
    no_errors(at)
    assert [t.value for t in at.toast] == [f"Pinned to “{ui.md_text(name)}”."]
    at.radio(key="page").set_value("Collections").run()
    no_errors(at)
    assert ui.md_text(name) in [s.value for s in at.subheader]
    assert f"Found by: {ui.md_text(question)}" in [c.value for c in at.caption]
    assert shown(ui.md_text(question)) == question


# --------------------------------------------------------------------------- care


def test_document_text_is_escaped(app: AppTest) -> None:
    at = ask(app, "What did the note about the zebra-striped blanket say?")
    no_errors(at)
    everything = "\n".join(html_of(at))
    assert "zebra" in everything.lower()
    assert "&lt;script&gt;" in everything and "onerror=alert(2)&gt;" in everything
    assert "<script" not in everything and "<img" not in everything
    at.radio(key="page").set_value("Ask").run()
    pins = [b for b in at.button if b.label == "Pin to collection"]
    pins[0].click().run()
    at.radio(key="page").set_value("Collections").run()
    collection_html = "\n".join(html_of(at))
    assert "<script" not in collection_html and "<img" not in collection_html
    assert HOSTILE_MARKUP not in collection_html and HOSTILE_IMG not in collection_html


def test_source_page_renders_the_pdf_page(app: AppTest) -> None:
    at = ask(app, ANSWERABLE)
    at.toggle(key=next(t.key for t in at.toggle if t.key.startswith("src-ans-"))).set_value(
        True
    ).run()
    no_errors(at)
    assert len(at.image) == 1
    assert [b.label for b in at.download_button if b.label.startswith("Download ")]


# --------------------------------------------------------------------------- library page


def test_library_page_lists_documents_and_ingests_uploads(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A private copy: this test adds a document.
    private = copy_store(store, tmp_path / "store")
    monkeypatch.setenv("KB_STORE_DIR", str(private))
    monkeypatch.setenv("KB_OCR", "false")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["page"] = "Library"
    at.run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Documents"] == "13"
    assert int(metrics["Pages"]) >= 20
    assert len(at.dataframe) == 1

    good = write_pdf(tmp_path / "child-q.pdf", [list(p) for p in REVIEW_PAGES])
    at.file_uploader(key="uploads").set_value(
        [
            ("child-q.pdf", good.read_bytes(), "application/pdf"),
            ("broken.pdf", b"this is not a PDF at all\n" * 10, "application/pdf"),
        ]
    ).run()
    at.button(key="ingest").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success if "Added 1 document" in s.value]
    errors = [e.value for e in at.error]
    assert any(
        shown(e).startswith("broken.pdf was not added:") and "not a PDF" in e for e in errors
    )
    assert any(e.startswith(f"{ui.md_text('broken.pdf')} was not added") for e in errors)
    assert at.get("progress")
    assert (private / "uploads" / "child-q.pdf").is_file()
    assert Settings.of(store_dir=private).store.store_dir == private
    # The counts show the new document without another click, the uploader is empty.
    assert {m.label: m.value for m in at.metric}["Documents"] == "14"
    assert all(not u.value for u in at.get("file_uploader"))
    # What kb inferred for the new document is shown for the uploader to check.
    inferred = [d.value for d in at.dataframe if "Publisher" in d.value and "Pages" not in d.value]
    assert len(inferred) == 1 and list(inferred[0]["File"]) == ["child-q.pdf"], inferred
    assert inferred[0]["Title"].iloc[0], inferred[0]
    assert any("Check what kb read from them" in m.value for m in at.markdown)
    at.run()
    assert {m.label: m.value for m in at.metric}["Documents"] == "14"


def test_an_upload_with_a_page_left_unread_says_which_page(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scanned page with no OCR to read it is not searchable: the person who
    uploaded the document is told which page, not left to find out."""
    from pypdf import PdfWriter

    private = copy_store(store, tmp_path / "store")
    monkeypatch.setenv("KB_STORE_DIR", str(private))
    monkeypatch.setenv("KB_OCR", "false")
    writer = PdfWriter()
    writer.append(str(write_pdf(tmp_path / "text.pdf", [list(p) for p in REVIEW_PAGES])))
    writer.append(str(write_image_only_pdf(tmp_path / "scan.pdf")))
    mixed = io.BytesIO()
    writer.write(mixed)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["page"] = "Library"
    at.run()
    at.file_uploader(key="uploads").set_value(
        [("with scan.pdf", mixed.getvalue(), "application/pdf")]
    ).run()
    at.button(key="ingest").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success if "Added 1 document" in s.value]
    page = len(REVIEW_PAGES) + 1
    warned = [shown(w.value) for w in at.warning]
    assert any(
        w.startswith(f"with scan.pdf was added, but page {page} without a text layer")
        for w in warned
    ), warned


def test_uploads_whose_names_collide_are_both_added(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = copy_store(store, tmp_path / "store")
    monkeypatch.setenv("KB_STORE_DIR", str(private))
    monkeypatch.setenv("KB_OCR", "false")
    pages = [list(p) for p in REVIEW_PAGES]
    first = write_pdf(tmp_path / "a.pdf", pages, title="Child Q review: draft")
    second = write_pdf(tmp_path / "b.pdf", [*pages, ["Addendum: the final version."]])
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["page"] = "Library"
    at.run()
    before = int({m.label: m.value for m in at.metric}["Documents"])
    at.file_uploader(key="uploads").set_value(
        [
            ("Review (final).pdf", first.read_bytes(), "application/pdf"),
            ("Review [final].pdf", second.read_bytes(), "application/pdf"),
        ]
    ).run()
    at.button(key="ingest").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    added = [shown(s.value) for s in at.success]
    assert len(added) == 1 and added[0].startswith("Added 2 documents"), added
    assert added[0].endswith(": Review (final).pdf, Review [final].pdf.")
    assert not at.error, [e.value for e in at.error]
    assert len(list((private / "uploads").glob("Review _final_*.pdf"))) == 2
    at.run()
    assert {m.label: m.value for m in at.metric}["Documents"] == str(before + 2)


# --------------------------------------------------------------------------- kb ask


def test_kb_ask_json_gives_the_answer_the_app_shows(
    app: AppTest, store: Path, tmp_path: Path
) -> None:
    import html
    import json

    from click.testing import CliRunner

    from kb.cli import cli

    at = ask(app, ANSWERABLE)
    shown = [
        html.unescape(re.sub(r"\s*<a class=\"kb-cite\".*$", "", li, flags=re.S))
        for li in re.findall(r"<li>(.*?)</li>", answer_html(at), flags=re.S)
    ]
    cited = [int(n) for n in re.findall(r">\[(\d+)\]</a>", answer_html(at))]

    private = copy_store(store, tmp_path / "store")  # one process per store at a time
    result = CliRunner().invoke(cli, ["--store", str(private), "ask", ANSWERABLE, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["no_match"] is False
    assert [s["text"] for s in data["sentences"]] == shown
    assert [s["citation"] for s in data["sentences"]] == cited
    for s in data["sentences"]:
        passage = data["passages"][s["citation"] - 1]
        assert passage["number"] == s["citation"] and s["text"] in passage["text"]
        assert {"doc", "page_start", "page_end", "heading", "text"} <= set(passage)

    nonsense = CliRunner().invoke(cli, ["--store", str(private), "ask", NONSENSE, "--json"])
    assert json.loads(nonsense.output)["no_match"] is True
    human = CliRunner().invoke(cli, ["--store", str(private), "ask", NONSENSE])
    assert NO_MATCH_MESSAGE in human.output
