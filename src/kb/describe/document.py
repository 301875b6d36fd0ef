"""Describe a parsed file as a ``Document``: its title, publisher, year and type.

Sources, in order: a sidecar manifest beside the file (``metadata.csv``/``.yaml``, see
:mod:`kb.describe.sidecar`), then the file's own metadata, then heuristics on its first
and last pages (:mod:`~kb.describe.title`, :mod:`~kb.describe.year`,
:mod:`~kb.describe.publisher`, :mod:`~kb.describe.doctype`).

The heuristics are tuned on UK child safeguarding publications (local child safeguarding
practice reviews, Panel reports, DfE guidance, Ofsted letters, partnership procedures)
and work on plain page text only, so any parser's output can feed them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.describe.doctype import DECLARATION_PAGES, doc_type
from kb.describe.pages import HEAD_PAGES, TAIL_PAGES, clean_page, title_from_file_name
from kb.describe.publisher import publisher
from kb.describe.sidecar import load_sidecar, normalise_fields
from kb.describe.title import comes_after, title_from_info, title_from_text
from kb.describe.year import publication_year
from kb.parse import RawDocument
from kb.records import Document


@dataclass(frozen=True)
class DocMeta:
    """What kb knows about a document before it is chunked."""

    title: str
    publisher: str
    year: int | None
    doc_type: str
    source_url: str = ""


def describe(path: Path, raw: RawDocument) -> Document:
    """The ``Document`` for ``path``: its sidecar entry over what its text says."""
    sidecar = load_sidecar(path.parent).get(path.name)
    meta = merge(sidecar, extract_metadata(path.name, raw.raw_texts, raw.info))
    return Document(
        doc_id="",
        file=path.name,
        title=meta.title,
        publisher=meta.publisher,
        year=meta.year,
        doc_type=meta.doc_type,
        source_url=meta.source_url,
        fictional=bool(sidecar and sidecar.get("fictional")),
    )


def merge(sidecar: Mapping[str, Any] | None, extracted: DocMeta) -> DocMeta:
    """Sidecar fields win over extracted ones wherever the sidecar gives a non-empty value."""
    if not sidecar:
        return extracted
    given = normalise_fields(sidecar)
    return DocMeta(
        title=given["title"] or extracted.title,
        publisher=given["publisher"] or extracted.publisher,
        year=given["year"] if given["year"] is not None else extracted.year,
        doc_type=given["doc_type"] or extracted.doc_type,
        source_url=given["source_url"] or extracted.source_url,
    )


def extract_metadata(
    file_name: str, pages: Sequence[str], pdf_info: Mapping[str, str] | None = None
) -> DocMeta:
    """Guess a document's title, publisher, year and type from its pages' text.

    ``pages`` is the text of each page in order (an HTML or DOCX file is one page);
    ``pdf_info`` is the PDF information dictionary as pypdfium2's ``get_metadata_dict()``
    returns it (``Title``, ``Author``, ``CreationDate``, ``ModDate``...). HTML callers can
    pass the ``<title>`` as ``Title``, and any document's publishing organisation as
    ``Author``. Never raises on odd input: a field it cannot find is left empty.
    """
    info = {str(k).lower(): " ".join(str(v).split()) for k, v in (pdf_info or {}).items() if v}
    texts = [clean_page(p) for p in pages]
    head = texts[:HEAD_PAGES]
    tail = texts[-TAIL_PAGES:] if len(texts) > HEAD_PAGES else []

    text_title = title_from_text(head, info.get("title", ""))
    info_title = title_from_info(info.get("title", ""), head)
    if info_title and text_title and comes_after(info_title, text_title, head):
        # A "Title" that the cover prints below another title block is a section heading
        # (parsers of DOCX and HTML report the first heading they meet).
        info_title = ""
    title = info_title or text_title or title_from_file_name(file_name)

    found_publisher = publisher(texts, info.get("author", ""))
    year = publication_year(head, tail, info, title, text_title, file_name)
    titles = [t for t in (info_title, text_title) if t]
    found_type = doc_type(titles, texts[:DECLARATION_PAGES], file_name, found_publisher)
    return DocMeta(title=title, publisher=found_publisher, year=year, doc_type=found_type)
