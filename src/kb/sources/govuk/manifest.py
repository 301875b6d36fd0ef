"""The fetch manifest: which GOV.UK publications we want, and how to cite them.

``corpus/manifest.yaml`` lists publications by GOV.UK base path with a title and, if
known, publisher, year and document type. Every path is checked to be a plain GOV.UK
path (no URL, no ``..``, no percent escapes) both when the manifest is read and when a
:class:`Publication` is built by hand, so nothing downstream can be steered off GOV.UK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from kb.errors import ConfigError
from kb.records import DOC_TYPES

GOVUK_ORIGIN = "https://www.gov.uk"
MIN_YEAR, MAX_YEAR = 1900, 2100

# GOV.UK base paths are lower-case slugs; anything outside this set (percent escapes, spaces,
# backslashes) has no business in a manifest and could smuggle a traversal past us.
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")


@dataclass(frozen=True)
class Publication:
    """One GOV.UK publication from the manifest, and how to cite its files."""

    path: str  # GOV.UK base path, e.g. /government/publications/...
    title: str
    publisher: str = ""
    year: int | None = None
    doc_type: str = "other"

    def __post_init__(self) -> None:
        # Checked here as well as in load_manifest, so a Publication built by hand is safe too.
        problem = _path_problem(self.path)
        if problem:
            raise ConfigError(f"path {self.path!r} {problem}")
        if not self.title.strip():
            raise ConfigError("missing 'title'")
        if self.doc_type not in DOC_TYPES:
            raise ConfigError(f"unknown doc_type {self.doc_type!r}")

    @property
    def source_url(self) -> str:
        """The publication's page on GOV.UK, for citations (whatever server we fetched from)."""
        return GOVUK_ORIGIN + self.path


def load_manifest(path: Path) -> tuple[Publication, ...]:
    """Read and validate a manifest; every problem is a ``ConfigError`` naming file and entry."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read manifest: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: manifest is not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: manifest is not valid YAML: {exc}") from None
    entries = data.get("publications") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected a mapping with a 'publications' list")

    publications: list[Publication] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        label = f"{path}: publications entry {number}"
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            label += f" ({entry['path']!r})"
        try:
            publication = _publication_from(entry)
        except ConfigError as exc:
            raise ConfigError(f"{label}: {exc}") from None
        if publication.path in seen:
            raise ConfigError(f"{label}: duplicate of entry {seen[publication.path]}")
        seen[publication.path] = number
        publications.append(publication)
    return tuple(publications)


def _publication_from(entry: object) -> Publication:
    if not isinstance(entry, dict):
        raise ConfigError(f"expected a mapping, got {type(entry).__name__}")
    path = entry.get("path")
    if not isinstance(path, str) or not path:
        raise ConfigError("missing 'path'")
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ConfigError("missing 'title'")
    publisher = entry.get("publisher") or ""
    if not isinstance(publisher, str):
        raise ConfigError("'publisher' must be text")
    doc_type = entry.get("doc_type") or "other"
    if not isinstance(doc_type, str):
        raise ConfigError("'doc_type' must be text")
    return Publication(
        path=path,
        title=" ".join(title.split()),  # a citation is one line, however the YAML wrapped it
        publisher=" ".join(publisher.split()),
        year=_year(entry.get("year")),
        doc_type=doc_type,
    )


def _year(value: object) -> int | None:
    if value is None or value == "":
        return None
    # bool is an int to Python, and `year: yes` is a YAML accident, not a year.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"'year' must be a whole number, got {value!r}")
    try:
        year = int(value)
    except ValueError:
        raise ConfigError(f"'year' must be a whole number, got {value!r}") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ConfigError(f"'year' {year} is out of range")
    return year


def _path_problem(path: str) -> str | None:
    if not path.startswith("/"):
        return "must start with '/'"
    if path.startswith("//"):
        return "must be a path on GOV.UK, not a URL"
    for segment in path[1:].split("/"):
        if segment in ("", ".", ".."):
            return "must not contain empty, '.' or '..' segments"
        if not _PATH_SEGMENT.fullmatch(segment):
            return "may only contain letters, digits and '-', '_', '.', '~'"
    return None
