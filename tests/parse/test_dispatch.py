"""kb.parse.dispatch: the checks every file gets before a parser sees it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import ParseError
from kb.parse import parse_file


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read"):
        parse_file(tmp_path / "missing.pdf")


@pytest.mark.parametrize(("name", "reason"), [("notes.odt", ".odt"), ("README", "(none)")])
def test_unsupported_suffix(tmp_path: Path, name: str, reason: str) -> None:
    path = tmp_path / name
    path.write_text("Some text that would otherwise be readable.")
    with pytest.raises(ParseError, match="unsupported file type") as info:
        parse_file(path)
    assert reason in info.value.reason
