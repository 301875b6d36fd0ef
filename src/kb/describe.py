"""Describe a parsed file as a ``Document``: sidecar first, then the file's own metadata."""

from __future__ import annotations

from pathlib import Path

from kb.parse import RawDocument
from kb.records import Document


def describe(path: Path, raw: RawDocument) -> Document:
    title = raw.info.get("Title", "").strip() or path.stem.replace("_", " ").replace("-", " ")
    return Document(doc_id="", file=path.name, title=title)
