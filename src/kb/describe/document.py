"""Describe a parsed file as a ``Document``.

Sources, in order: a sidecar manifest beside the file (metadata.csv/.yaml),
then the file's own metadata, then heuristics on its first and last pages.
"""

from __future__ import annotations

from pathlib import Path

from kb.describe.metadata import extract_metadata, load_sidecar, merge
from kb.parse import RawDocument
from kb.records import Document


def describe(path: Path, raw: RawDocument) -> Document:
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
