"""What a Content API item links to, and which of those links we may follow.

:func:`pdf_attachments` finds the PDFs in an item (its ``details.attachments``, then
``<a href>`` links in its ``documents`` HTML). Every link goes through
:func:`resolve_asset_url`, which keeps only GOV.UK's own hosts and the one server a run
was pointed at, and :func:`download_url` maps a GOV.UK URL onto a mirror. File names
come from :func:`safe_filename`, which nothing a server sends can steer outside the cache.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from kb.sources.govuk.manifest import GOVUK_ORIGIN

# Hosts whose links we follow when talking to GOV.UK, and rewrite when talking to a mirror.
GOVUK_HOSTS = frozenset({"www.gov.uk", "gov.uk", "assets.publishing.service.gov.uk"})
ASSET_HOST = "assets.publishing.service.gov.uk"
# Paths that are files on the asset host whichever GOV.UK host a link names (www.gov.uk
# serves them too), so a relative and an absolute link to one file count as one file.
ASSET_PATH_PREFIXES = ("/media/", "/government/uploads/")
MAX_STEM_CHARS = 100
# What safe_filename makes, and all a cache file name from an earlier run may be.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.pdf")

_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
# Characters left alone when re-quoting a URL: reserved ones plus '%', so existing escapes
# (such as %2F inside a file name) keep their meaning.
_URL_SAFE = "/%:@!$&'()*+,;="
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)


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
    candidates = _listed_pdfs(details.get("attachments"))
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
            title=" ".join(title.split()) or " ".join(name.split()),
        )
    return tuple(found.values())


def _listed_pdfs(attachments: object) -> list[tuple[str, str]]:
    """``(href, title)`` of each PDF among ``details.attachments``."""
    found: list[tuple[str, str]] = []
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
            found.append((href, str(item.get("title") or filename)))
    return found


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


def allowed_target(url: str, govuk_base: str) -> bool:
    """Whether a run pointed at ``govuk_base`` may talk to ``url`` (e.g. after a redirect)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    if _is_govuk(govuk_base):
        return (parts.hostname or "").lower() in GOVUK_HOSTS
    return _same_origin(url, govuk_base)


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
        stem = f"document-{short_hash(url)}"
    elif stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"{stem}-{short_hash(url)}"
    return stem + ".pdf"


def short_hash(text: str) -> str:
    """Eight hex digits that tell two URLs with the same base name apart."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


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
