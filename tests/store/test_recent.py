"""kb.store.recent: a bounded memo of recent reads by id."""

from __future__ import annotations

from kb.store.recent import Recent


class Reader:
    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def __call__(self, keys: list[str]) -> list[tuple[str, str]]:
        self.asked.append(keys)
        return [(k, k.upper()) for k in keys if k != "gone"]


def test_only_keys_not_held_are_read_once_each() -> None:
    recent: Recent[str, str] = Recent(10)
    read = Reader()
    assert recent.get_many(["a", "b", "a"], read) == {"a": "A", "b": "B"}
    assert recent.get_many(["b", "c"], read) == {"b": "B", "c": "C"}
    assert read.asked == [["a", "b"], ["c"]]


def test_a_key_the_reader_lacks_is_left_out_and_not_remembered() -> None:
    recent: Recent[str, str] = Recent(10)
    read = Reader()
    assert recent.get_many(["a", "gone"], read) == {"a": "A"}
    recent.get_many(["gone"], read)
    assert read.asked == [["a", "gone"], ["gone"]]


def test_the_least_recently_used_is_dropped_first() -> None:
    recent: Recent[str, str] = Recent(2)
    read = Reader()
    recent.get_many(["a", "b"], read)
    recent.get_many(["a"], read)  # a is now the most recent
    recent.get_many(["c"], read)  # drops b
    assert len(recent) == 2
    recent.get_many(["a", "b"], read)
    assert read.asked[-1] == ["b"]


def test_clear_forgets_everything_and_size_zero_holds_nothing() -> None:
    recent: Recent[str, str] = Recent(5)
    read = Reader()
    recent.get_many(["a"], read)
    recent.clear()
    recent.get_many(["a"], read)
    assert read.asked == [["a"], ["a"]]
    none: Recent[str, str] = Recent(0)
    none.get_many(["a"], read)
    assert len(none) == 0


def test_a_read_that_began_before_a_clear_is_not_kept() -> None:
    recent: Recent[str, str] = Recent(5)

    def read_while_cleared(keys: list[str]) -> list[tuple[str, str]]:
        recent.clear()  # a write lands while the engine is being read
        return [(k, "old") for k in keys]

    assert recent.get_many(["a"], read_while_cleared) == {"a": "old"}
    assert len(recent) == 0
