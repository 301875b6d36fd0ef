"""One fetch run: every publication's PDFs into the cache, and a report of what happened.

:func:`fetch` walks the manifest, asks the Content API for each publication's
attachments, downloads each PDF once (conditionally, when the cache already holds it) and
moves it into place only if its bytes changed. Network trouble ends up in the
:class:`FetchReport`, never raised; a first request that cannot connect at all means we
are offline, so the run stops there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kb.config import FetchSettings
from kb.errors import FetchError
from kb.files import file_sha256
from kb.sources.govuk.cache import (
    count_cached,
    load_metadata,
    load_state,
    save_metadata,
    save_state,
)
from kb.sources.govuk.client import (
    BACKOFF_SECONDS,
    MAX_TRIES,
    TIMEOUT_SECONDS,
    Client,
    Downloaded,
    Permanent,
    Transient,
    describe_error,
    download_pdf,
)
from kb.sources.govuk.content import (
    SAFE_NAME,
    Attachment,
    pdf_attachments,
    safe_filename,
    short_hash,
)
from kb.sources.govuk.manifest import Publication


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


class _Offline(Exception):
    """The first request could not connect at all: stop, and say so in the report."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


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
    client = Client(
        settings.govuk_base,
        timeout=timeout,
        max_tries=max_tries,
        backoff=backoff,
        sleep=sleep,
        say=say,
    )
    offline_reason = ""
    # Network errors never get this far (they become Transient); an OSError here is the
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
            save_metadata(cache_dir, run.rows)
    except OSError as exc:
        raise FetchError(f"cannot write to the cache {cache_dir}: {describe_error(exc)}") from exc
    return FetchReport(
        downloaded=tuple(run.downloaded),
        unchanged=tuple(run.unchanged),
        failed=tuple(run.failed),
        offline=bool(offline_reason),
        cached=count_cached(cache_dir),
        offline_reason=offline_reason,
    )


def _quiet(_: str) -> None:
    pass


class _Run:
    """The mutable part of one ``fetch`` call: state file, metadata rows, outcomes."""

    def __init__(
        self, cache_dir: Path, settings: FetchSettings, client: Client, say: Callable[[str], None]
    ) -> None:
        self.cache_dir = cache_dir
        self.base = settings.govuk_base.rstrip("/")
        self.max_bytes = settings.fetch_max_bytes
        self.client = client
        self.say = say
        self.state = load_state(cache_dir, say)
        self.rows = load_metadata(cache_dir)
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
        except Permanent as exc:
            self.fail(publication.path, exc.reason)
            return
        except Transient as exc:
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
        headers = self.conditional_headers(attachment.source, dest)
        url = attachment.url
        try:
            got = self.client.call(
                lambda: download_pdf(self.client, url, headers, self.cache_dir, self.max_bytes)
            )
        except Permanent as exc:
            self.fail(name, exc.reason)
            return False
        except Transient as exc:
            self.transient(name, exc)
            return False
        except OSError as exc:  # the network errors are Transient by now: this is the disk
            self.fail(name, f"could not save: {describe_error(exc)}")
            return False
        if got is None:
            self.unchanged.append(name)
            self.say(f"  unchanged {name}")
            return True
        self.keep(got, dest)
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
        save_state(self.cache_dir, self.state)
        return True

    def conditional_headers(self, source: str, dest: Path) -> dict[str, str]:
        """Request headers for ``source``: validators from the last run if we still have it."""
        entry = self.state.get(source, {})
        headers = {"Accept": "application/pdf"}
        if dest.is_file():
            if entry.get("etag"):
                headers["If-None-Match"] = entry["etag"]
            if entry.get("last_modified"):
                headers["If-Modified-Since"] = entry["last_modified"]
        return headers

    def keep(self, got: Downloaded, dest: Path) -> None:
        """Move a download into place, unless ``dest`` already holds the same bytes."""
        name = dest.name
        same_size = dest.is_file() and dest.stat().st_size == got.size
        if same_size and file_sha256(dest) == got.sha256:
            # A server without validators (or a new mirror) sent the bytes we already have.
            got.tmp.unlink(missing_ok=True)
            self.unchanged.append(name)
            self.say(f"  unchanged {name}")
        else:
            os.replace(got.tmp, dest)
            self.downloaded.append(name)
            self.say(f"  downloaded {name} ({got.size:,} bytes)")

    def claim(self, source: str) -> str:
        """The cache file name for ``source``: the one used before, else a fresh safe one."""
        known = self.state.get(source, {}).get("file")
        if isinstance(known, str) and SAFE_NAME.fullmatch(known):
            return known
        name = safe_filename(source)
        if self.taken.get(name, source) != source:
            name = f"{name[:-4]}-{short_hash(source)}.pdf"
        self.taken[name] = source
        return name

    def fail(self, item: str, reason: str) -> None:
        self.failed.append(FetchFailure(item, reason))
        self.say(f"  failed {item}: {reason}")

    def transient(self, item: str, exc: Transient) -> None:
        if exc.connection and not self.client.reached:
            raise _Offline(exc.reason)
        tries = self.client.max_tries
        self.fail(item, f"{exc.reason} (after {tries} {'try' if tries == 1 else 'tries'})")
