"""Render the fictional sample reviews in ``corpus/fictional_src/*.md`` to PDF.

Run from the repository root::

    python corpus/fictional_src/build.py

Every source is a small Markdown file with a front-matter block::

    ---
    title: ...
    subtitle: ...
    partnership: ... (fictional)
    published: March 2024
    year: 2024
    doc_type: local_review
    author: ...
    ---
    # 1. Foreword
    Paragraph text ...
    ## 3.1 A sub-heading
    - a bullet
    Recommendation 1: The partnership should ...

and becomes ``corpus/fictional/<name>.pdf``: a cover page, numbered headings,
a running header, and a footer carrying the fictional-sample notice and
"Page N of M". The script also rewrites ``corpus/fictional/metadata.csv``.

Role labels (the ground truth for software that finds findings, recommendations
and the like) are HTML comments on a line of their own, before the block they
label; several may stack::

    <!-- role: finding -->
    ## 4.1 Finding 1: ...
    <!-- role: recommendation; level: national; addressee: the Department for Education -->
    Recommendation 2: The Department for Education should ...
    <!-- role: good_practice; text: The school nurse visited the same day. -->
    A paragraph in which one sentence is the labelled item ...
    <!-- each: reflective_question; audience: practitioners -->
    - How do you ...?
    - What would ...?

``role`` labels the next block (``text`` narrows the label to a passage of it);
``each`` labels every bullet of the run of bullets that follows. Roles are
finding, recommendation (with ``level`` national or local and the ``addressee``
as the sentence names it), reflective_question (with ``audience`` practitioners,
leaders or partnerships), practice_episode and good_practice. A labelled block is
never split across pages, and the labels are written with the physical page they
landed on to ``tests/data/fictional_roles.jsonl``.

Only the standard library, fpdf2 and kb's list of document types are used.
The PDFs use fpdf2's built-in Helvetica core font, so all text is folded to
latin-1 first. Output is
deterministic: the creation date comes from the front matter, so rebuilding
unchanged sources gives the same text and page numbering.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

from kb.records import DOC_TYPES  # one list of types: a sample must be one kb knows

# Sources live apart from the PDFs so that ingesting corpus/fictional takes
# only the rendered documents, not their Markdown twins.
SRC_DIR = Path(__file__).resolve().parent
HERE = SRC_DIR.parent / "fictional"
METADATA_CSV = HERE / "metadata.csv"
ROLES_JSONL = SRC_DIR.parent.parent / "tests" / "data" / "fictional_roles.jsonl"

FICTIONAL_NOTICE = "Fictional sample for software testing - not a real review"
COVER_BANNER = "FICTIONAL SAMPLE FOR SOFTWARE TESTING - NOT A REAL REVIEW"
COVER_DISCLAIMER = (
    "This document is entirely fictional. It was written to test the kb knowledge base "
    "software. All children, families, practitioners, places, partnerships, agencies, "
    "dates and figures in it are invented. It is not a real safeguarding practice review "
    "and must not be cited as one."
)

METADATA_FIELDS = ["file", "title", "publisher", "year", "doc_type", "source_url", "fictional"]
REQUIRED_KEYS = ("title", "partnership", "published", "year", "doc_type")
MONTHS = {
    name: i
    for i, name in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        start=1,
    )
}

# Characters outside latin-1 that commonly sneak into prose, folded to ASCII.
_FOLD = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": " - ",
    "\u2012": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "-",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u200b": "",
}

_RECOMMENDATION = re.compile(r"^(Recommendation \d+:)\s*(.*)$")
_LABEL = re.compile(r"^<!--(.*)-->$")

ROLES = ("finding", "recommendation", "reflective_question", "practice_episode", "good_practice")
LEVELS = ("national", "local")
AUDIENCES = ("practitioners", "leaders", "partnerships")


def escape_md(text: str) -> str:
    """Keep fpdf2's markdown mode from reading ``**``, ``__`` or ``--`` in prose."""
    for marker in ("**", "__", "--"):
        text = text.replace(marker, marker[0] + " " + marker[1])
    return text


def to_latin1(text: str) -> str:
    """Fold typographic characters to ASCII and drop anything else outside latin-1."""
    folded = "".join(_FOLD.get(ch, ch) for ch in text)
    return folded.encode("latin-1", errors="replace").decode("latin-1")


@dataclass(frozen=True)
class Role:
    role: str
    text: str = ""  # a passage of the block; empty for the whole block
    level: str = ""
    addressee: str = ""
    audience: str = ""


@dataclass
class Block:
    kind: str  # "h1", "h2", "para", "bullet", "rec"
    text: str
    label: str = ""
    roles: list[Role] = field(default_factory=list)

    @property
    def shown(self) -> str:
        """The block's text as it is printed (label included), folded to latin-1."""
        return to_latin1(f"{self.label} {self.text}" if self.label else self.text)


def parse_label(body: str, where: str) -> tuple[Role, bool]:
    """One ``<!-- ... -->`` label: the role, and whether it is for each bullet that follows."""
    pairs: dict[str, str] = {}
    body, sep, text = body.partition("; text:")  # the text comes last and may hold ";"
    if sep:
        pairs["text"] = text.strip()
    elif body.strip().startswith("text:"):
        raise ValueError(f"{where}: a label starts with its role, not its text")
    for part in body.split(";"):
        key, sep, value = part.partition(":")
        if not sep:
            raise ValueError(f"{where}: bad label part {part!r}")
        pairs[key.strip()] = value.strip()
    each = "each" in pairs
    role = pairs.pop("each" if each else "role", "")
    extra = set(pairs) - {"text", "level", "addressee", "audience"}
    if role not in ROLES or extra or ("each" in pairs and "role" in pairs):
        raise ValueError(f"{where}: bad label {body!r}")
    label = Role(
        role,
        text=pairs.get("text", ""),
        level=pairs.get("level", ""),
        addressee=pairs.get("addressee", ""),
        audience=pairs.get("audience", ""),
    )
    if role == "recommendation" and (label.level not in LEVELS or not label.addressee):
        raise ValueError(f"{where}: a recommendation needs level (national/local) and addressee")
    if role == "reflective_question" and label.audience not in AUDIENCES:
        raise ValueError(f"{where}: a reflective question needs audience {AUDIENCES}")
    if role not in ("recommendation", "reflective_question") and (
        label.level or label.addressee or label.audience
    ):
        raise ValueError(f"{where}: level/addressee/audience only go with their roles")
    return label, each


def check_label(block: Block, role: Role, where: str) -> None:
    shown = " ".join(block.shown.split())
    text = " ".join(to_latin1(role.text).split()) if role.text else shown
    if text not in shown:
        raise ValueError(f"{where}: labelled text {role.text!r} is not in the block")
    if role.addressee and role.addressee.lower() not in text.lower():
        raise ValueError(f"{where}: addressee {role.addressee!r} is not named in {text!r}")
    if role.role == "reflective_question" and not text.endswith("?"):
        raise ValueError(f"{where}: a reflective question must end with '?': {text!r}")


@dataclass
class Document:
    name: str
    meta: dict[str, str]
    blocks: list[Block] = field(default_factory=list)

    @property
    def pdf_name(self) -> str:
        return f"{self.name}.pdf"


def parse_markdown(path: Path) -> Document:
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "---":
        raise ValueError(f"{path}: missing front matter")
    meta: dict[str, str] = {}
    i = 1
    while i < len(lines) and lines[i].strip() != "---":
        line = lines[i]
        if line.strip():
            key, sep, value = line.partition(":")
            if not sep:
                raise ValueError(f"{path}:{i + 1}: bad front matter line {line!r}")
            meta[key.strip()] = value.strip()
        i += 1
    if i >= len(lines):
        raise ValueError(f"{path}: unterminated front matter")
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise ValueError(f"{path}: front matter lacks {', '.join(missing)}")
    if meta["doc_type"] not in DOC_TYPES:
        raise ValueError(f"{path}: unknown doc_type {meta['doc_type']!r}")

    doc = Document(name=path.stem, meta=meta)
    para: list[str] = []
    pending: list[Role] = []  # labels for the next block
    each: list[Role] = []  # labels for every bullet of the next run of bullets
    where = str(path)

    def after_bullets() -> bool:
        return bool(doc.blocks) and doc.blocks[-1].kind == "bullet"

    def add(block: Block) -> None:
        block.roles.extend(pending)
        pending.clear()
        if block.kind == "bullet":
            block.roles.extend(each)
        elif after_bullets():
            each.clear()  # the run of bullets has ended
        for role in block.roles:
            check_label(block, role, where)
        doc.blocks.append(block)

    def flush() -> None:
        if para:
            text = " ".join(s.strip() for s in para)
            m = _RECOMMENDATION.match(text)
            if m:
                add(Block("rec", m.group(2), label=m.group(1)))
            else:
                add(Block("para", text))
            para.clear()

    for n, line in enumerate(lines[i + 1 :], start=i + 2):
        stripped = line.strip()
        where = f"{path}:{n}"
        label = _LABEL.match(stripped)
        if label:
            flush()
            role, for_each = parse_label(label.group(1), where)
            if for_each and after_bullets():
                each.clear()  # a new run of bullets starts here
            (each if for_each else pending).append(role)
        elif not stripped:
            flush()
        elif stripped.startswith("## "):
            flush()
            add(Block("h2", stripped[3:].strip()))
        elif stripped.startswith("# "):
            flush()
            add(Block("h1", stripped[2:].strip()))
        elif stripped.startswith("- "):
            flush()
            add(Block("bullet", stripped[2:].strip()))
        else:
            para.append(stripped)
    flush()
    if pending:
        raise ValueError(f"{path}: a label at the end labels nothing")
    return doc


def creation_date(published: str) -> datetime:
    month, _, year = published.partition(" ")
    return datetime(int(year), MONTHS[month], 1, 9, 0, 0, tzinfo=UTC)


class ReviewPDF(FPDF):
    BODY_SIZE = 11
    LINE_H = 6.0

    def __init__(self, doc: Document) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc = doc
        self.set_margins(left=22, top=22, right=22)
        self.set_auto_page_break(auto=True, margin=24)
        self.set_title(to_latin1(doc.meta["title"]))
        self.set_author(to_latin1(doc.meta["partnership"]))
        self.set_subject(FICTIONAL_NOTICE)
        self.set_keywords("fictional sample; software testing; not a real review")
        self.set_creator("kb corpus/fictional_src/build.py")
        self.set_creation_date(creation_date(doc.meta["published"]))

    def t(self, text: str) -> str:
        return to_latin1(text)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font("Helvetica", "I", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, self.t(self.doc.meta["title"]), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(180, 180, 180)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(6)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-16)
        self.set_draw_color(180, 180, 180)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        width = (self.w - self.l_margin - self.r_margin) / 2
        self.cell(width + 30, 5, self.t(FICTIONAL_NOTICE), align="L")
        self.cell(width - 30, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    # -- page furniture ---------------------------------------------------

    def cover(self) -> None:
        meta = self.doc.meta
        self.add_page()
        # Fictional banner.
        self.set_fill_color(200, 30, 30)
        self.set_text_color(255, 255, 255)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 10, COVER_BANNER, align="C", fill=True, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(28)
        self.set_font("Helvetica", "B", 12)
        self.set_text_color(60, 60, 60)
        self.multi_cell(0, 7, self.t(meta["partnership"]), new_x="LMARGIN", new_y="NEXT")
        self.ln(10)
        self.set_text_color(0, 0, 0)
        self.set_font("Helvetica", "B", 22)
        self.multi_cell(0, 10, self.t(meta["title"]), align="L", new_x="LMARGIN", new_y="NEXT")
        if meta.get("subtitle"):
            self.ln(4)
            self.set_font("Helvetica", "", 14)
            self.multi_cell(
                0, 7, self.t(meta["subtitle"]), align="L", new_x="LMARGIN", new_y="NEXT"
            )
        self.ln(14)
        self.set_font("Helvetica", "", 12)
        self.cell(0, 7, self.t(f"Published: {meta['published']}"), new_x="LMARGIN", new_y="NEXT")
        if meta.get("author"):
            self.cell(0, 7, self.t(meta["author"]), new_x="LMARGIN", new_y="NEXT")
        self.ln(30)
        self.set_draw_color(200, 30, 30)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 7, "FICTIONAL", new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 10)
        self.multi_cell(0, 5.5, self.t(COVER_DISCLAIMER), border="L", new_x="LMARGIN", new_y="NEXT")

    def keep_room(self, needed: float) -> None:
        """Start a new page if fewer than ``needed`` mm remain (no orphaned headings)."""
        if self.get_y() + needed > self.page_break_trigger:
            self.add_page()

    # -- body ---------------------------------------------------------------

    def height(self, block: Block) -> float:
        """The height a paragraph, bullet or recommendation will take, in mm."""
        self.set_font("Helvetica", "", self.BODY_SIZE)
        if block.kind == "bullet":
            width, text, md = self.epw - 6, self.t(block.text), False
        elif block.kind == "rec":
            width, md = 0, True
            text = f"**{self.t(block.label)}** {escape_md(self.t(block.text))}"
        else:
            width, text, md = 0, self.t(block.text), False
        return float(
            self.multi_cell(width, self.LINE_H, text, markdown=md, dry_run=True, output="HEIGHT")
        )

    def body(self) -> list[tuple[Block, int]]:
        """Render the blocks; return each labelled block with the page it is on."""
        self.add_page()
        first = True
        placed: list[tuple[Block, int]] = []
        for block in self.doc.blocks:
            if block.roles and block.kind in ("para", "bullet", "rec"):
                # A labelled item is never split across pages, so it has one page.
                self.keep_room(
                    max(18.0, self.height(block)) if block.kind == "rec" else self.height(block)
                )
            start = self.page_no()
            if block.kind == "h1":
                if not first:
                    self.ln(4)
                self.keep_room(30)
                self.set_font("Helvetica", "B", 15)
                self.set_text_color(20, 50, 100)
                self.multi_cell(0, 8, self.t(block.text), new_x="LMARGIN", new_y="NEXT")
                self.set_text_color(0, 0, 0)
                self.ln(2)
            elif block.kind == "h2":
                self.ln(1)
                self.keep_room(24)
                self.set_font("Helvetica", "B", 12)
                self.multi_cell(0, 7, self.t(block.text), new_x="LMARGIN", new_y="NEXT")
                self.ln(1)
            elif block.kind == "para":
                self.set_font("Helvetica", "", self.BODY_SIZE)
                self.multi_cell(0, self.LINE_H, self.t(block.text), new_x="LMARGIN", new_y="NEXT")
                self.ln(3)
            elif block.kind == "bullet":
                self.set_font("Helvetica", "", self.BODY_SIZE)
                self.cell(6, self.LINE_H, "-")
                self.multi_cell(0, self.LINE_H, self.t(block.text), new_x="LMARGIN", new_y="NEXT")
                self.ln(1)
            elif block.kind == "rec":
                # One line of text: "Recommendation N: The partnership should ..."
                # with the label in bold (fpdf2's **markdown** bold).
                self.keep_room(18)
                self.set_font("Helvetica", "", self.BODY_SIZE)
                self.multi_cell(
                    0,
                    self.LINE_H,
                    f"**{self.t(block.label)}** {escape_md(self.t(block.text))}",
                    markdown=True,
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
                self.ln(3)
            else:  # pragma: no cover - parse_markdown only makes the kinds above
                raise ValueError(block.kind)
            first = False
            if block.roles:
                # (A heading's keep_room may move it to a new page; it is one page still.)
                if block.kind not in ("h1", "h2") and self.page_no() != start:
                    raise ValueError(
                        f"{self.doc.name}: labelled block split across pages: {block.text[:60]!r}"
                    )
                placed.append((block, self.page_no()))
        return placed


def render(doc: Document, out_dir: Path) -> tuple[Path, list[dict[str, object]]]:
    """Write the PDF; return it with its role labels (one row per labelled item)."""
    pdf = ReviewPDF(doc)
    pdf.cover()
    placed = pdf.body()
    out = out_dir / doc.pdf_name
    pdf.output(str(out))
    rows: list[dict[str, object]] = []
    for block, page in placed:
        for role in block.roles:
            rows.append(
                {
                    "doc": doc.pdf_name,
                    "page": page,
                    "role": role.role,
                    "text": " ".join(to_latin1(role.text or block.shown).split()),
                    "addressee_level": role.level or None,
                    "addressee": role.addressee or None,
                    "audience": role.audience or None,
                }
            )
    return out, rows


def write_metadata(docs: list[Document], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=METADATA_FIELDS, lineterminator="\n")
        writer.writeheader()
        for doc in docs:
            writer.writerow(
                {
                    "file": doc.pdf_name,
                    "title": doc.meta["title"],
                    "publisher": doc.meta["partnership"],
                    "year": doc.meta["year"],
                    "doc_type": doc.meta["doc_type"],
                    "source_url": "",
                    "fictional": "true",
                }
            )


def main(argv: list[str] | None = None) -> int:
    del argv
    sources = sorted(p for p in SRC_DIR.glob("*.md") if p.name != "FACTS.md")
    if not sources:
        print(f"no sources in {SRC_DIR}", file=sys.stderr)
        return 1
    docs = [parse_markdown(p) for p in sources]
    roles: list[dict[str, object]] = []
    for doc in docs:
        out, rows = render(doc, HERE)
        roles.extend(rows)
        print(f"wrote {out.relative_to(HERE.parent.parent)} ({out.stat().st_size} bytes)")
    write_metadata(docs, METADATA_CSV)
    print(f"wrote {METADATA_CSV.relative_to(HERE.parent.parent)} ({len(docs)} rows)")
    with ROLES_JSONL.open("w", encoding="utf-8", newline="\n") as fh:
        for row in roles:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {ROLES_JSONL.relative_to(HERE.parent.parent)} ({len(roles)} labels)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
