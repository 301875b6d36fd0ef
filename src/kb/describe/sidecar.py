"""The metadata sidecar: a manifest beside the documents that says what each one is.

A person (or ``kb fetch``) writes ``metadata.csv``, ``metadata.yaml`` or ``metadata.yml``
in a folder; each entry names a ``file`` in that folder and may give its ``title``,
``publisher``, ``year``, ``doc_type``, ``source_url`` and ``fictional`` flag. This module
is the one place that schema is defined, read (:func:`load_sidecar`) and written
(:func:`write_sidecar_csv`).

A sidecar is input from whoever filled the folder, so reading it is bounded: a file over
:data:`MAX_SIDECAR_BYTES`, with more than :data:`MAX_SIDECAR_ENTRIES` entries or
:data:`MAX_SIDECAR_COLUMNS` columns, or YAML whose aliases would expand past
:data:`MAX_YAML_NODES` nodes or :data:`MAX_YAML_CHARS` characters is refused with a
one-line :class:`~kb.errors.ConfigError` before it is built.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from kb.errors import ConfigError
from kb.files import atomic_write_text
from kb.records import DOC_TYPES

SIDECAR_NAMES = ("metadata.csv", "metadata.yaml", "metadata.yml")
SIDECAR_FIELDS = ("file", "title", "publisher", "year", "doc_type", "source_url", "fictional")

# A row is a few hundred bytes, so these leave room for a folder of 10,000 documents.
MAX_SIDECAR_BYTES = 2_000_000
MAX_SIDECAR_ENTRIES = 10_000
MAX_SIDECAR_COLUMNS = 200
# A YAML alias repeats a whole subtree, so a small file can stand for an enormous one (the
# "billion laughs"); these bound the document as it would be with every alias written out.
MAX_YAML_NODES = 200_000
MAX_YAML_CHARS = 2 * MAX_SIDECAR_BYTES


# Where in the sidecar a row came from ("row 3", "entry 'a.pdf'"), and its fields.
Row = tuple[str, dict[str, Any]]


def load_sidecar(folder: Path) -> dict[str, dict[str, Any]]:
    """Read ``metadata.csv``/``metadata.yaml``/``metadata.yml`` in ``folder``, if any.

    Returns file name -> fields (``title``, ``publisher``, ``year``, ``doc_type``,
    ``source_url``, ``fictional``), each normalised: strings stripped, ``year`` an int or
    None, ``doc_type`` one of :data:`kb.records.DOC_TYPES` or ``""`` when left blank,
    ``fictional`` a bool. Unknown columns are ignored. A malformed or oversized manifest
    raises :class:`~kb.errors.ConfigError` naming the file and the row.
    """
    present = [folder / name for name in SIDECAR_NAMES if (folder / name).is_file()]
    if not present:
        return {}
    if len(present) > 1:
        # Two manifests could disagree silently; make the person pick one.
        names = ", ".join(p.name for p in present)
        raise ConfigError(f"{folder}: more than one metadata sidecar ({names}); keep one")
    path = present[0]
    rows = _read_csv(path) if path.suffix == ".csv" else _read_yaml(path)
    out: dict[str, dict[str, Any]] = {}
    for where, row in rows:
        file_name = str(row.get("file") or "").strip().removeprefix("./")
        if not file_name:
            raise ConfigError(f"{path.name}: {where}: no 'file' given")
        if file_name in out:
            raise ConfigError(f"{path.name}: {where}: {file_name!r} is listed twice")
        try:
            out[file_name] = normalise_fields(row)
        except ConfigError as exc:
            raise ConfigError(f"{path.name}: {where} ({file_name}): {exc}") from None
    return out


def normalise_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """Coerce one manifest row's known fields; raises ConfigError on a bad year or type."""
    fields: dict[str, Any] = {}
    for name in ("title", "publisher", "source_url"):
        value = row.get(name)
        fields[name] = " ".join(str(value).split()) if value is not None else ""
    fields["year"] = _coerce_year(row.get("year"))
    fields["doc_type"] = _coerce_doc_type(row.get("doc_type"))
    fields["fictional"] = _coerce_bool(row.get("fictional"))
    return fields


def write_sidecar_csv(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """Replace ``path`` with a ``metadata.csv`` of ``rows`` (columns :data:`SIDECAR_FIELDS`).

    Keys outside the schema are dropped and missing ones left blank. The file appears
    whole or not at all: it is written to a temporary file in the same folder, flushed to
    disk, then renamed over ``path``. An OSError (disk full, no permission) propagates.
    """
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=SIDECAR_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())


def _read_bounded(path: Path, encoding: str, newline: str | None) -> str:
    """The file's text, refusing one over :data:`MAX_SIDECAR_BYTES` before reading it all."""
    with path.open(encoding=encoding, newline=newline) as fh:
        if os.fstat(fh.fileno()).st_size > MAX_SIDECAR_BYTES:
            raise ConfigError(f"{path.name}: larger than {MAX_SIDECAR_BYTES:,} bytes")
        # Bounded even if the file grows after the check.
        text = fh.read(MAX_SIDECAR_BYTES + 1)
    if len(text) > MAX_SIDECAR_BYTES:
        raise ConfigError(f"{path.name}: larger than {MAX_SIDECAR_BYTES:,} bytes")
    return text


def _read_csv(path: Path) -> list[Row]:
    try:
        # utf-8-sig: spreadsheets save a byte-order mark that would otherwise rename "file";
        # newline="": the csv module reads line breaks inside quoted fields itself.
        text = _read_bounded(path, "utf-8-sig", newline="")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        if "file" not in header:
            raise ConfigError(f"{path.name}: header has no 'file' column")
        # Every row becomes a dict over the whole header, so a wide one costs every row.
        if len(header) > MAX_SIDECAR_COLUMNS:
            raise ConfigError(f"{path.name}: more than {MAX_SIDECAR_COLUMNS} columns")
        rows: list[Row] = []
        for raw in reader:
            clean = {(k or "").strip().lower(): v for k, v in raw.items() if isinstance(v, str)}
            if not any((v or "").strip() for v in clean.values()):
                continue
            if len(rows) >= MAX_SIDECAR_ENTRIES:
                raise ConfigError(f"{path.name}: more than {MAX_SIDECAR_ENTRIES:,} entries")
            rows.append((f"row {reader.line_num}", clean))
        return rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{path.name}: cannot read: {_one_line(exc)}") from exc


def _read_yaml(path: Path) -> list[Row]:
    try:
        # A SafeLoader, as yaml.safe_load uses, that also bounds what aliases expand to.
        data = yaml.load(_read_bounded(path, "utf-8", newline=None), Loader=_SidecarLoader)
    except _Oversized as exc:
        raise ConfigError(f"{path.name}: refused: {exc}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path.name}: cannot read: {_one_line(exc)}") from exc
    if data is None:
        return []
    rows: list[Row] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            if value is None:
                value = {}
            if not isinstance(value, Mapping):
                raise ConfigError(f"{path.name}: entry {key!r}: expected a mapping of fields")
            rows.append((f"entry {key!r}", {**_lower_keys(value), "file": str(key)}))
    elif isinstance(data, list):
        for i, item in enumerate(data, start=1):
            if not isinstance(item, Mapping):
                raise ConfigError(f"{path.name}: item {i}: expected a mapping with a 'file' key")
            rows.append((f"item {i}", _lower_keys(item)))
    else:
        raise ConfigError(f"{path.name}: expected a mapping of file names or a list of entries")
    if len(rows) > MAX_SIDECAR_ENTRIES:
        raise ConfigError(f"{path.name}: more than {MAX_SIDECAR_ENTRIES:,} entries")
    return rows


class _Oversized(Exception):
    """The YAML would expand past a cap; :func:`_read_yaml` names the file."""


class _SidecarLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that counts the document's size with every alias expanded.

    Each node's expanded size is known once it is composed, so an alias adds the size of
    the subtree it repeats; composing stops as soon as a running total passes its cap,
    before the repeated structure is ever built or turned into a string.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, characters)
        self._nodes = 0
        self._chars = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        alias = self.check_event(yaml.AliasEvent)
        node = super().compose_node(parent, index)
        if node is None:
            return None
        if alias:
            # An alias to a node still being composed (a recursive one) repeats nothing yet.
            nodes, chars = self._sizes.get(id(node), (1, 0))
        else:
            nodes, chars = _own_size(node, self._sizes)
            self._sizes[id(node)] = (nodes, chars)
        # A collection's own size includes its children, which were counted as they came.
        self._nodes += nodes if alias else 1
        self._chars += chars if alias else _scalar_chars(node)
        if self._nodes > MAX_YAML_NODES:
            raise _Oversized(f"more than {MAX_YAML_NODES:,} YAML nodes, counting aliases as copies")
        if self._chars > MAX_YAML_CHARS:
            raise _Oversized(f"more than {MAX_YAML_CHARS:,} characters, counting aliases as copies")
        return node


def _own_size(node: yaml.Node, sizes: Mapping[int, tuple[int, int]]) -> tuple[int, int]:
    """A node's expanded size from its children's, which are composed before it."""
    if isinstance(node, yaml.SequenceNode):
        children: list[yaml.Node] = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    else:
        return 1, _scalar_chars(node)
    nodes, chars = 1, 0
    for child in children:
        child_nodes, child_chars = sizes.get(id(child), (1, 0))
        nodes += child_nodes
        chars += child_chars
    return nodes, chars


def _scalar_chars(node: yaml.Node) -> int:
    return len(node.value) if isinstance(node, yaml.ScalarNode) else 0


def _one_line(exc: BaseException) -> str:
    # YAML errors quote the offending line under a caret; a message here is one line.
    return " ".join(str(exc).split())


def _lower_keys(value: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(k).strip().lower(): v for k, v in value.items()}


def _coerce_year(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(f"year {value!r} is not a four-digit year")
    if isinstance(value, int):
        year = value
    elif isinstance(value, date):
        year = value.year
    else:
        text = str(value).strip()
        if not text:
            return None
        if not re.fullmatch(r"\d{4}(?:\.0)?", text):
            raise ConfigError(f"year {text!r} is not a four-digit year")
        year = int(float(text))
    if not 1900 <= year <= 2100:
        raise ConfigError(f"year {year} is out of range")
    return year


def _coerce_doc_type(value: Any) -> str:
    text = str(value or "").strip().lower()
    if not text:
        return ""
    text = re.sub(r"[\s-]+", "_", text)
    if text not in DOC_TYPES:
        raise ConfigError(f"unknown doc_type {value!r} (expected one of: {', '.join(DOC_TYPES)})")
    return text


def _coerce_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("", "0", "false", "no", "n", "off"):
        return False
    if text in ("1", "true", "yes", "y", "on"):
        return True
    raise ConfigError(f"fictional {value!r} is not true or false")
