"""Run the external programs parsing needs: tesseract and LibreOffice.

They are run without a shell, with a time limit that kills the program's whole
process group, and what they print on failure is cut down to one line for a
``ParseError`` reason.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

from kb.text.display import MAX_REASON_CHARS


def run_program(
    cmd: Sequence[str],
    *,
    timeout: float,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> tuple[bytes, bytes, int]:
    """Run cmd without a shell; on timeout kill its whole process group and re-raise.

    subprocess.run only kills the direct child: soffice is a launcher script
    whose soffice.bin (and a shell script's own children) would survive and hold
    the output pipes open, so run() would hang long past the timeout.
    """
    posix = sys.platform != "win32"
    proc = subprocess.Popen(
        list(cmd),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=posix,
    )
    try:
        stdout, stderr = proc.communicate(input=stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(proc, posix=posix)
        proc.communicate()
        raise
    except BaseException:
        # e.g. KeyboardInterrupt: don't leave a tesseract or soffice running.
        _kill_tree(proc, posix=posix)
        proc.wait()
        raise
    return stdout, stderr, proc.returncode


def _kill_tree(proc: subprocess.Popen[bytes], *, posix: bool) -> None:
    if posix:
        # The group may already be gone if the child exited as the timeout fired.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()


def last_line(data: bytes) -> str:
    """The last non-blank line a program printed, stripped; "" when there is none."""
    lines = [ln.strip() for ln in data.decode("utf-8", errors="replace").splitlines()]
    return next((ln for ln in reversed(lines) if ln), "")


def shorten(reason: str) -> str:
    """``reason`` on one line, its whitespace collapsed, at most MAX_REASON_CHARS long."""
    reason = " ".join(reason.split())
    if len(reason) <= MAX_REASON_CHARS:
        return reason
    return reason[: MAX_REASON_CHARS - 1] + "…"
