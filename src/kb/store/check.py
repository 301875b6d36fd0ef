"""``kb check``: the full verification of the embedded index, one line per problem.

CURRENT must name a generation inside the store; that generation's files must
match their digests at publish, its catalog its manifest, and each
document's passages must read back whole with the published ids
(``kb.store.health``). When the live generation fails, the report also says
which earlier one readers fall back to, if any.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kb.store.generations as generations
import kb.store.health as health
import kb.store.manifest as mf
from kb.errors import StoreBusy, StoreError
from kb.store.edge import EdgeStore


@dataclass(frozen=True)
class CheckReport:
    generation: str | None  # the live generation checked (None: CURRENT names none)
    problems: tuple[mf.Problem, ...]
    documents: int = 0
    chunks: int = 0
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "generation": self.generation,
            "documents": self.documents,
            "chunks": self.chunks,
            "problems": [p.to_dict() for p in self.problems],
            "notes": list(self.notes),
            "seconds": round(self.seconds, 2),
        }


def check_store(store_dir: Path, dim: int) -> CheckReport:
    started = time.perf_counter()
    paths, current_problem = health.candidates(store_dir)
    if current_problem is None and not paths:
        nothing = ("nothing was ever published: run `kb ingest`",)
        return CheckReport(None, (), notes=nothing, seconds=time.perf_counter() - started)
    problems: list[mf.Problem] = []
    if current_problem is not None:
        problems.append(mf.Problem("store", "CURRENT", current_problem))
        live = None
    else:
        live = paths[0]
        problems += check_generation(store_dir, live, dim)
    notes: list[str] = []
    if live is not None and not (live / mf.MANIFEST).exists():
        notes.append(
            f"{live.name} has no manifest (published before kb recorded one): "
            "checked against its catalog, without file digests"
        )
    if problems:
        notes.append(_fallback(store_dir, [p for p in paths if p != live], dim))
    # What it holds: its manifest, or for an older generation its catalog.
    held = health.files_check(live, full=False)[0] if live is not None and not problems else None
    return CheckReport(
        live.name if live is not None else None,
        tuple(problems),
        documents=len(held.manifest.documents) if held else 0,
        chunks=held.manifest.chunks if held else 0,
        seconds=time.perf_counter() - started,
        notes=tuple(notes),
    )


def check_generation(store_dir: Path, generation: Path, dim: int) -> list[mf.Problem]:
    """Every problem with one generation, the full check."""
    expected, problems = health.files_check(generation, full=True)
    if expected is None:
        return problems
    try:
        with _shard(store_dir, generation, dim) as shard:
            problems += health.shard_check(generation.name, expected.manifest, shard, full=True)
    except StoreError as exc:
        problems.append(mf.Problem(generation.name, "index", f"cannot be opened: {exc}"))
    return problems


class _shard:
    """The generation opened read-only, or a private copy of it if another
    process holds it (the app, say)."""

    def __init__(self, store_dir: Path, generation: Path, dim: int) -> None:
        self.store_dir, self.generation, self.dim = store_dir, generation, dim
        self.copy: tuple[Path, generations.Lease] | None = None

    def __enter__(self) -> EdgeStore:
        self.store: EdgeStore
        try:
            self.store = EdgeStore(self.generation, self.dim, create=False, read_only=True)
        except StoreBusy:
            self.copy = generations.private_copy(self.store_dir, self.generation)
            try:
                self.store = EdgeStore(self.copy[0], self.dim, create=False, read_only=True)
            except BaseException:
                self._drop_copy()
                raise
        return self.store

    def __exit__(self, *_: object) -> None:
        try:
            self.store.close()
        finally:
            self._drop_copy()

    def _drop_copy(self) -> None:
        if self.copy is not None:
            self.copy[1].release()
            generations.discard(self.store_dir, self.copy[0])
            self.copy = None


def _fallback(store_dir: Path, older: list[Path], dim: int) -> str:
    for path in older:
        if not health.files_check(path, full=False)[1]:
            return f"readers fall back to the earlier generation {path.name}; `kb ingest` repairs"
    return "no earlier generation passes its check: `kb ingest` rebuilds the index"
