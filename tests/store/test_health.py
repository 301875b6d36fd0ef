"""Choosing the generation to serve: damage falls back, a full disk does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import DiskFull, StoreError
from kb.store import generations, health


def _store(tmp_path: Path, names: list[str]) -> Path:
    """Published generations (each with a catalog) and CURRENT naming the last."""
    store = tmp_path / "store"
    for name in names:
        folder = generations.generations_dir(store) / name
        folder.mkdir(parents=True)
        (folder / generations.CATALOG).write_text("[]", encoding="utf-8")
    (store / generations.CURRENT).write_text(names[-1], encoding="ascii")
    return store


OLD, NEW = f"g{1:020d}", f"g{2:020d}"


def test_a_damaged_live_generation_falls_back_to_the_older_one(tmp_path: Path) -> None:
    store = _store(tmp_path, [OLD, NEW])

    def try_one(path: Path) -> str:
        if path.name == NEW:
            raise StoreError(f"{NEW}: payload storage unreadable")
        return path.name

    chosen, path, reasons = health.choose(store, try_one)
    assert chosen == OLD and path is not None and path.name == OLD
    assert reasons == [f"{NEW}: payload storage unreadable"]


def test_a_full_disk_is_said_as_such_and_never_called_damage(tmp_path: Path) -> None:
    store = _store(tmp_path, [OLD, NEW])
    tried: list[str] = []

    def try_one(path: Path) -> str:
        tried.append(path.name)
        raise DiskFull("not enough free disk space at /x: this needs about 105 MB free")

    with pytest.raises(DiskFull) as raised:
        health.choose(store, try_one)
    assert tried == [NEW]  # the older generation would need the same room
    assert "damaged" not in str(raised.value) and "kb ingest" not in str(raised.value)


def test_a_reading_copy_that_does_not_fit_raises_disk_full(tmp_path: Path) -> None:
    with pytest.raises(DiskFull, match="not enough free disk space"):
        generations.check_free_space(tmp_path, 0, reserve_mb=10**9)
