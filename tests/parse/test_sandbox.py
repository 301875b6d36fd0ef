"""kb.parse.sandbox: the parse worker's time and memory budget, crashes, and no network.

The budget is checked through ``ParseGuard.call`` with functions from
``tests/hostile.py`` that spin, allocate or segfault, because only those
never finish on any machine; the hostile files themselves are ingested in
``tests/ingest/test_hostile.py``.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

import hostile
from conftest import write_pdf
from kb.errors import ParseError
from kb.parse import ParseGuard

pytestmark = pytest.mark.slow


@pytest.fixture
def good_pdf(tmp_path: Path) -> Path:
    return write_pdf(tmp_path / "good.pdf", hostile.good_pages("Child G"))


def test_time_budget_kills_a_parse_that_never_ends(good_pdf: Path) -> None:
    with ParseGuard(timeout=1.0, memory_mb=256) as guard:
        with pytest.raises(ParseError) as info:
            guard.call(hostile.spin_forever, path="spin.pdf")
        assert info.value.reason == "took longer than 1 s"
        assert info.value.path.name == "spin.pdf"
        # A fresh worker takes the next file.
        assert len(guard.parse(good_pdf).pages) == 3
        assert guard.starts == 2


def test_memory_budget_stops_a_parse_that_allocates_too_much(good_pdf: Path) -> None:
    with ParseGuard(timeout=60.0, memory_mb=256) as guard:
        assert guard.call(hostile.allocate_mb, 64) == 64  # well within the budget
        with pytest.raises(ParseError) as info:
            guard.call(hostile.allocate_mb, 2048, path="hog.pdf")
        assert info.value.reason == "used more than 256 MB"
        assert len(guard.parse(good_pdf).pages) == 3


def test_a_crashing_parser_is_reported_not_fatal(good_pdf: Path) -> None:
    with ParseGuard(timeout=60.0, memory_mb=256) as guard:
        with pytest.raises(ParseError) as info:
            guard.call(hostile.crash_hard, path="crash.pdf")
        assert info.value.reason == f"parser crashed ({signal.SIGSEGV.name})"
        assert len(guard.parse(good_pdf).pages) == 3


def test_the_worker_has_no_network_and_no_telemetry() -> None:
    with ParseGuard(timeout=60.0, memory_mb=256) as guard:
        with pytest.raises(ParseError, match="network access is disabled"):
            guard.call(hostile.try_network)
        assert guard.call(hostile.env_value, "DO_NOT_TRACK") == "1"
        assert guard.call(hostile.env_value, "SCARF_NO_ANALYTICS") == "true"


def test_parse_errors_come_back_with_their_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    with ParseGuard(timeout=60.0, memory_mb=256) as guard:
        with pytest.raises(ParseError) as info:
            guard.parse(bad)
        assert info.value.reason == "not a PDF (no %PDF header)"
        assert info.value.path == bad
        assert guard.starts == 1  # an ordinary failure keeps the worker


def test_isolation_off_and_unpicklable_ocr_parse_in_process(good_pdf: Path) -> None:
    assert not ParseGuard(timeout=0).isolated
    assert len(ParseGuard(timeout=0).parse(good_pdf).pages) == 3
    with ParseGuard(timeout=60.0) as guard:
        assert len(guard.parse(good_pdf, ocr=lambda path, index: "").pages) == 3
        assert guard.starts == 0
