"""A local stand-in for GOV.UK's Content API and asset host, for tests.

``GovukStub`` runs a threaded ``http.server`` on 127.0.0.1 (a free port) and serves

* ``/api/content/<path>``: JSON in the Content API's shape for publications added with
  ``add_publication`` (``details.attachments`` and ``details.documents``);
* asset paths added with ``add_asset``: the bytes, with ETag / Last-Modified, answering 304
  to a matching If-None-Match (or, without one, to an If-Modified-Since that is not older);
* 404 for anything else.

Every request is logged (``requests``), so tests can count downloads and look at the
conditional headers. ``fail`` makes the next N requests to a path answer 500 (or any status),
``drop`` makes them close the connection without answering. ``make_pdf`` / ``sample_pdf``
build small real PDFs with fpdf2, so an end-to-end test can look for a sentence in search
results. ``LoopbackGuard`` makes sure a test only ever talks to 127.0.0.1::

    with GovukStub() as stub:
        stub.add_asset("/media/1/review.pdf", sample_pdf("A distinctive sentence."))
        stub.add_publication("/government/publications/x", "X",
                             attachments=[stub.attachment("/media/1/review.pdf", "Review")])
        report = fetch(manifest, cache, Settings.of(govuk_base=stub.base_url).fetch)
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import socket
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import pytest

ASSET_ORIGIN = "https://assets.publishing.service.gov.uk"
FIRST_MODIFIED = 1_700_000_000  # Last-Modified of the first version of every asset
WRITE_CHUNK = 64 * 1024
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY")


@dataclass(frozen=True)
class LoggedRequest:
    """One request the stub received."""

    method: str
    path: str  # as sent, query string included
    headers: Mapping[str, str]
    status: int = 0  # what the stub answered (0: dropped the connection)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


@dataclass(frozen=True)
class _Asset:
    data: bytes
    content_type: str
    send_length: bool
    etag: str | None
    modified: int | None  # seconds since the epoch


@dataclass
class _Plan:
    """What to do to the next requests for one path."""

    status: int = 500
    remaining: int = 0
    drop: bool = False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stub: GovukStub

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn, a reverse DNS lookup: skip it so the
        # stub never talks to a resolver.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # HTTP/1.0: one request per connection, and a body may end at close (no Content-Length).
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self.server.stub._handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the stub keeps its own log


class GovukStub:
    """A fake GOV.UK on 127.0.0.1; use as a context manager."""

    def __init__(self) -> None:
        self._log_entries: list[LoggedRequest] = []
        self._pages: dict[str, bytes] = {}
        self._assets: dict[str, _Asset] = {}
        self._plans: dict[str, _Plan] = {}
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> GovukStub:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.stub = self
        self._server = server
        # A short poll interval makes shutdown (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: use as ``Settings.govuk_base``."""
        if self._server is None:
            raise RuntimeError("GovukStub is not running; use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # ------------------------------------------------------------------ content

    def add_publication(
        self,
        path: str,
        title: str,
        *,
        attachments: Sequence[Mapping[str, Any]] = (),
        documents: Sequence[str] = (),
    ) -> None:
        """Serve a Content API item for ``path`` at ``/api/content<path>``."""
        item = {
            "base_path": path,
            "content_id": hashlib.sha256(path.encode()).hexdigest()[:32],
            "document_type": "corporate_report",
            "schema_name": "publication",
            "title": title,
            "details": {"attachments": list(attachments), "documents": list(documents)},
        }
        with self._lock:
            self._pages[path] = json.dumps(item).encode("utf-8")

    def add_asset(
        self,
        path: str,
        data: bytes,
        *,
        content_type: str = "application/pdf",
        send_length: bool = True,
        validators: bool = True,
    ) -> None:
        """Serve ``data`` at ``path`` (as the client will send it, percent escapes included).

        Adding a path again replaces the file with a new ETag and a later Last-Modified.
        ``validators=False`` serves it with neither; ``send_length=False`` without a
        Content-Length (the body then ends when the connection closes).
        """
        with self._lock:
            previous = self._assets.get(path)
            modified = FIRST_MODIFIED
            if previous is not None and previous.modified is not None:
                modified = previous.modified + 3600
            self._assets[path] = _Asset(
                data=data,
                content_type=content_type,
                send_length=send_length,
                etag=f'"{hashlib.sha256(data).hexdigest()[:16]}"' if validators else None,
                modified=modified if validators else None,
            )

    def add_oversized(self, path: str, size: int, *, send_length: bool = True) -> None:
        """Serve a PDF-looking file of ``size`` bytes at ``path``."""
        header = b"%PDF-1.4\n"
        self.add_asset(path, header + b"0" * (size - len(header)), send_length=send_length)

    def attachment(
        self, path: str, title: str, *, absolute: bool = True, filename: str | None = None
    ) -> dict[str, Any]:
        """An entry for ``details.attachments``, as GOV.UK would write it."""
        return {
            "attachment_type": "file",
            "content_type": "application/pdf",
            "filename": path.rsplit("/", 1)[-1] if filename is None else filename,
            "title": title,
            "url": ASSET_ORIGIN + path if absolute else path,
        }

    # ------------------------------------------------------------------ misbehaviour

    def fail(self, path: str, times: int, status: int = 500) -> None:
        """Answer the next ``times`` requests for ``path`` with ``status``."""
        with self._lock:
            self._plans[path] = _Plan(status=status, remaining=times)

    def drop(self, path: str, times: int) -> None:
        """Close the connection without answering the next ``times`` requests for ``path``."""
        with self._lock:
            self._plans[path] = _Plan(remaining=times, drop=True)

    # ------------------------------------------------------------------ log

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request so far, oldest first (a copy)."""
        with self._lock:
            return list(self._log_entries)

    def requests_for(self, path: str) -> list[LoggedRequest]:
        """Logged requests whose path (query string aside) is ``path``."""
        return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def downloads(self) -> list[LoggedRequest]:
        """Requests that were answered with an asset's bytes."""
        with self._lock:
            assets = set(self._assets)
        return [r for r in self.requests if r.status == 200 and r.path in assets]

    def clear_log(self) -> None:
        with self._lock:
            self._log_entries.clear()

    # ------------------------------------------------------------------ serving

    def _handle(self, handler: _Handler) -> None:
        path = handler.path.split("?", 1)[0]
        headers = dict(handler.headers.items())
        with self._lock:
            plan = self._plans.get(path)
            planned = plan is not None and plan.remaining > 0
            if plan is not None and planned:
                plan.remaining -= 1
            page = self._pages.get(path.removeprefix("/api/content"))
            asset = self._assets.get(path)

        if plan is not None and planned:
            if plan.drop:
                self._log(handler, headers, 0)
                handler.close_connection = True
                return
            self._send(handler, headers, plan.status, b"stub failure\n", "text/plain")
        elif path.startswith("/api/content/") and page is not None:
            self._send(handler, headers, 200, page, "application/json")
        elif asset is not None:
            if _not_modified(asset, handler.headers):
                self._send(handler, headers, 304, b"", None, asset=asset)
            else:
                self._send(handler, headers, 200, asset.data, asset.content_type, asset=asset)
        else:
            self._send(handler, headers, 404, b'{"error": "not found"}', "application/json")

    def _send(
        self,
        handler: _Handler,
        headers: dict[str, str],
        status: int,
        body: bytes,
        content_type: str | None,
        *,
        asset: _Asset | None = None,
    ) -> None:
        self._log(handler, headers, status)
        handler.send_response(status)
        if content_type:
            handler.send_header("Content-Type", content_type)
        if asset is not None and asset.etag:
            handler.send_header("ETag", asset.etag)
        if asset is not None and asset.modified is not None:
            handler.send_header("Last-Modified", formatdate(asset.modified, usegmt=True))
        if status != 304 and (asset is None or asset.send_length):
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if status == 304:
            return
        try:
            for start in range(0, len(body), WRITE_CHUNK):
                handler.wfile.write(body[start : start + WRITE_CHUNK])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (as it should on an oversized file)

    def _log(self, handler: _Handler, headers: dict[str, str], status: int) -> None:
        with self._lock:
            self._log_entries.append(LoggedRequest(handler.command, handler.path, headers, status))


def _not_modified(asset: _Asset, headers: Any) -> bool:
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip() for tag in if_none_match.split(",")}
        return asset.etag is not None and (asset.etag in tags or "*" in tags)
    if_modified_since = headers.get("If-Modified-Since")
    if if_modified_since and asset.modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
        return asset.modified <= since
    return False


# ---------------------------------------------------------------------- PDFs


def make_pdf(pages: Sequence[str], *, title: str = "") -> bytes:
    """A real PDF with one page per string (Latin-1 text only: fpdf2's core fonts)."""
    from fpdf import FPDF  # imported here so the stub works without fpdf2 when PDFs aren't needed

    pdf = FPDF()
    pdf.set_auto_page_break(auto=True, margin=15)
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def sample_pdf(sentence: str, *, title: str = "Local child safeguarding practice review") -> bytes:
    """Three pages about a fictional review, with ``sentence`` on page 2."""
    return make_pdf(
        [
            f"{title}\n\nThis is a fictional document made for tests. It describes how "
            "agencies worked together to safeguard a child and what they learned.",
            "Findings\n\nPractitioners from health, education and children's social care met "
            f"regularly. {sentence} The review panel considered the records in detail.",
            "Recommendations\n\nThe partnership should share information promptly and check "
            "that learning is embedded in supervision and training.",
        ],
        title=title,
    )


# ---------------------------------------------------------------------- loopback only


def _is_loopback_host(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@dataclass
class LoopbackGuard:
    """Refuses (and records) any connection to, or lookup of, a non-loopback host.

    ``install`` patches ``socket`` for one test via ``monkeypatch`` and clears proxy
    variables, so urllib connects straight to 127.0.0.1. Lookups of other names fail with
    ``socket.gaierror`` (as when offline) without reaching a resolver; connections to other
    addresses raise ``AssertionError``, which no network error handler swallows.
    ``check()`` fails the test if anything other than the names in ``allowed_lookups`` was
    attempted.
    """

    violations: list[str] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    allowed_lookups: set[str] = field(default_factory=set)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        real_getaddrinfo = socket.getaddrinfo
        real_gethostbyname = socket.gethostbyname

        def check_address(address: Any) -> None:
            if isinstance(address, tuple) and not _is_loopback_host(address[0]):
                self.violations.append(f"connect to {address!r}")
                raise AssertionError(f"test tried to connect to {address!r}")

        def check_name(host: Any) -> None:
            if host is not None and not _is_loopback_host(host):
                name = host.decode() if isinstance(host, bytes) else str(host)
                self.lookups.append(name)
                raise socket.gaierror(socket.EAI_NONAME, f"lookup of {name!r} refused by test")

        def connect(sock: socket.socket, address: Any) -> None:
            check_address(address)
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            check_address(address)
            return real_connect_ex(sock, address)

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            check_name(host)
            return real_getaddrinfo(host, *args, **kwargs)

        def gethostbyname(host: str) -> str:
            check_name(host)
            return real_gethostbyname(host)

        def gethostbyaddr(host: str) -> Any:
            # Reverse lookups go to a resolver even for 127.0.0.1 on some systems.
            self.lookups.append(f"reverse {host}")
            raise socket.herror(1, "reverse lookup refused by test")

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "gethostbyname", gethostbyname)
        monkeypatch.setattr(socket, "gethostbyaddr", gethostbyaddr)
        for name in PROXY_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("no_proxy", "*")
        monkeypatch.setenv("NO_PROXY", "*")

    def check(self) -> None:
        unexpected = [name for name in self.lookups if name not in self.allowed_lookups]
        assert not self.violations, f"non-loopback connections attempted: {self.violations}"
        assert not unexpected, f"non-loopback lookups attempted: {unexpected}"
