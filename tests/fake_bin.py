"""Fake external programs for the parse tests: shell scripts put first on PATH.

The error paths of OCR (``tesseract``) and legacy ``.doc`` conversion
(``soffice``) run against these, so they need neither program installed (but
do need a POSIX shell).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

FakeBin = Callable[[str, str], Path]

posix_only = pytest.mark.skipif(
    sys.platform == "win32", reason="fake executables are POSIX shell scripts"
)


def install_fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeBin:
    """Make a folder the only one on PATH; return install(name, body) to add scripts to it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # The scripts still need cat, sleep, ...: they get the real PATH back inside.
    real_path = os.environ.get("PATH", os.defpath)
    monkeypatch.setenv("PATH", str(bin_dir))

    def install(name: str, body: str) -> Path:
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\nPATH='{real_path}'\n{body}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return script

    return install
