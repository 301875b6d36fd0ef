"""The parse worker: the child side of ``kb.parse.sandbox``.

It is started as ``python -c`` by ``ParseGuard`` and serves one request at a
time over a pipe: ``(function, arguments, preload)``, answered with
``("ok", result)``, ``("error", reason)`` or ``("memory", "")``. Before it
serves anything it switches off third-party telemetry, refuses Internet
sockets and core dumps; around each request it loads the parser the file
needs, then caps its address space for the request alone.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import socket
import zipfile
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kb.errors import ParseError
from kb.parse.dispatch import parse_file
from kb.parse.document import LEGACY_SUFFIXES, UNSTRUCTURED_SUFFIXES, OcrFunc, RawDocument
from kb.parse.office import use_packaged_spacy_model

# Environment for the worker: third-party libraries that phone home on import or
# on every call (unstructured pings packages.unstructured.io unless told not to).
TELEMETRY_OFF = {
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}
# Archive formats we read (DOCX) are zips; refuse ones that claim to expand past
# this many times their size or past the memory budget: that is a zip bomb.
MAX_ZIP_RATIO = 200
MAX_ZIP_ENTRIES = 10_000
ZIP_SUFFIXES = {".docx"}


def telemetry_off() -> None:
    """Opt this process out of third-party telemetry (before those libraries load)."""
    for key, value in TELEMETRY_OFF.items():
        # Forced rather than setdefault: DO_NOT_TRACK="" would opt back in.
        os.environ[key] = value


def checked_parse(path: Path, ocr: OcrFunc | None, memory_mb: int) -> RawDocument:
    """parse_file, after refusing archives that would expand past the budget."""
    if path.suffix.lower() in ZIP_SUFFIXES:
        check_archive(path, memory_mb)
    return parse_file(path, ocr=ocr)


def check_archive(path: Path, memory_mb: int) -> None:
    """Refuse a zip whose directory promises more than we are willing to inflate.

    The declared sizes are what a zip bomb boasts of; zipfile never inflates
    past them, so checking them bounds the real work too.
    """
    try:
        size = max(path.stat().st_size, 1)
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        kind = path.suffix[1:].upper()
        raise ParseError(path, f"unreadable {kind}: not a valid zip ({exc})") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ParseError(path, f"archive holds {len(infos)} entries (limit {MAX_ZIP_ENTRIES})")
    total = sum(i.file_size for i in infos)
    limit = min(size * MAX_ZIP_RATIO, memory_mb * 1024 * 1024)
    if total > limit:
        raise ParseError(
            path,
            f"archive expands to {total / 1e6:,.0f} MB from {size / 1e6:,.1f} MB "
            f"(zip bomb?); limit {limit / 1e6:,.0f} MB",
        )


def _vm_size_bytes() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _set_memory_budget(memory_mb: int | None) -> None:
    """Cap this process's address space at its current size plus ``memory_mb``
    (None: lift the cap).

    Measured from the current size, so the budget is what one file may add on
    top of the interpreter and the parsers already loaded, whichever files came
    before. Only the soft limit moves: the worker lifts it again between files
    to load another parser, and the data it parses cannot call setrlimit.
    """
    try:
        import resource
    except ImportError:  # not POSIX: the time budget still applies
        return
    soft = (
        resource.RLIM_INFINITY if memory_mb is None else _vm_size_bytes() + memory_mb * 1024 * 1024
    )
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (soft, resource.RLIM_INFINITY))


def _no_core_dumps() -> None:
    try:
        import resource
    except ImportError:
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _preload(suffix: str) -> None:
    """Import the parser a file type needs, outside the file's memory budget.

    unstructured and its spaCy model map about 800 MB of address space when
    they load; that is the worker's fixed cost, not the file's.
    """
    if suffix not in UNSTRUCTURED_SUFFIXES and suffix not in LEGACY_SUFFIXES:
        return
    use_packaged_spacy_model()
    from unstructured.partition.text import partition_text

    if suffix in (".docx", *LEGACY_SUFFIXES):
        import unstructured.partition.docx  # noqa: F401
    elif suffix in (".html", ".htm"):
        import unstructured.partition.html  # noqa: F401
    elif suffix in (".md", ".markdown"):
        import unstructured.partition.md  # noqa: F401
    # A first partition loads the sentence model that classifies paragraphs.
    partition_text(text="Warm up the sentence model with this short paragraph of text.")


def deny_network() -> None:
    """Make every Internet socket operation in this process fail at once.

    Unix sockets (and socketpair) still work. Installed in the parse worker:
    parsing a document never needs the network, so any attempt is a library
    phoning home or a document trying to make us fetch something.
    """

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError("network access is disabled in the kb parse worker")

    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        if self.family == socket.AF_UNIX:
            return original_connect(self, address)
        refuse()

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family == socket.AF_UNIX:
            return original_connect_ex(self, address)
        refuse()
        return 1  # unreachable

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.create_connection = refuse
    socket.getaddrinfo = refuse


def worker_main(argv: list[str]) -> None:
    """Serve (func, args) requests until told to stop or the parent goes away."""
    read_fd, write_fd, memory_mb = int(argv[0]), int(argv[1]), int(argv[2])
    telemetry_off()
    deny_network()
    _no_core_dumps()
    import pypdfium2  # noqa: F401 - needed for nearly every file

    inbox = Connection(read_fd, writable=False)
    outbox = Connection(write_fd, readable=False)
    outbox.send(("ready", os.getpid()))
    while True:
        try:
            message = inbox.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        reply: tuple[str, Any]
        try:
            func, args, preload = message
            _preload(preload)
            _set_memory_budget(memory_mb)
            try:
                reply = ("ok", func(*args))
            finally:
                _set_memory_budget(None)
        except ParseError as exc:
            reply = ("error", exc.reason)
        except MemoryError:
            reply = ("memory", "")
        except RecursionError:
            reply = ("error", "too deeply nested to parse")
        except Exception as exc:  # noqa: BLE001 - a parser bug on one file must not stop the rest
            reply = ("error", f"parser failed: {type(exc).__name__}: {exc}")
        try:
            outbox.send(reply)
        except MemoryError:
            reply = ("memory", "")
            outbox.send(reply)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            reply = ("error", f"parser result could not be sent back: {type(exc).__name__}")
            outbox.send(reply)
        if reply[0] == "memory":
            return  # leave it to the parent to start a clean worker
