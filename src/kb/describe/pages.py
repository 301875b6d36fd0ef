"""Page text as the field extractors read it, and the file name read as words.

Every extractor (title, year, publisher, type) works on the same cleaned page texts and
looks at the same opening and closing pages, so those choices are made here once.
"""

from __future__ import annotations

import re
from pathlib import Path

# Only the opening pages carry a cover, a date line or a colophon worth reading; the rest
# is body text whose dates and names refer to other documents.
HEAD_PAGES = 3
TAIL_PAGES = 2
COVER_LINES = 40
COVER_CHARS = 1200

# A web or e-mail address, as logos, contact blocks and colophons print them.
URL_RE = re.compile(
    r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|\b\S+\.(?:org|gov|co|ac|nhs)\.uk\b", re.IGNORECASE
)


def clean_page(text: str) -> str:
    """One page's text with the characters that would spoil line matching normalised."""
    # pdfium marks soft hyphens with U+FFFE; CRLF and NBSP would spoil line matching.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\ufffe", "-").replace("\u00ad", "-").replace("\u00a0", " ")
    return text.replace("\x0c", "\n")


def page_lines(text: str) -> list[str]:
    """The text's lines, each with its runs of white space collapsed to one space."""
    return [" ".join(line.split()) for line in text.split("\n")]


def title_from_file_name(file_name: str) -> str:
    """``Some_file-name_2023.pdf`` -> ``Some file name 2023``."""
    stem = Path(file_name).stem
    words = re.sub(r"[_\-+.]+", " ", stem)
    return " ".join(words.split()) or file_name
