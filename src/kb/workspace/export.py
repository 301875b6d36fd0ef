"""Export a collection as Markdown, DOCX or CSV, each carrying full references.

Every export names, for each passage: title, publisher, year, page(s), section
and the source URL (or the file name when there is none), so a passage can be
traced back without the app. Document text is treated as data: Markdown
special characters are escaped, spreadsheet formulas are neutralised in CSV,
and characters XML cannot hold are dropped from DOCX.

A collection holding pinned findings of a broad answer is exported as the app
shows the summary: under "What reviews found", then "What guidance says", then
any plain pinned passages; each finding with its key sentence and the other
documents that state it ("also in"). A collection with no findings reads as it
always has.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any

from kb.answer.model import GROUP_TITLES
from kb.workspace.pinned import Collection, PinnedPassage

CONTENT_NOTE = (
    "Content note: these passages come from reviews that describe abuse, neglect "
    "and the deaths of children."
)
CSV_FIELDS = (
    "number",
    "title",
    "publisher",
    "year",
    "doc_type",
    "page_start",
    "page_end",
    "section",
    "source",
    "file",
    "passage",
    "question",
    "note",
    "pinned_at",
    "reference",
    "group",
    "finding",
    "also_in",
    "finding_context",
)
OTHER_PASSAGES = "Other pinned passages"

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$!])")
# XML 1.0 forbids these; python-docx raises on them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown's special characters so text renders literally
    (and any HTML in a document is shown, never interpreted)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def file_stem(collection: Collection) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", collection.name).strip("-")
    return stem[:60] or "collection"


Numbered = list[tuple[int, PinnedPassage]]


def sections(collection: Collection) -> list[tuple[str, Numbered]]:
    """The items under their headings, numbered in the order shown.

    With no pinned finding: one section with no heading, in pin order. Otherwise
    the findings by group (reviews first), then the plain passages, each in pin order.
    """
    items = collection.items
    if not any(p.finding for p in items):
        return [("", list(enumerate(items, 1)))]
    titled = [
        (GROUP_TITLES.get(p.group, OTHER_PASSAGES) if p.finding else OTHER_PASSAGES, p)
        for p in items
    ]
    order = [*GROUP_TITLES.values(), OTHER_PASSAGES]
    out: list[tuple[str, Numbered]] = []
    n = 0
    for title in order:
        members = [p for t, p in titled if t == title]
        if members:
            out.append((title, [(n + i, p) for i, p in enumerate(members, 1)]))
            n += len(members)
    return out


def numbered(collection: Collection) -> Numbered:
    """Every item with its number, in the order the exports show them."""
    return [item for _, part in sections(collection) for item in part]


def group_title(p: PinnedPassage) -> str:
    return GROUP_TITLES.get(p.group, "") if p.finding else ""


def also_in_lines(p: PinnedPassage) -> list[str]:
    """One line per other document stating the finding: its sentence, then its reference."""
    return [f"\u201c{a.sentence}\u201d \u2014 {a.reference()}" for a in p.also_in]


# --------------------------------------------------------------------------- Markdown


def to_markdown(collection: Collection) -> str:
    lines = [
        f"# {escape_markdown(collection.name)}",
        "",
        f"*{len(collection)} passage(s), exported {_stamp()} from kb.*",
        "",
        f"*{CONTENT_NOTE}*",
        "",
    ]
    for title, part in sections(collection):
        if title:
            lines += [f"## {escape_markdown(title)}", ""]
        for n, p in part:
            lines += _md_item(n, p, "###" if title else "##")
    lines += ["## References", ""]
    lines += [f"{n}. {escape_markdown(p.reference())}" for n, p in numbered(collection)]
    return "\n".join(lines) + "\n"


def _md_item(n: int, p: PinnedPassage, level: str) -> list[str]:
    lines = [f"{level} {n}. {escape_markdown(p.title)}", ""]
    if p.finding:
        lines += [f"**Finding:** {escape_markdown(p.finding)}", ""]
        lines += [f"*{escape_markdown(p.context)}*", ""] if p.context else []
    lines += [f"> {escape_markdown(line)}".rstrip() for line in p.text.split("\n")]
    lines += [""]
    lines += _md_fields(p)
    if p.finding:
        lines += [f"- **Stated in:** {1 + len(p.also_in)} document(s)"]
    if p.also_in:
        lines += ["- **Also in:**"]
        lines += [f"    - {escape_markdown(line)}" for line in also_in_lines(p)]
    return [*lines, ""]


def _md_fields(p: PinnedPassage) -> list[str]:
    fields = [
        ("Publisher", p.publisher or "unknown"),
        ("Year", str(p.year) if p.year else "n.d."),
        ("Page", p.pages),
        ("Section", p.heading or "\u2014"),
        ("Source", p.source),
    ]
    if p.question:
        fields.append(("Found by the question", p.question))
    if p.note:
        fields.append(("Note", p.note))
    return [f"- **{k}:** {escape_markdown(v)}" for k, v in fields]


# --------------------------------------------------------------------------- CSV


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(collection: Collection) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for n, p in numbered(collection):
        writer.writerow(
            _cell(v)
            for v in (
                n,
                p.title,
                p.publisher,
                p.year or "",
                p.doc_type,
                p.page_start,
                p.page_end,
                p.heading,
                p.source,
                p.file,
                p.text,
                p.question,
                p.note,
                p.pinned_at,
                p.reference(),
                group_title(p),
                p.finding,
                "\n".join(also_in_lines(p)),
                p.context,
            )
        )
    return out.getvalue()


# --------------------------------------------------------------------------- DOCX


def _xml_safe(text: str) -> str:
    return _XML_INVALID.sub("", text)


def to_docx(collection: Collection) -> bytes:
    from docx import Document as DocxDocument  # python-docx: only exports need it

    doc = DocxDocument()
    doc.core_properties.title = _xml_safe(collection.name)
    doc.core_properties.subject = "Passages from child safeguarding practice reviews"
    doc.add_heading(_xml_safe(collection.name), level=0)
    intro = doc.add_paragraph()
    intro.add_run(f"{len(collection)} passage(s), exported {_stamp()} from kb.").italic = True
    doc.add_paragraph(CONTENT_NOTE).runs[0].italic = True
    for title, part in sections(collection):
        if title:
            doc.add_heading(title, level=1)
        for n, p in part:
            _docx_item(doc, n, p, level=2 if title else 1)
    doc.add_heading("References", level=1)
    for _, p in numbered(collection):
        doc.add_paragraph(_xml_safe(p.reference()), style="List Number")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _docx_item(doc: Any, n: int, p: PinnedPassage, *, level: int) -> None:
    """One pinned passage (or finding): heading, finding, quote, fields, also-in, reference."""
    from docx.shared import Pt

    doc.add_heading(_xml_safe(f"{n}. {p.title}"), level=level)
    if p.finding:
        para = doc.add_paragraph()
        para.add_run("Finding: ").bold = True
        para.add_run(_xml_safe(p.finding))
        if p.context:
            para.add_run(_xml_safe(f" ({p.context})")).italic = True
    for block in p.text.split("\n"):
        if block.strip():
            doc.add_paragraph(_xml_safe(block), style="Quote")
    table = doc.add_table(rows=0, cols=2)
    table.style = "Light List"
    for key, value in (
        ("Publisher", p.publisher or "unknown"),
        ("Year", str(p.year) if p.year else "n.d."),
        ("Page", p.pages),
        ("Section", p.heading or "\u2014"),
        ("Source", p.source),
        *((("Found by the question", p.question),) if p.question else ()),
        *((("Note", p.note),) if p.note else ()),
        *((("Stated in", f"{1 + len(p.also_in)} document(s)"),) if p.finding else ()),
    ):
        row = table.add_row().cells
        row[0].text = key
        row[1].text = _xml_safe(value)
    if p.also_in:
        doc.add_paragraph().add_run("Also in:").bold = True
        for line in also_in_lines(p):
            doc.add_paragraph(_xml_safe(line), style="List Bullet")
    ref = doc.add_paragraph()
    run = ref.add_run("Reference: ")
    run.bold = True
    ref.add_run(_xml_safe(p.reference()))
    for r in ref.runs:
        r.font.size = Pt(9)
