"""kb.parse.worker, in-process: the archive checks and the telemetry switch.

The worker's budgets and its network lock only make sense in a worker
process; they are checked through ``ParseGuard`` in ``test_sandbox.py``.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from kb.errors import ParseError
from kb.parse.worker import MAX_ZIP_ENTRIES, TELEMETRY_OFF, check_archive, telemetry_off


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    path.write_bytes(buf.getvalue())
    return path


def test_an_ordinary_archive_passes(tmp_path: Path) -> None:
    check_archive(_zip(tmp_path / "ok.docx", {"word/document.xml": b"<w:p/>" * 100}), 256)


def test_an_archive_that_expands_too_far_is_a_zip_bomb(tmp_path: Path) -> None:
    path = _zip(tmp_path / "bomb.docx", {"word/document.xml": b"\0" * (8 << 20)})
    with pytest.raises(ParseError, match=r"archive expands to 8 MB .*\(zip bomb\?\)"):
        check_archive(path, 256)


def test_too_many_entries_and_no_zip_are_refused(tmp_path: Path) -> None:
    many = _zip(tmp_path / "many.docx", {f"f{i}": b"" for i in range(MAX_ZIP_ENTRIES + 1)})
    with pytest.raises(ParseError, match=rf"holds {MAX_ZIP_ENTRIES + 1} entries"):
        check_archive(many, 256)
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(ParseError, match=r"^junk\.docx: unreadable DOCX: not a valid zip"):
        check_archive(junk, 256)


def test_telemetry_off_forces_every_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in TELEMETRY_OFF:
        monkeypatch.delenv(key, raising=False)  # and restored after the test
    monkeypatch.setenv("DO_NOT_TRACK", "")  # empty would opt back in
    telemetry_off()
    assert {key: os.environ[key] for key in TELEMETRY_OFF} == TELEMETRY_OFF
