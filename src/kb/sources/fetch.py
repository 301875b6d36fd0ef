"""Download the PDFs of GOV.UK publications into a local cache.

``load_manifest`` reads ``corpus/manifest.yaml``: which publications we want and how to cite
them. ``fetch`` asks GOV.UK's Content API for each publication's attachments, downloads the
PDFs into a cache directory and writes ``metadata.csv`` beside them, so ingest can cite each
file by its publication's title, publisher and year::

    report = fetch(load_manifest(path), settings.store_dir / "cache", settings)
    print(report.summary_line())
    sys.exit(report.exit_code)

How it behaves on the network:

* Conditional requests: each file's ETag / Last-Modified is kept in ``.fetch-state.json`` in
  the cache, so a re-run costs one 304 per file and downloads nothing.
* 429, 5xx and dropped connections are retried with exponential backoff plus jitter, at most
  ``MAX_TRIES`` times in all; ``Retry-After`` is honoured up to a minute.
* Each file is streamed to a temporary file inside the cache and moved into place with
  ``os.replace``; a refused (too large, not a PDF) or failed download leaves nothing behind.
  The size cap, ``Settings.fetch_max_bytes``, is checked against Content-Length and again
  while streaming, because a server may not send (or may lie about) the length.
* File names come from the URL's last path segment, reduced to ``[A-Za-z0-9._-]`` with no
  leading dot and a ``.pdf`` suffix, so nothing the server sends can name a file outside the
  cache. Two URLs with the same base name get a short hash to tell them apart.
* If the very first request cannot connect at all (DNS failure, refused, timed out) we take it
  that we are offline: we stop, and the report says how many PDFs the cache already holds.
  Network trouble is always reported, never raised.
* Mirrors and test stubs: GOV.UK hands out absolute asset URLs on
  ``assets.publishing.service.gov.uk``. When ``Settings.govuk_base`` is not GOV.UK itself,
  links to GOV.UK's hosts are rewritten onto the base's scheme and host (keeping the path), on
  the assumption that a mirror serves GOV.UK's paths as they are. Links to any other host, and
  redirects to one, are ignored, so a run only ever talks to GOV.UK or to the one server it
  was pointed at.
"""

from __future__ import annotations

import csv
import hashlib
import http.client
import json
import os
import random
import re
import tempfile
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.message import Message
from html.parser import HTMLParser
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import yaml

from kb.config import FetchSettings
from kb.errors import ConfigError, FetchError
from kb.records import DOC_TYPES

GOVUK_ORIGIN = "https://www.gov.uk"
# Hosts whose links we follow when talking to GOV.UK, and rewrite when talking to a mirror.
GOVUK_HOSTS = frozenset({"www.gov.uk", "gov.uk", "assets.publishing.service.gov.uk"})
ASSET_HOST = "assets.publishing.service.gov.uk"
# Paths that are files on the asset host whichever GOV.UK host a link names (www.gov.uk
# serves them too), so a relative and an absolute link to one file count as one file.
ASSET_PATH_PREFIXES = ("/media/", "/government/uploads/")
STATE_FILE = ".fetch-state.json"
TEMP_PREFIX = ".kb-tmp-"  # in-progress downloads and rewrites; hidden, and never *.pdf
STATE_VERSION = 1
METADATA_FILE = "metadata.csv"
METADATA_FIELDS = ("file", "title", "publisher", "year", "doc_type", "source_url", "fictional")
MAX_TRIES = 3
BACKOFF_SECONDS = 0.5
TIMEOUT_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 60.0
API_MAX_BYTES = 10_000_000  # a Content API item is a few kB; more is a misbehaving server
CHUNK_BYTES = 64 * 1024
MAX_STEM_CHARS = 100
FALLBACK_VERSION = "0.1.0"
USER_AGENT_TEMPLATE = "kb/{version} (+safeguarding review library)"
MIN_YEAR, MAX_YEAR = 1900, 2100

# GOV.UK base paths are lower-case slugs; anything outside this set (percent escapes, spaces,
# backslashes) has no business in a manifest and could smuggle a traversal past us.
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.pdf")
# Characters left alone when re-quoting a URL: reserved ones plus '%', so existing escapes
# (such as %2F inside a file name) keep their meaning.
_URL_SAFE = "/%:@!$&'()*+,;="
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)

T = TypeVar("T")


# --------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class Publication:
    """One GOV.UK publication from the manifest, and how to cite its files."""

    path: str  # GOV.UK base path, e.g. /government/publications/...
    title: str
    publisher: str = ""
    year: int | None = None
    doc_type: str = "other"

    def __post_init__(self) -> None:
        # Checked here as well as in load_manifest, so a Publication built by hand is safe too.
        problem = _path_problem(self.path)
        if problem:
            raise ConfigError(f"path {self.path!r} {problem}")
        if not self.title.strip():
            raise ConfigError("missing 'title'")
        if self.doc_type not in DOC_TYPES:
            raise ConfigError(f"unknown doc_type {self.doc_type!r}")

    @property
    def source_url(self) -> str:
        """The publication's page on GOV.UK, for citations (whatever server we fetched from)."""
        return GOVUK_ORIGIN + self.path


def load_manifest(path: Path) -> tuple[Publication, ...]:
    """Read and validate a manifest; every problem is a ``ConfigError`` naming file and entry."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read manifest: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: manifest is not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: manifest is not valid YAML: {exc}") from None
    entries = data.get("publications") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected a mapping with a 'publications' list")

    publications: list[Publication] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        label = f"{path}: publications entry {number}"
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            label += f" ({entry['path']!r})"
        try:
            publication = _publication_from(entry)
        except ConfigError as exc:
            raise ConfigError(f"{label}: {exc}") from None
        if publication.path in seen:
            raise ConfigError(f"{label}: duplicate of entry {seen[publication.path]}")
        seen[publication.path] = number
        publications.append(publication)
    return tuple(publications)


def _publication_from(entry: object) -> Publication:
    if not isinstance(entry, dict):
        raise ConfigError(f"expected a mapping, got {type(entry).__name__}")
    path = entry.get("path")
    if not isinstance(path, str) or not path:
        raise ConfigError("missing 'path'")
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ConfigError("missing 'title'")
    publisher = entry.get("publisher") or ""
    if not isinstance(publisher, str):
        raise ConfigError("'publisher' must be text")
    doc_type = entry.get("doc_type") or "other"
    if not isinstance(doc_type, str):
        raise ConfigError("'doc_type' must be text")
    return Publication(
        path=path,
        title=_one_line(title),
        publisher=_one_line(publisher),
        year=_year(entry.get("year")),
        doc_type=doc_type,
    )


def _year(value: object) -> int | None:
    if value is None or value == "":
        return None
    # bool is an int to Python, and `year: yes` is a YAML accident, not a year.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"'year' must be a whole number, got {value!r}")
    try:
        year = int(value)
    except ValueError:
        raise ConfigError(f"'year' must be a whole number, got {value!r}") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ConfigError(f"'year' {year} is out of range")
    return year


def _path_problem(path: str) -> str | None:
    if not path.startswith("/"):
        return "must start with '/'"
    if path.startswith("//"):
        return "must be a path on GOV.UK, not a URL"
    for segment in path[1:].split("/"):
        if segment in ("", ".", ".."):
            return "must not contain empty, '.' or '..' segments"
        if not _PATH_SEGMENT.fullmatch(segment):
            return "may only contain letters, digits and '-', '_', '.', '~'"
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class FetchFailure:
    """Something that could not be fetched: a file name, or a publication path."""

    item: str
    reason: str

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


@dataclass(frozen=True)
class FetchReport:
    """What a fetch run did. ``exit_code`` is 0 only if everything was fetched or unchanged."""

    downloaded: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    failed: tuple[FetchFailure, ...] = ()
    offline: bool = False
    cached: int = 0  # PDFs in the cache when the run ended
    offline_reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.offline

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary_line(self) -> str:
        if self.offline:
            noun = "document" if self.cached == 1 else "documents"
            return f"offline: using {self.cached} cached {noun}"
        return (
            f"fetched {len(self.downloaded)}, unchanged {len(self.unchanged)}, "
            f"failed {len(self.failed)}"
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["failed"] = [asdict(f) for f in self.failed]
        return data


# --------------------------------------------------------------------------- attachments


@dataclass(frozen=True)
class Attachment:
    """A PDF linked from a publication."""

    source: str  # its GOV.UK URL: the key for cached state, stable across mirrors
    url: str  # where to download it from (``source`` mapped onto govuk_base)
    title: str


def pdf_attachments(
    content: object, page_path: str, govuk_base: str = GOVUK_ORIGIN
) -> tuple[Attachment, ...]:
    """The PDFs in a Content API item: ``details.attachments`` then links in ``documents``."""
    details = content.get("details") if isinstance(content, Mapping) else None
    if not isinstance(details, Mapping):
        return ()
    candidates: list[tuple[str, str]] = []
    attachments = details.get("attachments")
    for item in attachments if isinstance(attachments, list) else ():
        if not isinstance(item, Mapping) or not isinstance(item.get("url"), str):
            continue
        href: str = item["url"]
        content_type = str(item.get("content_type") or "").split(";")[0].strip().lower()
        filename = str(item.get("filename") or "")
        is_pdf = (
            content_type == "application/pdf"
            or _href_is_pdf(href)
            or (not content_type and filename.lower().endswith(".pdf"))
        )
        if is_pdf:
            candidates.append((href, str(item.get("title") or filename)))
    documents = details.get("documents")
    for html in documents if isinstance(documents, list) else ():
        if isinstance(html, str):
            candidates.extend(_pdf_links(html))

    found: dict[str, Attachment] = {}
    for href, title in candidates:
        source = resolve_asset_url(href, page_path, govuk_base)
        if source is None or source in found:
            continue  # off-site, or already listed (attachments come first: better titles)
        name = unquote(urlsplit(source).path.rsplit("/", 1)[-1])
        found[source] = Attachment(
            source=source,
            url=download_url(source, govuk_base),
            title=_one_line(title) or _one_line(name),
        )
    return tuple(found.values())


def resolve_asset_url(href: str, page_path: str, govuk_base: str = GOVUK_ORIGIN) -> str | None:
    """``href`` as an absolute GOV.UK URL, or None if it points anywhere we would not fetch.

    Relative links are resolved as GOV.UK would resolve them on ``page_path``. Links on
    GOV.UK's own hosts are kept (as https, with asset paths on the asset host); links to the
    ``govuk_base`` server itself are kept as they are; everything else is refused.
    """
    try:
        parts = urlsplit(urljoin(GOVUK_ORIGIN + page_path, href.strip()))
        host = (parts.hostname or "").lower()
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    path = quote(parts.path, safe=_URL_SAFE) or "/"
    query = quote(parts.query, safe=_URL_SAFE + "?")
    if host in GOVUK_HOSTS:
        if path.startswith(ASSET_PATH_PREFIXES):
            host = ASSET_HOST
        return urlunsplit(("https", host, path, query, ""))
    if _same_origin(urlunsplit((parts.scheme, parts.netloc, "/", "", "")), govuk_base):
        return urlunsplit((parts.scheme, parts.netloc, path, query, ""))
    return None


def download_url(source: str, govuk_base: str = GOVUK_ORIGIN) -> str:
    """Where to download ``source`` from: itself on GOV.UK, the same path on a mirror."""
    parts = urlsplit(source)
    if (parts.hostname or "") not in GOVUK_HOSTS or _is_govuk(govuk_base):
        return source
    base = urlsplit(govuk_base.rstrip("/"))
    return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, ""))


def safe_filename(url: str) -> str:
    """A file name for ``url``'s download that cannot point outside the directory it is in.

    Derived from the URL's last path segment (percent-decoded), folded to ASCII, with every
    run of characters outside ``[A-Za-z0-9._-]`` (separators, control characters, spaces)
    turned into ``_``, leading dots and dashes removed, length capped, and ``.pdf`` appended.
    """
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    ascii_name = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode("ascii")
    stem = ascii_name[:-4] if ascii_name.lower().endswith(".pdf") else ascii_name
    stem = _UNSAFE_NAME_CHARS.sub("_", stem).strip("._-")[:MAX_STEM_CHARS].rstrip("._-")
    if not stem:
        stem = f"document-{_short_hash(url)}"
    elif stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"{stem}-{_short_hash(url)}"
    return stem + ".pdf"


def _href_is_pdf(href: str) -> bool:
    try:
        return urlsplit(href.strip()).path.lower().endswith(".pdf")
    except ValueError:
        return False


def _pdf_links(html: str) -> list[tuple[str, str]]:
    parser = _PdfLinkParser()
    parser.feed(html)
    parser.close()
    return parser.links


class _PdfLinkParser(HTMLParser):
    """Collects ``(href, link text)`` for every ``<a href>`` that points at a .pdf."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        self._finish()
        href = dict(attrs).get("href")
        if href and _href_is_pdf(href):
            self._href, self._text = href, []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._finish()

    def close(self) -> None:
        super().close()
        self._finish()

    def _finish(self) -> None:
        if self._href is not None:
            self.links.append((self._href, "".join(self._text)))
        self._href = None


def _is_govuk(base: str) -> bool:
    return (urlsplit(base).hostname or "").lower() in GOVUK_HOSTS


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, (a.netloc or "").lower()) == (b.scheme, (b.netloc or "").lower())


def _allowed_target(url: str, govuk_base: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    if _is_govuk(govuk_base):
        return (parts.hostname or "").lower() in GOVUK_HOSTS
    return _same_origin(url, govuk_base)


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


# --------------------------------------------------------------------------- HTTP


class _Transient(Exception):
    """A failure worth retrying: 429, 5xx, or a connection that failed or dropped."""

    def __init__(self, reason: str, *, connection: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.connection = connection  # no HTTP status at all: maybe we are offline
        self.retry_after = retry_after


class _Permanent(Exception):
    """A failure that retrying will not fix; ``reason`` goes into the report."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _Offline(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Downloaded:
    tmp: Path
    sha256: str
    size: int
    etag: str | None
    last_modified: str | None


class _RedirectGuard(urllib.request.HTTPRedirectHandler):
    """Follows redirects only to where we would have gone anyway (see ``_allowed_target``)."""

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
        if not _allowed_target(newurl, self._base):
            fp.close()
            raise _Permanent(f"refused redirect to {urlsplit(newurl).netloc or newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Client:
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
            except _Transient as exc:
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
        """GET ``url``; None means 304 Not Modified. Raises ``_Transient`` or ``_Permanent``."""
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
            raise _Transient(f"cannot connect: {_describe(exc.reason)}", connection=True) from None
        except (OSError, http.client.HTTPException) as exc:
            raise _Transient(f"connection failed: {_describe(exc)}", connection=True) from None
        except ValueError as exc:  # http.client.InvalidURL and friends
            raise _Permanent(f"bad URL: {exc}") from None
        self.reached = True
        return response

    def get_json(self, url: str) -> Any:
        response = self.open(url, {"Accept": "application/json"})
        if response is None:
            raise _Permanent("unexpected 304 from the content API")
        with response:
            body = b"".join(_blocks(response, API_MAX_BYTES, "content API reply"))
        try:
            return json.loads(body)
        except ValueError:
            raise _Permanent("content API reply is not valid JSON") from None


def _status_error(code: int, reason: object, headers: Message | None) -> Exception:
    if code == 429 or 500 <= code < 600:
        retry_after = _retry_after(headers.get("Retry-After") if headers else None)
        reason_text = f"HTTP {code} {reason}".rstrip()
        return _Transient(reason_text, connection=False, retry_after=retry_after)
    if code == 404:
        return _Permanent("not found (404)")
    if code == 410:
        return _Permanent("gone (410)")
    return _Permanent(f"HTTP {code} {reason}".rstrip())


def _retry_after(value: str | None) -> float | None:
    # Only the delay-seconds form; an HTTP date is rare enough to fall back to our backoff.
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


def _describe(error: object) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _blocks(response: http.client.HTTPResponse, limit: int, what: str) -> Iterator[bytes]:
    """Read ``response`` in chunks, refusing more than ``limit`` bytes in all."""
    total = 0
    while True:
        try:
            block = response.read(CHUNK_BYTES)
        except (OSError, http.client.HTTPException) as exc:
            raise _Transient(f"connection dropped: {_describe(exc)}", connection=True) from None
        if not block:
            return
        total += len(block)
        if total > limit:
            raise _Permanent(_too_large(limit, what))
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


def _download_once(
    client: _Client, url: str, headers: Mapping[str, str], cache_dir: Path, max_bytes: int
) -> _Downloaded | None:
    """One attempt at downloading ``url`` into a temp file in ``cache_dir``; None on 304."""
    response = client.open(url, headers)
    if response is None:
        return None
    with response:
        declared = _content_length(response.headers)
        if declared is not None and declared > max_bytes:
            raise _Permanent(_too_large(max_bytes))
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
                raise _Permanent("not a PDF")
            tmp.chmod(0o644)  # mkstemp makes it private; the cache is meant to be read
            kept = True
            return _Downloaded(
                tmp=tmp,
                sha256=digest.hexdigest(),
                size=size,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
        finally:
            if not kept:
                tmp.unlink(missing_ok=True)


def user_agent() -> str:
    """The User-Agent kb sends: who we are, so GOV.UK can tell us apart."""
    try:
        version = importlib_metadata.version("kb")
    except importlib_metadata.PackageNotFoundError:
        version = FALLBACK_VERSION
    return USER_AGENT_TEMPLATE.format(version=version)


# --------------------------------------------------------------------------- fetch


def fetch(
    manifest: Sequence[Publication],
    cache_dir: Path,
    settings: FetchSettings,
    *,
    progress: Callable[[str], None] | None = None,
    backoff: float = BACKOFF_SECONDS,
    timeout: float = TIMEOUT_SECONDS,
    max_tries: int = MAX_TRIES,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchReport:
    """Download every PDF of every publication in ``manifest`` into ``cache_dir``.

    Never raises for network problems: they end up in the report. Raises ``FetchError`` only
    if the cache directory cannot be written. ``backoff`` is the first retry delay in seconds
    (doubled each time, plus up to as much again in jitter); ``sleep`` is for tests.
    """
    if max_tries < 1:
        raise ValueError("max_tries must be at least 1")
    say = progress or _quiet
    client = _Client(
        settings.govuk_base,
        timeout=timeout,
        max_tries=max_tries,
        backoff=backoff,
        sleep=sleep,
        say=say,
    )
    offline_reason = ""
    # Network errors never get this far (they become _Transient); an OSError here is the
    # cache itself being unwritable, which no later publication would fare better with.
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        run = _Run(cache_dir, settings, client, say)
        try:
            for publication in manifest:
                run.publication(publication)
        except _Offline as exc:
            offline_reason = exc.reason
            say(f"offline ({exc.reason}): not trying the rest")
        finally:
            run.save()
    except OSError as exc:
        raise FetchError(f"cannot write to the cache {cache_dir}: {_describe(exc)}") from exc
    return FetchReport(
        downloaded=tuple(run.downloaded),
        unchanged=tuple(run.unchanged),
        failed=tuple(run.failed),
        offline=bool(offline_reason),
        cached=count_cached(cache_dir),
        offline_reason=offline_reason,
    )


def count_cached(cache_dir: Path) -> int:
    """How many PDFs the cache holds (temporary files excluded)."""
    if not cache_dir.is_dir():
        return 0
    return sum(
        1
        for p in cache_dir.iterdir()
        if p.suffix.lower() == ".pdf" and not p.name.startswith(".") and p.is_file()
    )


def _quiet(_: str) -> None:
    pass


class _Run:
    """The mutable part of one ``fetch`` call: state file, metadata rows, outcomes."""

    def __init__(
        self, cache_dir: Path, settings: FetchSettings, client: _Client, say: Callable[[str], None]
    ) -> None:
        self.cache_dir = cache_dir
        self.base = settings.govuk_base.rstrip("/")
        self.max_bytes = settings.fetch_max_bytes
        self.client = client
        self.say = say
        self.state = _load_state(cache_dir / STATE_FILE, say)
        self.rows = _load_metadata(cache_dir)
        # file name -> source URL, so two different URLs never share a file
        self.taken = {entry["file"]: source for source, entry in self.state.items()}
        self.done: set[str] = set()
        self.downloaded: list[str] = []
        self.unchanged: list[str] = []
        self.failed: list[FetchFailure] = []

    def publication(self, publication: Publication) -> None:
        self.say(publication.path)
        api_url = f"{self.base}/api/content{publication.path}"
        try:
            content = self.client.call(lambda: self.client.get_json(api_url))
        except _Permanent as exc:
            self.fail(publication.path, exc.reason)
            return
        except _Transient as exc:
            self.transient(publication.path, exc)
            return
        attachments = pdf_attachments(content, publication.path, self.base)
        if not attachments:
            self.fail(publication.path, "no PDF attachments found")
            return
        for attachment in attachments:
            if attachment.source in self.done:
                continue
            self.done.add(attachment.source)
            name = self.claim(attachment.source)
            title = publication.title
            if len(attachments) > 1:
                title = f"{publication.title} \u2013 {attachment.title}"
            if self.file(publication, attachment, name):
                self.rows[name] = {
                    "file": name,
                    "title": title,
                    "publisher": publication.publisher,
                    "year": "" if publication.year is None else str(publication.year),
                    "doc_type": publication.doc_type,
                    "source_url": publication.source_url,
                    "fictional": "false",
                }

    def file(self, publication: Publication, attachment: Attachment, name: str) -> bool:
        """Download one attachment; True if the cache now holds it (new or unchanged)."""
        dest = self.cache_dir / name
        if dest.resolve().parent != self.cache_dir.resolve():
            # safe_filename makes this impossible; refuse loudly rather than trust it blindly.
            self.fail(name, "refused: unsafe file name")
            return False
        entry = self.state.get(attachment.source, {})
        headers = {"Accept": "application/pdf"}
        if dest.is_file():
            if entry.get("etag"):
                headers["If-None-Match"] = entry["etag"]
            if entry.get("last_modified"):
                headers["If-Modified-Since"] = entry["last_modified"]
        url = attachment.url
        try:
            got = self.client.call(
                lambda: _download_once(self.client, url, headers, self.cache_dir, self.max_bytes)
            )
        except _Permanent as exc:
            self.fail(name, exc.reason)
            return False
        except _Transient as exc:
            self.transient(name, exc)
            return False
        except OSError as exc:  # the network errors are _Transient by now: this is the disk
            self.fail(name, f"could not save: {_describe(exc)}")
            return False

        if got is None:
            self.unchanged.append(name)
            self.say(f"  unchanged {name}")
            return True
        same = dest.is_file() and dest.stat().st_size == got.size and _sha256(dest) == got.sha256
        if same:
            # A server without validators (or a new mirror) sent the bytes we already have.
            got.tmp.unlink(missing_ok=True)
            self.unchanged.append(name)
            self.say(f"  unchanged {name}")
        else:
            os.replace(got.tmp, dest)
            self.downloaded.append(name)
            self.say(f"  downloaded {name} ({got.size:,} bytes)")
        self.state[attachment.source] = {
            "file": name,
            "url": url,
            "publication": publication.path,
            "etag": got.etag or "",
            "last_modified": got.last_modified or "",
            "sha256": got.sha256,
            "bytes": got.size,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        _write_json(self.cache_dir / STATE_FILE, {"version": STATE_VERSION, "files": self.state})
        return True

    def claim(self, source: str) -> str:
        """The cache file name for ``source``: the one used before, else a fresh safe one."""
        known = self.state.get(source, {}).get("file")
        if isinstance(known, str) and _SAFE_NAME.fullmatch(known):
            return known
        name = safe_filename(source)
        if self.taken.get(name, source) != source:
            name = f"{name[:-4]}-{_short_hash(source)}.pdf"
        self.taken[name] = source
        return name

    def fail(self, item: str, reason: str) -> None:
        self.failed.append(FetchFailure(item, reason))
        self.say(f"  failed {item}: {reason}")

    def transient(self, item: str, exc: _Transient) -> None:
        if exc.connection and not self.client.reached:
            raise _Offline(exc.reason)
        tries = self.client.max_tries
        self.fail(item, f"{exc.reason} (after {tries} {'try' if tries == 1 else 'tries'})")

    def save(self) -> None:
        rows = [
            row
            for name, row in sorted(self.rows.items())
            if _plain_name(name) and (self.cache_dir / name).is_file()
        ]
        _write_metadata(self.cache_dir / METADATA_FILE, rows)


# --------------------------------------------------------------------------- cache files


def _load_state(path: Path, say: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    """The per-URL state from an earlier run; an unreadable file just means starting afresh."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        say(f"ignoring unreadable {path.name}")
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or data.get("version") != STATE_VERSION:
        return {}
    return {
        source: entry
        for source, entry in files.items()
        if isinstance(entry, dict) and isinstance(entry.get("file"), str)
    }


def _load_metadata(cache_dir: Path) -> dict[str, dict[str, str]]:
    try:
        with (cache_dir / METADATA_FILE).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    kept: dict[str, dict[str, str]] = {}
    for row in rows:
        name = row.get("file") or ""
        if _plain_name(name):
            kept[name] = {key: row.get(key) or "" for key in METADATA_FIELDS}
    return kept


def _plain_name(name: str) -> bool:
    """A bare file name (hand-placed files may have spaces, but never separators)."""
    return bool(name) and not name.startswith(".") and "/" not in name and "\\" not in name


def _write_metadata(path: Path, rows: Sequence[Mapping[str, str]]) -> None:
    def write(handle: IO[str]) -> None:
        writer = csv.DictWriter(handle, fieldnames=METADATA_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)

    _atomic_write(path, write)


def _write_json(path: Path, data: object) -> None:
    _atomic_write(path, lambda handle: json.dump(data, handle, indent=2, sort_keys=True))


def _atomic_write(path: Path, write: Callable[[IO[str]], None]) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            write(handle)
        tmp.chmod(0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()
