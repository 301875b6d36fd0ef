"""Tests for kb.describe.document: cover-page heuristics, merging, and the real corpus.

The unit tests feed hand-made page texts shaped like the covers kb meets (a local child
safeguarding practice review, a Panel national review, an Ofsted letter, DfE guidance).
The corpus test extracts metadata for every document in ``../shared/corpus/real`` without
a sidecar and scores it against ``expected_metadata.csv`` with loose comparisons.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kb.describe.document import DocMeta, extract_metadata, merge
from kb.describe.pages import title_from_file_name
from kb.errors import ConfigError
from kb.records import DOC_TYPES

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "real"
EXPECTED = REAL.parent / "expected_metadata.csv"

# --- loose comparisons, shared by the corpus test --------------------------------------------


def _norm(text: str) -> str:
    """Lower case, apostrophes dropped, every other run of punctuation a single space."""
    text = text.lower().replace("’", "").replace("'", "")
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _contains(a: str, b: str) -> bool:
    """Whole-word containment either way ("x" is not inside "matrix")."""
    return f" {a} " in f" {b} " or f" {b} " in f" {a} "


def title_matches(got: str, want: str) -> bool:
    """Same title, loosely: containment either way, or token overlap >= 0.6."""
    g, w = _norm(got), _norm(want)
    if not g or not w:
        return False
    if _contains(g, w):
        return True
    a, b = set(g.split()), set(w.split())
    return len(a & b) / max(len(a), len(b)) >= 0.6


def publisher_matches(got: str, want: str) -> bool:
    """Containment either way, case-insensitive; an empty expectation accepts anything."""
    if not want.strip():
        return True
    g, w = _norm(got), _norm(want)
    return bool(g) and _contains(g, w)


def test_loose_comparisons() -> None:
    assert title_matches("Keeping children safe in education 2024", "keeping children SAFE")
    assert title_matches(
        "Focused visit to West Northamptonshire children’s services",
        "Focused visit to West Northamptonshire local authority children's services",
    )
    assert not title_matches("x", "Threshold - Continuum of need matrix")
    assert not title_matches("", "Anything")
    assert publisher_matches("Children's Commissioner for England", "Children’s Commissioner")
    assert publisher_matches("", "")
    assert not publisher_matches("", "Ofsted")


# --- hand-made covers ------------------------------------------------------------------------

LCSPR_COVER = """OFFICIAL
Brent Safeguarding Children Partnership (BSCP)
Local Child Safeguarding Practice Review:
Child H
A teenager at risk of criminal exploitation and serious youth violence
Independent Reviewer: Jane Smith
Published: March 2023
"""
LCSPR_PAGE_2 = """Local Child Safeguarding Practice Review: Child H
Contents
1. Introduction 3
2. Background to the review 4
Review date: September 2026
"""
LCSPR_PAGE_3 = """1. Introduction
1.1 Brent Safeguarding Children Partnership (BSCP) commissioned this review in 2021 after a
Rapid Review of the serious incident notification. The BSCP agreed that the criteria for a
local child safeguarding practice review were met. Child H was known to services from 2015.
"""


def test_lcspr_cover() -> None:
    meta = extract_metadata(
        "BSCP_LCSPR_Child_H_FINAL.pdf",
        [LCSPR_COVER, LCSPR_PAGE_2, LCSPR_PAGE_3],
        {"Title": "Microsoft Word - BSCP LCSPR Child H v7.docx", "Author": "jsmith"},
    )
    assert meta.title == "Local Child Safeguarding Practice Review: Child H"
    assert meta.publisher == "Brent Safeguarding Children Partnership"
    assert meta.year == 2023  # not the 2026 review date, nor 2021 or 2015 in the text
    assert meta.doc_type == "local_review"
    assert meta.source_url == ""


PANEL_COVER = """Child Safeguarding Practice Review Panel
Child Protection in England
National review into the murders of Arthur Labinjo-Hughes
and Star Hobson
May 2022
"""
PANEL_COLOPHON = """© Crown copyright 2022
This publication is licensed under the terms of the Open Government Licence v3.0.
Published by the Child Safeguarding Practice Review Panel
"""


def test_panel_national_review_cover() -> None:
    meta = extract_metadata(
        "national-review-final.pdf",
        [
            PANEL_COVER,
            "Foreword\nThe Panel's review looked at practice in 2019-2020.",
            PANEL_COLOPHON,
        ],
        {"Title": "untitled", "CreationDate": "D:20220525093000+01'00'"},
    )
    assert meta.title == (
        "Child Protection in England: National review into the murders of "
        "Arthur Labinjo-Hughes and Star Hobson"
    )
    assert meta.publisher == "Child Safeguarding Practice Review Panel"
    assert meta.year == 2022
    assert meta.doc_type == "national_review"


OFSTED_LETTER = """Ofsted
Piccadilly Gate
Store Street
Manchester
M1 2WD
T 0300 123 1231
www.gov.uk/ofsted
12 January 2024
Jane Doe
Director of Children's Services
Anytown Borough Council
Town Hall
Dear Ms Doe
Monitoring visit to Anytown children's services
This letter summarises the findings of the monitoring visit to Anytown children's services on
5 and 6 December 2023. This was the fourth monitoring visit since the local authority was
judged inadequate in March 2022. His Majesty's Inspectors for this visit were A and B.
"""


def test_ofsted_letter() -> None:
    meta = extract_metadata("50234567-letter.pdf", [OFSTED_LETTER, "Yours sincerely\nA\nHMI"])
    assert meta.title == "Monitoring visit to Anytown children's services"
    assert meta.publisher == "Ofsted"
    assert meta.year == 2024
    assert meta.doc_type == "inspection_report"


@pytest.mark.parametrize(
    "junk",
    [
        "Microsoft Word - Child H final.docx",
        "untitled",
        "Untitled document",
        "LSCPR_Child_H_v3",
        "report.pdf",
        "Threshold",
        "Slide 1",
    ],
)
def test_junk_pdf_title_is_ignored(junk: str) -> None:
    meta = extract_metadata("whatever.pdf", [LCSPR_COVER, LCSPR_PAGE_2], {"Title": junk})
    assert meta.title == "Local Child Safeguarding Practice Review: Child H"


def test_meaningful_pdf_title_wins_but_stale_one_does_not() -> None:
    pages = ["Keeping children\nsafe in education\n2024\nStatutory guidance for schools\n"]
    info = {
        "Title": "Keeping children safe in education 2024",
        "Author": "Department for Education",
    }
    meta = extract_metadata("kcsie.pdf", pages, info)
    assert meta.title == "Keeping children safe in education 2024"
    assert meta.publisher == "Department for Education"
    assert meta.doc_type == "statutory_guidance"
    # A Title left over from the template the document was copied from.
    stale = extract_metadata("x.pdf", pages, {"Title": "Neighbourhood parking consultation plan"})
    assert stale.title == "Keeping children safe in education 2024: Statutory guidance for schools"


def test_first_heading_below_the_cover_title_is_not_the_title() -> None:
    # DOCX/HTML parsers report the first heading they meet as "Title".
    page = (
        "SAFEGUARDING POLICY\n______________________\nPolicy Statement:\n"
        "This document describes the policy of Silver Line Homes (SLH) on safeguarding children "
        "in its care, and how staff respond to concerns.\n"
    )
    meta = extract_metadata("Safeguarding Policy.docx", [page], {"Title": "Policy Statement:"})
    assert meta.title == "Safeguarding Policy"
    assert meta.publisher == "Silver Line Homes"
    assert meta.doc_type == "policy"
    assert meta.year is None


def test_one_word_pdf_title_finds_its_line() -> None:
    page = (
        "Introduction\nThis document provides a framework for professionals working with "
        "children.\nThreshold - Continuum of need matrix\n2022\n"
    )
    meta = extract_metadata("threshold.pdf", [page], {"Title": "Threshold"})
    assert meta.title == "Threshold - Continuum of need matrix"
    assert meta.year == 2022
    assert meta.doc_type == "practice_guidance"


def test_all_caps_title_is_tidied_but_acronyms_kept() -> None:
    page = (
        "Page 1\nNORTHAMPTONSHIRE MULTI-AGENCY PROTOCOL\nON CHILDREN WHO GO MISSING\n"
        "November 2022\nThe NSCP protocol applies to all agencies in the county and is used by "
        "every team.\n"
    )
    meta = extract_metadata("missing-protocol-v3.2-Nov22.pdf", [page])
    assert meta.title == "Northamptonshire Multi-Agency Protocol on Children Who Go Missing"
    assert meta.year == 2022
    assert meta.doc_type == "local_procedure"


def test_period_in_title_is_not_the_publication_year() -> None:
    page = "London Rapid Reviews\nAnalysis Report\n(2023-2024)\nFebruary 2025\n"
    meta = extract_metadata("rr.pdf", [page], {"CreationDate": "D:20250131160929Z"})
    assert meta.year == 2025
    assert meta.doc_type == "review_analysis"
    annual = extract_metadata(
        "ar.pdf", ["Northvale Safeguarding Children Partnership\nAnnual Report 2022 to 2023\n"]
    )
    assert annual.year == 2023
    assert annual.doc_type == "annual_report"
    assert annual.publisher == "Northvale Safeguarding Children Partnership"


def test_govuk_page_published_date_beats_last_updated() -> None:
    # What an HTML partitioner gives for a GOV.UK guidance page, without its <title>.
    page = (
        "Guidance\nWorking together to safeguard children 2023\n"
        "Statutory guidance on multi-agency working to help, protect and promote the welfare "
        "of children.\nFrom:\nDepartment for Education\nPublished\n15 December 2023\n"
        "Last updated\n24 February 2025\n"
    )
    meta = extract_metadata("wt.html", [page])
    assert meta.title == "Working together to safeguard children 2023"
    assert meta.publisher == "Department for Education"
    assert meta.year == 2023
    assert meta.doc_type == "statutory_guidance"


def test_reviewer_is_not_the_publisher() -> None:
    pages = [
        "Child Safeguarding Practice Review\nConcerning 'Child Q'\nPublished: 14 March 2022\n"
        "City & Hackney Safeguarding Children Partnership\n",
        "This review was produced by Jim Gamble QPM, the independent reviewer.",
    ]
    meta = extract_metadata("child-q.pdf", pages, {"Author": "Jim Gamble"})
    assert meta.publisher == "City & Hackney Safeguarding Children Partnership"
    assert meta.year == 2022
    assert meta.doc_type == "local_review"


def test_copyright_year_and_holder() -> None:
    page = (
        "© SafeLives 2019. Please acknowledge SafeLives when reprinting. 1\n"
        "SafeLives Dash risk checklist\nQuick start guidance\n"
        "You may be looking at this checklist because you are working with a victim of abuse.\n"
    )
    meta = extract_metadata("dash.pdf", [page])
    assert meta.title == "SafeLives Dash risk checklist: Quick start guidance"
    assert meta.publisher == "SafeLives"
    assert meta.year == 2019
    assert meta.doc_type == "practice_guidance"


def test_crown_copyright_names_dfe_from_its_contact_address() -> None:
    cover = "Children missing\neducation\nStatutory guidance for local authorities\nAugust 2024\n"
    colophon = (
        "© Crown copyright 2024\nThis publication is licensed under the Open Government Licence.\n"
        "enquiries https://www.gov.uk/contact-dfe\ndownload www.gov.uk/government/publications\n"
    )
    meta = extract_metadata("cme.pdf", [cover, "Contents\nSummary 3", colophon])
    assert meta.title == "Children missing education: Statutory guidance for local authorities"
    assert meta.publisher == "Department for Education"
    assert meta.year == 2024
    assert meta.doc_type == "statutory_guidance"


@pytest.mark.parametrize(
    ("title", "doc_type"),
    [
        ("Serious Case Review: Child M", "local_review"),
        ("Thematic Review: Neglect and Parental Substance Use", "thematic_review"),
        (
            "Social care common inspection framework (SCCIF): children's homes",
            "inspection_framework",
        ),
        ("Focused visit to Anytown children's services", "inspection_report"),
        ("Safeguarding and Child Protection Policy", "policy"),
        ("Multi-agency escalation protocol", "local_procedure"),
        ("Multi-Agency Safeguarding Level 3 Information Pack", "training_material"),
        ("Parental mental health: a 7 minute briefing", "practice_briefing"),
        ("Families first pathfinder: implementation and process evaluation", "research_report"),
        ("Information sharing: non-statutory advice for practitioners", "practice_guidance"),
        ("LSCP factsheet: parental substance use problems", "practice_guidance"),
    ],
)
def test_type_from_title(title: str, doc_type: str) -> None:
    meta = extract_metadata("doc.pdf", [f"{title}\n"], {"Title": title})
    assert meta.doc_type == doc_type
    assert meta.doc_type in DOC_TYPES


def test_file_name_is_the_last_resort() -> None:
    assert title_from_file_name("Some_file-name_2023.pdf") == "Some file name 2023"
    meta = extract_metadata("Some_file-name_2023.pdf", [], None)
    assert meta == DocMeta(
        title="Some file name 2023", publisher="", year=2023, doc_type="other", source_url=""
    )
    blank = extract_metadata("scan.pdf", ["", "   "], {"Title": "", "Author": ""})
    assert blank.title == "scan"
    assert blank.year is None


# --- merging a sidecar entry ------------------------------------------------------------


def test_merge_prefers_non_empty_sidecar_fields() -> None:
    extracted = DocMeta("Extracted title", "Ofsted", 2020, "inspection_report")
    assert merge(None, extracted) == extracted
    assert merge({}, extracted) == extracted
    merged = merge(
        {
            "title": "Sidecar title",
            "publisher": "",
            "year": None,
            "doc_type": "",
            "source_url": "https://example.org/x.pdf",
            "fictional": True,
        },
        extracted,
    )
    assert merged == DocMeta(
        "Sidecar title", "Ofsted", 2020, "inspection_report", "https://example.org/x.pdf"
    )
    assert merge({"year": "2024", "doc_type": "policy"}, extracted).year == 2024
    with pytest.raises(ConfigError):
        merge({"doc_type": "nonsense"}, extracted)


# --- the real corpus -------------------------------------------------------------------------


class _HtmlText(HTMLParser):
    """Visible text of an HTML page, a line per block element (used when unstructured can't)."""

    BLOCKS = frozenset(
        [
            "p",
            "div",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "li",
            "tr",
            "br",
            "title",
            "section",
            "header",
            "footer",
            "dt",
            "dd",
            "td",
            "th",
        ]
    )
    HIDDEN = frozenset(["script", "style", "noscript", "svg", "template"])

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _unstructured_usable() -> bool:
    # unstructured's partitioners load spaCy's en_core_web_sm and try to download it when it
    # is missing, which fails offline; only use them when the model is installed.
    return importlib.util.find_spec("en_core_web_sm") is not None


def _read_document(path: Path) -> tuple[list[str], dict[str, str]]:
    """Page texts and an info dictionary, as a parser would hand them to extract_metadata."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
        try:
            pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
            return pages, dict(pdf.get_metadata_dict())
        finally:
            pdf.close()
    if suffix == ".docx":
        if _unstructured_usable():
            from unstructured.partition.docx import partition_docx

            return ["\n".join(e.text for e in partition_docx(filename=str(path)))], {}
        import docx

        document = docx.Document(str(path))
        return ["\n".join(p.text for p in document.paragraphs)], {}
    raw = path.read_text(encoding="utf-8", errors="replace")
    m = re.search(r"<title[^>]*>(.*?)</title>", raw, re.IGNORECASE | re.DOTALL)
    info = {"Title": " ".join(m.group(1).split())} if m else {}
    if _unstructured_usable():
        from unstructured.partition.html import partition_html

        return ["\n".join(e.text for e in partition_html(filename=str(path)))], info
    parser = _HtmlText()
    parser.feed(raw)
    return ["".join(parser.parts)], info


def test_real_corpus_accuracy() -> None:
    if not REAL.is_dir() or not EXPECTED.is_file():
        pytest.skip(f"../shared/corpus/real not present: {REAL} or {EXPECTED} is missing")
    with EXPECTED.open(newline="", encoding="utf-8") as fh:
        expected = {row["file"]: row for row in csv.DictReader(fh)}
    files = sorted(p for p in REAL.iterdir() if p.is_file() and p.name in expected)
    assert len(files) == len(expected), "expected_metadata.csv lists files that are missing"

    rows: list[tuple[str, DocMeta, dict[str, str], dict[str, bool]]] = []
    for path in files:
        pages, info = _read_document(path)
        meta = extract_metadata(path.name, pages, info)
        want = expected[path.name]
        ok = {
            "title": title_matches(meta.title, want["title"]),
            # A blank year means the document prints none; any answer is accepted there.
            "year": not want["year"].strip() or meta.year == int(want["year"]),
            "type": meta.doc_type == want["doc_type"],
            "publisher": publisher_matches(meta.publisher, want["publisher"]),
        }
        rows.append((path.name, meta, want, ok))

    n = len(rows)
    accuracy = {field: sum(ok[field] for *_, ok in rows) / n for field in rows[0][3]}
    table = "\n".join(
        f"{''.join('.' if ok[f] else f[0].upper() for f in ok)} {name[:44]:44} "
        f"| {meta.title[:50]!r} vs {want['title'][:40]!r} "
        f"| {meta.publisher[:30]!r} vs {want['publisher'][:30]!r} "
        f"| {meta.year} vs {want['year']} | {meta.doc_type} vs {want['doc_type']}"
        for name, meta, want, ok in rows
    )
    summary = ", ".join(f"{k} {v:.2f}" for k, v in accuracy.items())
    message = f"metadata accuracy: {summary}\n{table}"
    print(message)  # shown with -s or -rP, and with any failure
    assert accuracy["title"] >= 0.80, message
    assert accuracy["year"] >= 0.80, message
    assert accuracy["type"] >= 0.80, message
    assert accuracy["publisher"] >= 0.70, message
