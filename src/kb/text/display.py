"""Make document text and file names safe to print on a terminal.

Titles, passages and file names come from files anyone may have written. A
terminal obeys control characters in whatever it is sent: ``ESC [2J`` clears
the screen, ``ESC ] 52 ; c ; ... BEL`` (OSC 52) writes the clipboard, and the
eight-bit C1 forms (``U+009B`` for CSI, ``U+009D`` for OSC) do the same on
terminals that honour them. So every line the CLI prints from document data
goes through :func:`printable`, and every JSON document through
:func:`json_text`. A failure's reason or a file name that must fit on one
report line goes through :func:`one_line`, which escapes rather than replaces,
so a file named ``a\\nb.pdf`` can still be told apart from ``a b.pdf``.

:func:`printable` replaces each whole escape sequence (ESC or C1 introducer,
parameters, terminator) and each remaining C0 control (except newline and
tab), DEL and C1 control with one visible U+FFFD, so a reader sees that
something was there, and the sequence's payload cannot leak into the output
as a half-sequence that a later character completes.
"""

from __future__ import annotations

import json
import re
from typing import Any

PLACEHOLDER = "\ufffd"
MAX_REASON_CHARS = 200

# C0 controls but newline and tab, DEL, and C1 controls.
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_SEQUENCE = re.compile(
    # OSC / DCS / SOS / PM / APC, 7-bit (ESC ] ...) or 8-bit (U+009D ...), with
    # its payload and its terminator (BEL, ESC \ or ST) when there is one.
    rf"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^{_CONTROL}\n\t]*(?:\x07|\x1b\\|\x9c)?"
    # CSI, 7-bit or 8-bit: parameter bytes, intermediate bytes, a final byte.
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    # Any other escape: intermediate bytes and a final byte ("ESC ( B", "ESC c").
    r"|\x1b[ -/]*[0-~]?"
    # A lone control character.
    rf"|[{_CONTROL}]"
)
_JSON_UNSAFE = re.compile("[\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with every escape sequence and control character (but newline
    and tab) replaced by U+FFFD; unchanged when there are none."""
    return _SEQUENCE.sub(PLACEHOLDER, text)


def json_text(data: Any) -> str:
    """``data`` as indented JSON whose text holds no control character.

    ``json.dumps`` escapes C0 controls but, with ``ensure_ascii=False``, writes
    DEL and C1 controls raw. They can only occur inside JSON strings (the
    syntax itself is ASCII), so escaping them afterwards keeps the JSON valid
    and equal to ``data`` once parsed.
    """
    out = json.dumps(data, indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", out)


def one_line(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """A reason or file name fit for a one-line report: control characters escaped."""
    out = "".join(
        ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in str(text)
    )
    return out if len(out) <= limit else out[: limit - 1] + "…"
