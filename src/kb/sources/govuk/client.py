"""One fetch run's HTTP: retries with backoff, a redirect guard, and capped streaming.

:class:`Client` sends kb's User-Agent, retries what is worth retrying (429, 5xx, dropped
connections: :class:`Transient`) with exponential backoff plus jitter, honours
``Retry-After`` up to a minute, and follows a redirect only to a host the run may talk to
anyway. :func:`download_pdf` streams a file into a temporary file in the cache, refusing
it (:class:`Permanent`) once it is over the size cap or if it is not a PDF.

Named ``client`` rather than ``http`` so it never reads as the standard library's module.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

from kb.sources.govuk.cache import TEMP_PREFIX
from kb.sources.govuk.content import allowed_target

MAX_TRIES = 3
BACKOFF_SECONDS = 0.5
TIMEOUT_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 60.0
API_MAX_BYTES = 10_000_000  # a Content API item is a few kB; more is a misbehaving server
CHUNK_BYTES = 64 * 1024
FALLBACK_VERSION = "0.1.0"
USER_AGENT_TEMPLATE = "kb/{version} (+safeguarding review library)"

T = TypeVar("T")


class Transient(Exception):
    """A failure worth retrying: 429, 5xx, or a connection that failed or dropped."""

    def __init__(self, reason: str, *, connection: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.connection = connection  # no HTTP status at all: maybe we are offline
        self.retry_after = retry_after


class Permanent(Exception):
    """A failure that retrying will not fix; ``reason`` goes into the report."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Downloaded:
    """A PDF streamed into ``tmp`` in the cache, not yet moved into place."""

    tmp: Path
    sha256: str
    size: int
    etag: str | None
    last_modified: str | None


def user_agent() -> str:
    """The User-Agent kb sends: who we are, so GOV.UK can tell us apart."""
    try:
        version = importlib_metadata.version("kb")
    except importlib_metadata.PackageNotFoundError:
        version = FALLBACK_VERSION
    return USER_AGENT_TEMPLATE.format(version=version)


class _RedirectGuard(urllib.request.HTTPRedirectHandler):
    """Follows redirects only to where we would have gone anyway (see ``allowed_target``)."""

    def __init__(self, govuk_base: str) -> None:
        super().__init__()
        self._base = govuk_base

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not allowed_target(newurl, self._base):
            fp.close()
            raise Permanent(f"refused redirect to {urlsplit(newurl).netloc or newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Client:
    """One run's HTTP: headers, timeout, retries, and whether any server has answered yet."""

    def __init__(
        self,
        govuk_base: str,
        *,
        timeout: float,
        max_tries: int,
        backoff: float,
        sleep: Callable[[float], None],
        say: Callable[[str], None],
    ) -> None:
        self._opener = urllib.request.build_opener(_RedirectGuard(govuk_base))
        self._opener.addheaders = []
        self._user_agent = user_agent()
        self._timeout = timeout
        self._backoff = backoff
        self._sleep = sleep
        self._say = say
        self.max_tries = max_tries
        self.reached = False  # any HTTP response at all means we are not offline

    def call(self, attempt: Callable[[], T]) -> T:
        """Run ``attempt``, retrying transient failures with exponential backoff and jitter."""
        tries = 1
        while True:
            try:
                return attempt()
            except Transient as exc:
                if tries >= self.max_tries:
                    raise
                delay = self._backoff * 2 ** (tries - 1)
                delay += random.uniform(0, delay)  # jitter: don't retry in lock-step
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, MAX_RETRY_AFTER_SECONDS))
                self._say(f"  retrying in {delay:.2f}s: {exc.reason}")
                self._sleep(delay)
                tries += 1

    def open(self, url: str, headers: Mapping[str, str]) -> http.client.HTTPResponse | None:
        """GET ``url``; None means 304 Not Modified. Raises ``Transient`` or ``Permanent``."""
        request = urllib.request.Request(
            url, headers={"User-Agent": self._user_agent, **headers}, method="GET"
        )
        try:
            response: http.client.HTTPResponse = self._opener.open(request, timeout=self._timeout)
        except urllib.error.HTTPError as exc:
            self.reached = True
            exc.close()
            if exc.code == 304:  # urllib treats every non-2xx reply as an error
                return None
            raise _status_error(exc.code, exc.reason, exc.headers) from None
        except urllib.error.URLError as exc:
            raise Transient(
                f"cannot connect: {describe_error(exc.reason)}", connection=True
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise Transient(f"connection failed: {describe_error(exc)}", connection=True) from None
        except ValueError as exc:  # http.client.InvalidURL and friends
            raise Permanent(f"bad URL: {exc}") from None
        self.reached = True
        return response

    def get_json(self, url: str) -> Any:
        """GET a Content API item and parse it, refusing a reply over ``API_MAX_BYTES``."""
        response = self.open(url, {"Accept": "application/json"})
        if response is None:
            raise Permanent("unexpected 304 from the content API")
        with response:
            body = b"".join(_blocks(response, API_MAX_BYTES, "content API reply"))
        try:
            return json.loads(body)
        except ValueError:
            raise Permanent("content API reply is not valid JSON") from None


def download_pdf(
    client: Client, url: str, headers: Mapping[str, str], cache_dir: Path, max_bytes: int
) -> Downloaded | None:
    """One attempt at downloading ``url`` into a temp file in ``cache_dir``; None on 304.

    The size cap is checked against Content-Length and again while streaming, because a
    server may not send (or may lie about) the length. A refused or failed download leaves
    no temporary file behind.
    """
    response = client.open(url, headers)
    if response is None:
        return None
    with response:
        declared = _content_length(response.headers)
        if declared is not None and declared > max_bytes:
            raise Permanent(_too_large(max_bytes))
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part", dir=cache_dir)
        tmp = Path(tmp_name)
        kept = False
        try:
            digest = hashlib.sha256()
            size = 0
            head = b""
            with os.fdopen(fd, "wb") as out:
                for block in _blocks(response, max_bytes, ""):
                    size += len(block)
                    if len(head) < 8:
                        head += block[:8]
                    digest.update(block)
                    out.write(block)
            if not head.startswith(b"%PDF-"):
                raise Permanent("not a PDF")
            tmp.chmod(0o644)  # mkstemp makes it private; the cache is meant to be read
            kept = True
            return Downloaded(
                tmp=tmp,
                sha256=digest.hexdigest(),
                size=size,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
        finally:
            if not kept:
                tmp.unlink(missing_ok=True)


def describe_error(error: object) -> str:
    """An OS or network error as a short reason: its strerror, else its text or type."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _status_error(code: int, reason: object, headers: Message | None) -> Exception:
    if code == 429 or 500 <= code < 600:
        retry_after = _retry_after(headers.get("Retry-After") if headers else None)
        reason_text = f"HTTP {code} {reason}".rstrip()
        return Transient(reason_text, connection=False, retry_after=retry_after)
    if code == 404:
        return Permanent("not found (404)")
    if code == 410:
        return Permanent("gone (410)")
    return Permanent(f"HTTP {code} {reason}".rstrip())


def _retry_after(value: str | None) -> float | None:
    # Only the delay-seconds form; an HTTP date is rare enough to fall back to our backoff.
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


def _blocks(response: http.client.HTTPResponse, limit: int, what: str) -> Iterator[bytes]:
    """Read ``response`` in chunks, refusing more than ``limit`` bytes in all."""
    total = 0
    while True:
        try:
            block = response.read(CHUNK_BYTES)
        except (OSError, http.client.HTTPException) as exc:
            raise Transient(f"connection dropped: {describe_error(exc)}", connection=True) from None
        if not block:
            return
        total += len(block)
        if total > limit:
            raise Permanent(_too_large(limit, what))
        yield block


def _too_large(limit: int, what: str = "") -> str:
    if what:
        return f"refused: {what} larger than {limit / 1e6:g} MB"
    return f"refused: larger than {limit / 1e6:g} MB"


def _content_length(headers: Message) -> int | None:
    value = headers.get("Content-Length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())
