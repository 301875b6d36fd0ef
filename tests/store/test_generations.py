"""Generation bookkeeping: CURRENT, leases, collection and sparse copies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kb.errors import StoreError
from kb.store import generations


def _generation(store: Path, name: str) -> Path:
    path = generations.generations_dir(store) / name
    path.mkdir(parents=True)
    (path / "data").write_bytes(b"x" * 10)
    return path


def _make_live(store: Path, path: Path) -> None:
    (store / generations.CURRENT).write_text(path.name + "\n")


G1, G2 = "g" + "1".zfill(20), "g" + "2".zfill(20)


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00garbage", b"../../etc\n", b"g123\n", b"/tmp/" + G1.encode()],
)
def test_a_damaged_current_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / generations.CURRENT).write_bytes(content)
    with pytest.raises(StoreError, match="does not name a generation"):
        generations.current(tmp_path)


def test_collect_keeps_the_live_and_the_leased(tmp_path: Path) -> None:
    old, live = _generation(tmp_path, G1), _generation(tmp_path, G2)
    _make_live(tmp_path, live)
    lease = generations.take_lease(old)
    assert lease is not None
    generations.collect(tmp_path)
    assert old.is_dir() and live.is_dir()
    lease.release()
    generations.collect(tmp_path)
    assert not old.exists() and live.is_dir()


def test_the_live_generation_is_never_removed(tmp_path: Path) -> None:
    live = _generation(tmp_path, G1)
    _make_live(tmp_path, live)
    assert not generations.remove_if_unused(tmp_path, live)
    assert live.is_dir()


def test_a_lease_on_a_removed_generation_is_refused(tmp_path: Path) -> None:
    old, live = _generation(tmp_path, G1), _generation(tmp_path, G2)
    _make_live(tmp_path, live)
    assert generations.remove_if_unused(tmp_path, old)
    assert generations.take_lease(old) is None


def test_copies_keep_holes(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    sparse = source / "prealloc.dat"
    with sparse.open("wb") as fh:
        fh.write(b"head")
        fh.seek(64 * 1024 * 1024)
        fh.write(b"tail")
    (source / "sub").mkdir()
    (source / "sub" / "small").write_bytes(b"abc")
    target = tmp_path / "dst"
    generations.copy_tree(source, target)
    copied = target / "prealloc.dat"
    assert copied.read_bytes()[:4] == b"head" and copied.read_bytes()[-4:] == b"tail"
    assert copied.stat().st_size == sparse.stat().st_size
    assert copied.stat().st_blocks * 512 <= 2 * sparse.stat().st_blocks * 512 + 65536
    assert (target / "sub" / "small").read_bytes() == b"abc"


def test_free_space_is_checked_before_copying(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not enough free disk space"):
        generations.check_free_space(tmp_path, 0, reserve_mb=10**9)
    generations.check_free_space(tmp_path, 0, reserve_mb=0)


def test_an_unfinished_generation_is_collected(tmp_path: Path) -> None:
    live = _generation(tmp_path, G1)
    _make_live(tmp_path, live)
    unfinished = _generation(tmp_path, G2)  # newer than live: a killed writer's
    generations.collect(tmp_path)
    assert not unfinished.exists() and live.is_dir()
    assert os.listdir(generations.generations_dir(tmp_path)) == [G1]
