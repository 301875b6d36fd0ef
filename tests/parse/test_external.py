"""kb.parse.external: running a program under a time limit, and its one-line reasons."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from kb.parse.external import last_line, run_program, shorten
from kb.text.display import MAX_REASON_CHARS


def test_run_program_returns_output_and_status() -> None:
    code = "import sys; sys.stdout.write(sys.stdin.read().upper()); sys.exit(3)"
    assert run_program([sys.executable, "-c", code], timeout=30, stdin=b"ok") == (b"OK", b"", 3)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX shell")
def test_a_timeout_kills_the_whole_process_group() -> None:
    # `sleep` is a grandchild holding the pipes; only killing the group returns promptly.
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        run_program(["/bin/sh", "-c", "sleep 30; echo late"], timeout=0.5)
    assert time.monotonic() - started < 10


def test_last_line_and_shorten_make_one_line_reasons() -> None:
    assert last_line(b"Warning: x\n  Boom  \n\n") == "Boom"
    assert last_line(b"") == ""
    assert shorten("a\n  b\tc") == "a b c"
    long = shorten("word " * 100)
    assert len(long) == MAX_REASON_CHARS and long.endswith("\u2026")
