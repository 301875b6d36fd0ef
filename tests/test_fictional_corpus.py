"""The fictional sample corpus: marked fictional on every page, and its ground truth holds.

``corpus/fictional`` is the first thing a newcomer ingests, and the role labels in
``tests/data/fictional_roles.jsonl`` (findings, recommendations, reflective questions,
practice episodes, good practice) and the pinned facts in ``FACTS.md`` are ground
truth for other tests and benchmarks. Every label and fact is checked here against
the text pypdfium2 extracts from the built PDFs, and the PDFs against their sources.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from types import ModuleType

import pypdfium2 as pdfium
import pytest

from kb.records import DOC_TYPES

REPO = Path(__file__).resolve().parents[1]
FICTIONAL = REPO / "corpus" / "fictional"
SOURCES = REPO / "corpus" / "fictional_src"
ROLES = Path(__file__).parent / "data" / "fictional_roles.jsonl"

NOTICE = "Fictional sample for software testing - not a real review"
BANNER = "FICTIONAL SAMPLE FOR SOFTWARE TESTING - NOT A REAL REVIEW"
ROLE_NAMES = {
    "finding",
    "recommendation",
    "reflective_question",
    "practice_episode",
    "good_practice",
}
AUDIENCES = {"practitioners", "leaders", "partnerships"}
REVIEWS = {"national_review", "local_review", "rapid_review_analysis", "thematic_review"}


def norm(text: str) -> str:
    return " ".join(text.split())


@cache
def pages_of(pdf: Path) -> tuple[str, ...]:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return tuple(norm(doc[i].get_textpage().get_text_range()) for i in range(len(doc)))
    finally:
        doc.close()


def metadata() -> list[dict[str, str]]:
    with (FICTIONAL / "metadata.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def roles() -> list[dict[str, object]]:
    return [json.loads(line) for line in ROLES.read_text(encoding="utf-8").splitlines()]


def misplaced(rows: list[dict[str, object]], folder: Path) -> list[str]:
    """Each label whose text is not on its page of its PDF (empty when all are)."""
    problems = []
    for row in rows:
        pages = pages_of(folder / str(row["doc"]))
        page = int(row["page"])  # type: ignore[call-overload]
        if not 1 <= page <= len(pages) or norm(str(row["text"])) not in pages[page - 1]:
            problems.append(f"{row['doc']} p.{page}: {str(row['text'])[:70]!r}")
    return problems


def facts() -> list[tuple[str, int, int, str]]:
    """(PDF, pages, page, exact text) for each row of the table in FACTS.md."""
    rows = []
    for line in (SOURCES / "FACTS.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| (\S+\.pdf) \| (\d+) \| (\d+) \| .* \| `([^`]+)` \|$", line)
        if m:
            rows.append((m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)))
    return rows


# --------------------------------------------------------------------------- the corpus


def test_metadata_lists_every_pdf_as_fictional() -> None:
    rows = metadata()
    assert sorted(r["file"] for r in rows) == sorted(p.name for p in FICTIONAL.glob("*.pdf"))
    for row in rows:
        assert row["fictional"] == "true", row
        assert row["publisher"].endswith("(fictional)"), row
        assert row["doc_type"] in DOC_TYPES, row
        assert 2019 <= int(row["year"]) <= 2025, row
        assert row["title"] and row["source_url"] == "", row


def test_the_corpus_has_the_shapes_of_real_publications() -> None:
    rows = metadata()
    types = Counter(r["doc_type"] for r in rows)
    assert len(rows) >= 12
    assert types["local_review"] >= 6
    for doc_type in (
        "national_review",
        "rapid_review_analysis",
        "thematic_review",
        "annual_report",
    ):
        assert types[doc_type] >= 1, doc_type
    assert len({r["publisher"] for r in rows}) >= 8
    assert {int(r["year"]) for r in rows} == set(range(2019, 2026))


def test_every_page_is_marked_fictional() -> None:
    for pdf in sorted(FICTIONAL.glob("*.pdf")):
        pages = pages_of(pdf)
        assert 3 <= len(pages) <= 8, (pdf.name, len(pages))
        assert BANNER in pages[0] and "FICTIONAL" in pages[0], pdf.name
        for number, text in enumerate(pages, 1):
            assert NOTICE in text, (pdf.name, number)
            assert f"Page {number} of {len(pages)}" in text, (pdf.name, number)


def test_the_corpus_stays_small_and_latin1() -> None:
    assert sum(p.stat().st_size for p in FICTIONAL.iterdir()) < 512 * 1024
    for source in SOURCES.glob("*.md"):
        source.read_text(encoding="utf-8").encode("latin-1")  # fpdf2's core font


# --------------------------------------------------------------------------- facts


def test_facts_are_on_their_pages_and_no_other() -> None:
    table = facts()
    assert {f[0] for f in table} == {p.name for p in FICTIONAL.glob("*.pdf")}  # one each at least
    for name, n_pages, page, text in table:
        pages = pages_of(FICTIONAL / name)
        assert len(pages) == n_pages, (name, len(pages))
        assert [i + 1 for i, t in enumerate(pages) if norm(text) in t] == [page], (name, text)


# --------------------------------------------------------------------------- role labels


def test_role_labels_are_well_formed() -> None:
    rows = roles()
    files = {r["file"] for r in metadata()}
    for row in rows:
        assert set(row) == {
            "doc",
            "page",
            "role",
            "text",
            "addressee_level",
            "addressee",
            "audience",
        }, row
        assert row["doc"] in files and row["role"] in ROLE_NAMES, row
        text = str(row["text"])
        if row["role"] == "recommendation":
            assert row["addressee_level"] in ("national", "local"), row
            assert str(row["addressee"]).lower() in text.lower(), row  # named in the sentence
        else:
            assert row["addressee_level"] is None and row["addressee"] is None, row
        if row["role"] == "reflective_question":
            assert row["audience"] in AUDIENCES and text.endswith("?"), row
        else:
            assert row["audience"] is None, row
    assert len({(r["doc"], r["role"], r["text"]) for r in rows}) == len(rows)  # no repeats


def test_role_labels_cover_every_document() -> None:
    rows = roles()
    by_doc: dict[str, Counter[str]] = {}
    for row in rows:
        by_doc.setdefault(str(row["doc"]), Counter())[str(row["role"])] += 1
    for meta in metadata():
        counts = by_doc.get(meta["file"], Counter())
        assert counts["finding"] >= 3, (meta["file"], counts)
        if meta["doc_type"] in REVIEWS:
            assert counts["recommendation"] >= 3, (meta["file"], counts)
            assert counts["practice_episode"] >= 3, (meta["file"], counts)
    totals = Counter(str(r["role"]) for r in rows)
    assert totals["good_practice"] >= 12 and totals["reflective_question"] >= 15, totals
    national = [m["file"] for m in metadata() if m["doc_type"] == "national_review"]
    for name in national:
        mine = [r for r in rows if r["doc"] == name]
        recs = [r for r in mine if r["role"] == "recommendation"]
        assert {r["addressee_level"] for r in recs} == {"national", "local"}, name
        addressees = " ".join(str(r["addressee"]) for r in recs)
        for body in (
            "the Department for Education",
            "the Home Office",
            "NHS England",
            "Ofsted",
            "Cafcass",
            "the Department of Health and Social Care",
        ):
            assert body in addressees, (name, body)
        audiences = {r["audience"] for r in mine if r["role"] == "reflective_question"}
        assert audiences == AUDIENCES, name


def test_every_label_is_on_its_page() -> None:
    assert misplaced(roles(), FICTIONAL) == []


def test_the_page_check_can_fail() -> None:
    row = next(r for r in roles() if r["role"] == "recommendation")
    moved = dict(row, page=int(row["page"]) % len(pages_of(FICTIONAL / str(row["doc"]))) + 1)  # type: ignore[call-overload]
    reworded = dict(row, text=str(row["text"]).replace("should", "could", 1))
    beyond = dict(row, page=99)
    assert len(misplaced([row, moved, reworded, beyond], FICTIONAL)) == 3


# --------------------------------------------------------------------------- sources


@cache
def _build_module() -> ModuleType:
    """corpus/fictional_src/build.py, imported (it is a script, not a package module)."""
    spec = importlib.util.spec_from_file_location("fictional_build", SOURCES / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_pdfs_and_labels_are_built_from_the_sources(tmp_path: Path) -> None:
    """Rendering the sources again gives the committed text, pages and labels."""
    build = _build_module()
    sources = sorted(p for p in SOURCES.glob("*.md") if p.name != "FACTS.md")
    assert len(sources) == len(metadata())
    rows: list[dict[str, object]] = []
    for source in sources:
        out, labels = build.render(build.parse_markdown(source), tmp_path)
        rows.extend(labels)
        assert pages_of(out) == pages_of(FICTIONAL / out.name), out.name
    assert rows == roles()


BAD_LABELS = {
    "no addressee": "<!-- role: recommendation; level: local -->\nThe board should act.\n",
    "addressee not named": "<!-- role: recommendation; level: local; addressee: Ofsted -->\n"
    "The board should act.\n",
    "not a question": "<!-- each: reflective_question; audience: leaders -->\n- Ask them.\n",
    "no audience": "<!-- each: reflective_question -->\n- Who asked?\n",
    "text not in block": "<!-- role: good_practice; text: Nothing like it -->\nA paragraph.\n",
    "unknown role": "<!-- role: summary -->\nA paragraph.\n",
    "labels nothing": "A paragraph.\n<!-- role: finding -->\n",
}


@pytest.mark.parametrize("body", BAD_LABELS.values(), ids=list(BAD_LABELS))
def test_a_bad_label_is_refused(body: str, tmp_path: Path) -> None:
    build = _build_module()
    path = tmp_path / "bad.md"
    path.write_text(
        "---\ntitle: T\npartnership: P (fictional)\npublished: May 2021\nyear: 2021\n"
        "doc_type: local_review\n---\n" + body,
        encoding="utf-8",
    )
    with pytest.raises(ValueError):
        build.parse_markdown(path)
