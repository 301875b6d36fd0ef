"""kb.text.display and the CLI's output: no escape sequence from a document reaches the terminal.

The corpus plants OSC 52 (clipboard write), a screen clear, an eight-bit CSI
and DEL in a file name, a sidecar title, a text file's heading and its body;
each command's raw stdout and stderr bytes are then checked. CliRunner runs
with ``color=True`` because click otherwise strips (some) ANSI codes itself
when output is not a terminal, which would hide a leak.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import REVIEW_PAGES, write_pdf
from kb.cli import cli
from kb.text.display import PLACEHOLDER, json_text, one_line, printable

EVIL = "\x1b]52;c;SGVsbG8=\x07\x1b[2J\x9b31m\x7f"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("two\nlines\tand a tab", "two\nlines\tand a tab"),
        ("caf\u00e9 \u5b50\u4f9b", "caf\u00e9 \u5b50\u4f9b"),
        ("a\x1b]52;c;SGVsbG8=\x07b", "a\ufffdb"),  # OSC 52 ended by BEL, payload and all
        ("a\x1b]0;title\x1b\\b", "a\ufffdb"),  # OSC ended by ESC \
        ("a\x9d8;;http://x\x9cb", "a\ufffdb"),  # eight-bit OSC ended by ST
        ("a\x1b[2Jb", "a\ufffdb"),
        ("a\x1b[1;31mb", "a\ufffdb"),
        ("a\x9b31mb", "a\ufffdb"),  # eight-bit CSI
        ("a\x1b(Bb", "a\ufffdb"),  # charset switch
        ("a\x1bcb", "a\ufffdb"),  # full reset
        ("a\x7fb", "a\ufffdb"),
        ("a\x85b\x91c", "a\ufffdb\ufffdc"),
        ("a\x9fapc payload\x9cb", "a\ufffdb"),  # eight-bit APC
        ("a\rb\x00c\x08d", "a\ufffdb\ufffdc\ufffdd"),
        ("unterminated \x1b]52;c;abc\nnext", "unterminated \ufffd\nnext"),
        ("trailing \x1b", "trailing \ufffd"),
    ],
)
def test_printable_replaces_sequences_and_controls(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_json_text_escapes_del_and_c1_and_round_trips() -> None:
    data = {"title": f"T{EVIL}\x85", "n": [1, "\u00e9"]}
    text = json_text(data)
    assert json.loads(text) == data
    assert_clean(text.encode("utf-8"))
    assert "\\u007f" in text and "\\u009b" in text and "\u00e9" in text


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        ("plain.pdf", "plain.pdf"),
        ("a\nb.pdf", "a\\nb.pdf"),
        ("tab\there", "tab\\there"),
        ("r\u00e9vision-\u5b50\u4f9b.pdf", "r\u00e9vision-\u5b50\u4f9b.pdf"),
        ("line\u2028sep", "line\\u2028sep"),
    ],
)
def test_one_line_escapes_control_characters(raw: str, line: str) -> None:
    assert one_line(raw) == line


def test_one_line_cuts_long_text_to_its_limit() -> None:
    assert one_line("x" * 300) == "x" * 199 + "…"
    assert one_line("a\nb" * 10, limit=5) == "a\\nb…"


def assert_clean(data: bytes, what: str = "") -> None:
    """No C0 control but newline and tab, no DEL, no C1 control (as UTF-8)."""
    bad = sorted({b for b in data if (b < 0x20 and b not in (0x09, 0x0A)) or b == 0x7F})
    assert not bad, f"{what}: control bytes {bad} in {data[:2000]!r}"
    c1 = sorted({ch for ch in data.decode("utf-8", "replace") if 0x80 <= ord(ch) <= 0x9F})
    assert not c1, f"{what}: C1 controls {c1!r} in {data[:2000]!r}"


@pytest.fixture(scope="module")
def evil_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("evil")
    corpus = root / "corpus"
    pdf_name = f"zebra{EVIL}review.pdf"
    write_pdf(corpus / pdf_name, REVIEW_PAGES)
    (corpus / "metadata.csv").write_text(
        f'file,title,publisher\n"{pdf_name}","Zebra review {EVIL} of Child Q","Kite {EVIL} SCP"\n',
        encoding="utf-8",
    )
    (corpus / f"kite{EVIL}notes.txt").write_text(
        f"Kite Notes {EVIL}\n\nThe tartan kite {EVIL} was seen by the health visitor in the "
        f"garden, and the school nurse wrote it down {EVIL} in her notes that spring.\n",
        encoding="utf-8",
    )
    (corpus / f"broken{EVIL}.pdf").write_bytes(b"not a PDF at all\n" * 20)
    return root / ".kb", corpus


def kb(store_dir: Path, *args: str) -> Result:
    env = {"KB_STORE_DIR": str(store_dir), "KB_EMBEDDER": "hash", "KB_OCR": "false",
           "QDRANT_URL": None, "KB_QDRANT_URL": None}
    return CliRunner().invoke(cli, list(args), env=env, color=True, catch_exceptions=False)


def check(result: Result, what: str) -> None:
    assert "Traceback" not in result.output, result.output
    assert_clean(result.stdout_bytes, f"{what} stdout")
    # The progress bar's own carriage returns rewrite its line; nothing else may.
    assert_clean(result.stderr_bytes.replace(b"\r[", b"["), f"{what} stderr")


@pytest.mark.slow
def test_no_control_bytes_reach_the_terminal(evil_store: tuple[Path, Path]) -> None:
    store_dir, corpus = evil_store
    ingest = kb(store_dir, "ingest", str(corpus))
    assert ingest.exit_code == 1, ingest.output  # the broken PDF
    check(ingest, "ingest")
    assert "added 2" in ingest.stdout and PLACEHOLDER in ingest.stderr  # progress names files

    # The planted sequences really are in the index (else this test proves nothing).
    docs = json.loads(kb(store_dir, "docs", "--json").stdout)
    titles = sorted(d["title"] for d in docs)
    assert titles == [f"Kite Notes {EVIL}", f"Zebra review {EVIL} of Child Q"]
    assert all(EVIL in d["file"] for d in docs)
    hits = json.loads(kb(store_dir, "search", "--json", "--mode", "sparse", "tartan kite").stdout)
    assert any(EVIL in h["text"] for h in hits)

    for args in (
        ("ingest", "--json", str(corpus)),
        ("docs",),
        ("docs", "--json"),
        ("search", "--mode", "sparse", "tartan kite zebra blanket"),
        ("search", "--json", "--mode", "sparse", "tartan kite zebra blanket"),
        ("search", "tartan kite"),
        ("ask", "what did the school nurse write about the tartan kite?"),
        ("ask", "--json", "what did the school nurse write about the tartan kite?"),
        ("similar", "--text", "A tartan kite in the garden, seen by the health visitor."),
        ("similar", "--json", "--text", "A tartan kite seen by the health visitor."),
        ("facets",),
        ("facets", "--json", "tartan kite"),
    ):
        result = kb(store_dir, *args)
        assert result.exit_code in (0, 1), (args, result.output)
        check(result, " ".join(args))
        if "--json" in args:
            json.loads(result.stdout)
        else:
            assert PLACEHOLDER in result.stdout, (args, result.stdout)
