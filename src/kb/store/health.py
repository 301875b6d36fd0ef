"""Checking a generation against what it should hold, and choosing one that passes.

Two depths (``kb.store.manifest`` says what is recorded):

- the check on open, run by every reader before it serves a generation: the
  manifest and catalog readable, every recorded file there at its size (and
  digested again only if its modification time moved), then, with the shard
  open, its passage count and each document's against the manifest;
- the full check (``kb check``): every file digested, and each document's
  passages read back whole, so a damaged payload names its document.

A generation published before manifests existed is checked against its
catalog (counts, and chunk ids derived from each document's id), without
file digests. ``candidates`` lists the generations a reader or writer may
fall back to: CURRENT's first, then the older ones, newest first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import kb.store.manifest as mf
from kb.errors import DiskFull, IndexDamaged, StoreError
from kb.records import Document, Filters, point_id
from kb.store.edge import EdgeStore
from kb.store.generations import CURRENT, current, generations_dir, is_generation_name

Problems = list[mf.Problem]
T = TypeVar("T")


@dataclass(frozen=True)
class Expected:
    """What a generation should hold: its manifest, or one derived from its catalog."""

    manifest: mf.Manifest
    recorded: bool  # False: derived from the catalog of a generation without a manifest


def expected_from_documents(documents: Sequence[Document]) -> mf.Manifest:
    entries = {
        d.doc_id: mf.DocEntry(
            d.file, d.n_chunks, mf.ids_digest(point_id(d.doc_id, i) for i in range(d.n_chunks))
        )
        for d in documents
    }
    return mf.Manifest(sum(d.n_chunks for d in documents), entries)


def read_catalog(generation: Path) -> list[Document]:
    try:
        rows = json.loads((generation / mf.CATALOG).read_text(encoding="utf-8"))
        return [Document.from_dict(r) for r in rows]
    except FileNotFoundError:
        raise StoreError("no document catalog: it was never published") from None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise StoreError(f"the document catalog is unreadable ({type(exc).__name__})") from None


def files_check(generation: Path, *, full: bool) -> tuple[Expected | None, Problems]:
    """The part of the check that needs no open shard."""
    name = generation.name
    try:
        manifest = mf.read(generation)
        documents = read_catalog(generation)
    except (mf.ManifestError, StoreError) as exc:
        return None, [mf.Problem(name, "generation", str(exc))]
    if manifest is None:
        return Expected(expected_from_documents(documents), recorded=False), []
    problems = mf.check_files(generation, manifest, full=full)
    listed = {d.doc_id for d in documents}
    if listed != set(manifest.documents):
        what = "does not list the manifest's documents"
        problems.append(mf.Problem(name, "document catalog", what))
    return Expected(manifest, recorded=True), problems


def shard_check(name: str, expected: mf.Manifest, shard: EdgeStore, *, full: bool) -> Problems:
    """Counts (and with ``full``, every document's passages) in an open shard."""
    files = {k: v.file for k, v in expected.documents.items()}
    try:
        counts = shard.chunk_doc_ids()
        total = shard.count(Filters())
    except StoreError as exc:
        return [mf.Problem(name, "index", f"cannot be counted: {exc}")]
    problems = mf.compare_counts(name, expected, counts, files)
    if total != expected.chunks and not problems:
        problems.append(mf.Problem(name, "index", f"{total} passages, published {expected.chunks}"))
    if full:
        problems += _read_back(name, expected, shard)
    return problems


def _read_back(name: str, expected: mf.Manifest, shard: EdgeStore) -> Problems:
    problems = []
    for doc_id, entry in expected.documents.items():
        subject = f"document {entry.file}"
        try:
            ids = shard.chunk_ids(doc_id, payload=True)
        except StoreError as exc:
            problems.append(mf.Problem(name, subject, f"passages unreadable: {exc}"))
            continue
        if mf.ids_digest(ids) != entry.ids and len(ids) == entry.chunks:
            problems.append(mf.Problem(name, subject, "passage ids differ from the published ones"))
    return problems


def raise_if(problems: Problems) -> None:
    if problems:
        raise IndexDamaged(tuple(p.line() for p in problems))


def candidates(store_dir: Path) -> tuple[list[Path], str | None]:
    """Generations to try, best first, and what is wrong with CURRENT (None: nothing)."""
    root = generations_dir(store_dir)
    published = (
        sorted(
            (p for p in root.iterdir() if is_generation_name(p.name) and (p / mf.CATALOG).exists()),
            key=lambda p: p.name,
            reverse=True,
        )
        if root.is_dir()
        else []
    )
    try:
        live = current(store_dir)
    except StoreError as exc:
        return published, str(exc)
    if live is None:
        if not (store_dir / CURRENT).exists():
            return published, (f"{store_dir / CURRENT} is missing" if published else None)
        return published, f"{store_dir / CURRENT} names a generation that is not there"
    if not mf.os_path_inside(root, live):
        return published, f"{store_dir / CURRENT} leads outside the store"
    older = [p for p in published if p.name < live.name]
    return [live, *older], None


def choose(
    store_dir: Path, try_one: Callable[[Path], T]
) -> tuple[T | None, Path | None, list[str]]:
    """The first candidate ``try_one`` accepts (it raises StoreError to refuse one).

    Returns what it returned, the generation, and why the ones before it (or
    CURRENT) would not do; empty when the live generation was taken. Raises
    StoreError when none would do (DiskFull at once: that is no damage), and
    returns (None, None, []) when nothing was ever published.
    """
    paths, current_problem = candidates(store_dir)
    reasons: list[str] = [current_problem] if current_problem else []
    for path in paths:
        try:
            return try_one(path), path, reasons
        except DiskFull:
            # Not damage: an older generation needs the same room, and a
            # rebuild would make things worse. Say what it is.
            raise
        except StoreError as exc:
            reasons.append(str(exc) if path.name in str(exc) else f"{path.name}: {exc}")
    if not reasons:
        return None, None, []
    raise NoGoodGeneration(reasons[0])


class NoGoodGeneration(StoreError):
    """The live generation is damaged and no earlier one passes its check."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"the index is damaged ({reason}) and no earlier generation passes its check: "
            "run `kb ingest` to rebuild it"
        )
