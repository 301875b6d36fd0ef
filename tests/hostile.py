"""A generated set of hostile input files, and what kb must say about each.

``write_hostile_set(folder)`` writes broken, malicious and oversized files
(corrupt and encrypted PDFs, PDF and zip bombs, a 50 MB single-page PDF,
script-laden HTML, file names with newlines and markup, symlink loops...) plus
a few good files, and returns one ``Expect`` per path that ``discover`` will
see. Everything is built at test time from deterministic bytes, so nothing
hostile is committed to the repository.

The byte-level builders (hand-made PDFs, zip bombs) are in
``tests/hostile_bytes.py``.
"""

from __future__ import annotations

import os
import random
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from conftest import write_encrypted_pdf, write_image_only_pdf, write_pdf
from hostile_bytes import (
    CONTENT_TYPES,
    FONT,
    LINE,
    ONLY_SCRIPTS_HTML,
    SCRIPT_HTML,
    big_single_page_pdf,
    billion_laughs_docx,
    build_pdf,
    deep_html,
    doubling_tree_pdf,
    flate_bomb_pdf,
    many_pages_pdf,
    one_page_pdf,
    stream,
    zip_bomb_docx,
    zip_bytes,
)

# Outcomes a file may have in an IngestReport.
ADDED, FAILED, SKIPPED = "added", "failed", "skipped"

@dataclass(frozen=True)
class Expect:
    """What the ingest report must say about one file."""

    outcome: str  # ADDED, FAILED or SKIPPED
    reason: str = ""  # a fragment the one-line reason must contain (FAILED/SKIPPED)
    why: str = ""  # what the file is, for test ids and messages


def good_pages(name: str) -> list[list[str]]:
    """Three short pages of distinct, review-like prose mentioning ``name``."""
    return [
        [
            "1 Introduction",
            f"This review considers the circumstances of {name}, who was harmed at home.",
            "The partnership commissioned the review after a rapid review meeting.",
            f"{name} lived with a mother, a stepfather and two younger siblings.",
        ],
        [
            "2 Findings",
            "The health visitor saw the baby twice and recorded no concerns at all.",
            "Police attended a domestic incident but made no referral that summer.",
            f"Agencies each held part of the picture of {name} and nobody joined it up.",
        ],
        [
            "3 Recommendations",
            "Every agency should be able to see the history of domestic abuse.",
            f"A distinctive detail about {name}: a kite with a tartan tail in the garden.",
        ],
    ]


def good_docx(path: Path, name: str) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(f"Review of {name}", level=1)
    for page in good_pages(name):
        document.add_heading(page[0], level=2)
        document.add_paragraph(" ".join(page[1:]))
    document.save(str(path))
    return path


# --------------------------------------------------------------------------- the set

# File names that are themselves hostile; the content decides the outcome.
NEWLINE_GOOD = "good\nname with newline.pdf"
NEWLINE_BAD = "bad\nname\rwith controls.pdf"
UNICODE_GOOD = "révision-straße-子供-😀.pdf"
MARKUP_GOOD = '"><img src=x onerror=alert(1)>.pdf'
TAB_BAD = "名前\tタブ.pdf"

FLATE_BOMB_MB = 3072  # more than any sensible per-file budget, and more than the test's
ZIP_BOMB_MB = 3072


@dataclass
class _SetWriter:
    """The folder being filled, its random bytes, and what is expected of each file."""

    folder: Path
    rng: random.Random
    expect: dict[Path, Expect] = field(default_factory=dict)

    def put(
        self, name: str, data: bytes | str, outcome: str, reason: str = "", why: str = ""
    ) -> Path:
        path = self.folder / name
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        self.expect[path] = Expect(outcome, reason, why or name)
        return path


def write_hostile_set(folder: Path, *, seed: int = 7) -> dict[Path, Expect]:
    """Write the hostile set and the good files into ``folder``; return the expectations."""
    folder.mkdir(parents=True, exist_ok=True)
    w = _SetWriter(folder, random.Random(seed))
    # The order matters: each section draws its random bytes from the same generator.
    good = _good_files(w)
    _broken_pdfs(w, good)
    _pdf_bombs(w)
    _pdf_monsters(w, good)
    _docx_files(w)
    _html_and_text(w)
    _hostile_names(w)
    _links(w)
    return w.expect


def _good_files(w: _SetWriter) -> Path:
    """Good files: they must all be ingested, hostile neighbours or not."""
    good_a = write_pdf(w.folder / "good-review-a.pdf", good_pages("Child A"), title="Child A")
    good_b = write_pdf(w.folder / "good-review-b.pdf", good_pages("Child B"))
    w.expect[good_a] = Expect(ADDED, why="good PDF")
    w.expect[good_b] = Expect(ADDED, why="good PDF")
    w.expect[good_docx(w.folder / "good-review-c.docx", "Child C")] = Expect(ADDED, why="good DOCX")
    return good_a


def _broken_pdfs(w: _SetWriter, good: Path) -> None:
    """Broken PDFs: empty, garbage, truncated, encrypted, without a text layer."""
    good_bytes = good.read_bytes()
    w.put("empty.pdf", b"", FAILED, "empty file", "zero-byte file")
    w.put("random-bytes.pdf", w.rng.randbytes(64 * 1024), FAILED, "not a PDF", "binary garbage")
    w.put("plain-text.pdf", "just some words\n" * 100, FAILED, "not a PDF", "text named .pdf")
    w.put("header-only.pdf", b"%PDF-1.7\n", FAILED, "corrupt or truncated", "header and nothing")
    w.put(
        "truncated-half.pdf",
        good_bytes[: len(good_bytes) // 2],
        FAILED,
        "corrupt or truncated",
        "truncated PDF",
    )
    w.put(
        "garbage-after-header.pdf",
        b"%PDF-1.4\n" + w.rng.randbytes(32 * 1024),
        FAILED,
        "corrupt or truncated",
        "PDF header then garbage",
    )
    encrypted = write_encrypted_pdf(w.folder / "encrypted.pdf", good)
    w.expect[encrypted] = Expect(FAILED, "encrypted", "password-protected PDF")
    w.expect[write_image_only_pdf(w.folder / "scan-no-text.pdf")] = Expect(
        FAILED, "no text layer", "image-only PDF without OCR"
    )


def _pdf_bombs(w: _SetWriter) -> None:
    """PDF bombs: page counts and page trees that lie or loop."""
    w.put(
        "page-count-lie.pdf",
        one_page_pdf(count=2_000_000_000),
        ADDED,
        why="declares 2 billion pages, holds one (pdfium counts the real ones)",
    )
    w.put(
        "page-tree-bomb.pdf",
        doubling_tree_pdf(40),
        FAILED,
        "PDF",  # pdfium's error code varies here: "corrupt" or "unreadable"
        "page tree declaring 2**40 pages through shared kids",
    )
    w.put(
        "page-tree-loop.pdf",
        build_pdf(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                b"/Resources << /Font << /F1 5 0 R >> >> >>",
                stream(LINE),
                FONT,
            ]
        ),
        FAILED,
        "unreadable",
        "page tree that contains itself",
    )
    w.put(
        "too-many-pages.pdf",
        many_pages_pdf(6000),
        FAILED,
        "6000 pages (limit",
        "6,000 real pages",
    )


def _pdf_monsters(w: _SetWriter, good: Path) -> None:
    """PDF monsters: deep nesting, a bad xref, JavaScript, a flate bomb, a huge page."""
    good_bytes = good.read_bytes()
    w.put(
        "nested-arrays.pdf",
        one_page_pdf(catalog_extra=b"/Deep 6 0 R", more=[b"[" * 200_000 + b"]" * 200_000]),
        ADDED,
        why="200,000 nested arrays beside a good page",
    )
    w.put(
        "nested-dicts.pdf",
        one_page_pdf(resources=b"/X " + b"<< /A " * 50_000 + b"1" + b" >>" * 50_000),
        ADDED,
        why="50,000 nested dictionaries in the page resources",
    )
    w.put(
        "xref-points-nowhere.pdf",
        good_bytes.replace(b"startxref", b"startxref\n999999999\n%", 1),
        ADDED,
        why="startxref offset past the end (pdfium rebuilds the table)",
    )
    w.put(
        "javascript.pdf",
        one_page_pdf(
            catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert\\('pwned'\\)) >>",
            page_extra=b"/AA << /O << /S /Launch /F (/bin/sh) >> >>",
        ),
        ADDED,
        why="OpenAction JavaScript and a Launch action (never run; text only)",
    )
    w.put(
        "flate-bomb.pdf",
        flate_bomb_pdf(FLATE_BOMB_MB),
        FAILED,
        " MB",
        f"content stream inflating to {FLATE_BOMB_MB} MB",
    )
    w.put(
        "single-page-50mb.pdf",
        big_single_page_pdf(50, w.rng),
        ADDED,
        why="50 MB single page (a huge image under one line of text)",
    )


def _docx_files(w: _SetWriter) -> None:
    """DOCX: zip bombs, broken zips, an XML entity bomb."""
    w.put("zip-bomb.docx", zip_bomb_docx(ZIP_BOMB_MB), FAILED, "zip bomb", "DOCX zip bomb")
    w.put("not-a-zip.docx", w.rng.randbytes(10_000), FAILED, "not a valid zip", "garbage DOCX")
    docx_bytes = (w.folder / "good-review-c.docx").read_bytes()
    w.put(
        "truncated.docx",
        docx_bytes[: len(docx_bytes) // 2],
        FAILED,
        "not a valid zip",
        "truncated DOCX",
    )
    w.put(
        "no-document.docx",
        zip_bytes({"[Content_Types].xml": CONTENT_TYPES, "junk.bin": b"\0" * 100}),
        FAILED,
        "unreadable DOCX",
        "zip without word/document.xml",
    )
    w.put(
        "billion-laughs.docx",
        billion_laughs_docx(docx_bytes),
        FAILED,
        "DOCX",
        "XML entity expansion bomb",
    )
    w.put(
        "many-entries.docx",
        zip_bytes({f"f{i}": b"" for i in range(12_000)}, compression=zipfile.ZIP_STORED),
        FAILED,
        "entries (limit",
        "12,000 zip entries",
    )


def _html_and_text(w: _SetWriter) -> None:
    """HTML and text: scripts, no text at all, deep nesting, binary bytes."""
    w.put("scripts-and-handlers.html", SCRIPT_HTML, ADDED, why="script tags and event handlers")
    w.put("only-scripts.html", ONLY_SCRIPTS_HTML, FAILED, "no text found", "HTML with no text")
    # libxml2 stops at its nesting limit, so the deep paragraph is never reached.
    w.put("deep-nesting.html", deep_html(50_000), FAILED, "no text found", "50,000 nested divs")
    w.put(
        "binary.txt",
        bytes(range(256)) * 64,
        FAILED,
        "",
        "binary bytes named .txt",
    )


def _hostile_names(w: _SetWriter) -> None:
    """Hostile names: content decides the outcome; the report must stay one line per file."""
    write_pdf(w.folder / NEWLINE_GOOD, good_pages("Child N"))
    w.expect[w.folder / NEWLINE_GOOD] = Expect(ADDED, why="newline in the name")
    w.put(NEWLINE_BAD, w.rng.randbytes(2048), FAILED, "not a PDF", "newline and CR in a bad name")
    write_pdf(w.folder / UNICODE_GOOD, good_pages("Child U"))
    w.expect[w.folder / UNICODE_GOOD] = Expect(ADDED, why="non-ASCII and emoji name")
    write_pdf(w.folder / MARKUP_GOOD, good_pages("Child M"))
    w.expect[w.folder / MARKUP_GOOD] = Expect(ADDED, why="HTML markup in the name")
    w.put(TAB_BAD, b"%PDF-1.7\n%%EOF\n", FAILED, "corrupt or truncated", "tab and CJK in the name")


def _links(w: _SetWriter) -> None:
    """Links: loops, a dangling one, one out of the folder, a directory loop."""
    outside = w.folder.parent / f"{w.folder.name}-outside"
    outside.mkdir(exist_ok=True)
    os.symlink("loop-b.pdf", w.folder / "loop-a.pdf")
    os.symlink("loop-a.pdf", w.folder / "loop-b.pdf")
    w.expect[w.folder / "loop-a.pdf"] = Expect(FAILED, "looping symlink", "symlink loop")
    w.expect[w.folder / "loop-b.pdf"] = Expect(FAILED, "looping symlink", "symlink loop")
    os.symlink("self.pdf", w.folder / "self.pdf")
    w.expect[w.folder / "self.pdf"] = Expect(FAILED, "looping symlink", "symlink to itself")
    os.symlink("does-not-exist.pdf", w.folder / "dangling.pdf")
    w.expect[w.folder / "dangling.pdf"] = Expect(FAILED, "broken", "dangling symlink")
    secret = write_pdf(outside / "secret.pdf", good_pages("Child S"))
    os.symlink(secret, w.folder / "outside.pdf")
    w.expect[w.folder / "outside.pdf"] = Expect(
        SKIPPED, "outside the folder", "symlink out of tree"
    )
    (w.folder / "sub").mkdir()
    os.symlink("..", w.folder / "sub" / "up")  # a directory loop: walked once, never followed


PATH_TRAVERSAL_MANIFEST = """publications:
  - path: /government/publications/a-real-looking-review
    title: A review
  - path: /government/publications/../../../../etc/passwd
    title: Not a review
"""


def spin_forever() -> None:
    """For the time budget: a parse that never ends."""
    while True:
        pass


def allocate_mb(megabytes: int) -> int:
    """For the memory budget: hold ``megabytes`` MB at once."""
    blocks = [bytearray(1024 * 1024) for _ in range(megabytes)]
    return len(blocks)


def crash_hard() -> None:
    """For crash handling: die the way a buggy C parser does."""
    import ctypes

    ctypes.string_at(0)


def try_network() -> str:
    """For the worker's network lock: try to reach a documentation address."""
    import socket

    with socket.create_connection(("192.0.2.1", 80), timeout=1):
        return "connected"


def env_value(name: str) -> str | None:
    """The worker's own value of an environment variable."""
    return os.environ.get(name)
