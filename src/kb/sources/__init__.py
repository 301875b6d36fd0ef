"""Download the PDFs of GOV.UK publications into a local cache.

``load_manifest`` reads ``corpus/manifest.yaml``: which publications we want and how to cite
them. ``fetch`` asks GOV.UK's Content API for each publication's attachments, downloads the
PDFs into a cache directory and writes ``metadata.csv`` beside them, so ingest can cite each
file by its publication's title, publisher and year::

    report = fetch(load_manifest(path), settings.cache_dir, settings.fetch)
    print(report.summary_line())
    sys.exit(report.exit_code)

How it behaves on the network:

* Conditional requests: each file's ETag / Last-Modified is kept in ``.fetch-state.json`` in
  the cache, so a re-run costs one 304 per file and downloads nothing.
* 429, 5xx and dropped connections are retried with exponential backoff plus jitter, at most
  ``MAX_TRIES`` times in all; ``Retry-After`` is honoured up to a minute.
* Each file is streamed to a temporary file inside the cache and moved into place with
  ``os.replace``; a refused (too large, not a PDF) or failed download leaves nothing behind.
  The size cap, ``FetchSettings.fetch_max_bytes``, is checked against Content-Length and again
  while streaming, because a server may not send (or may lie about) the length.
* File names come from the URL's last path segment, reduced to ``[A-Za-z0-9._-]`` with no
  leading dot and a ``.pdf`` suffix, so nothing the server sends can name a file outside the
  cache. Two URLs with the same base name get a short hash to tell them apart.
* If the very first request cannot connect at all (DNS failure, refused, timed out) we take it
  that we are offline: we stop, and the report says how many PDFs the cache already holds.
  Network trouble is always reported, never raised.
* Mirrors and test stubs: GOV.UK hands out absolute asset URLs on
  ``assets.publishing.service.gov.uk``. When ``FetchSettings.govuk_base`` is not GOV.UK itself,
  links to GOV.UK's hosts are rewritten onto the base's scheme and host (keeping the path), on
  the assumption that a mirror serves GOV.UK's paths as they are. Links to any other host, and
  redirects to one, are ignored, so a run only ever talks to GOV.UK or to the one server it
  was pointed at.

The parts live in :mod:`kb.sources.govuk`: ``manifest`` (:class:`Publication`,
:func:`load_manifest`), ``content`` (attachments, URL and file-name rules), ``client``
(HTTP), ``cache`` (``metadata.csv`` and the state file) and ``run`` (:func:`fetch`).
"""

from kb.sources.govuk.cache import (
    METADATA_FIELDS,
    METADATA_FILE,
    STATE_FILE,
    TEMP_PREFIX,
    count_cached,
)
from kb.sources.govuk.client import user_agent
from kb.sources.govuk.content import (
    Attachment,
    download_url,
    pdf_attachments,
    resolve_asset_url,
    safe_filename,
)
from kb.sources.govuk.manifest import GOVUK_ORIGIN, Publication, load_manifest
from kb.sources.govuk.run import FetchFailure, FetchReport, fetch

__all__ = [
    "GOVUK_ORIGIN",
    "METADATA_FIELDS",
    "METADATA_FILE",
    "STATE_FILE",
    "TEMP_PREFIX",
    "Attachment",
    "FetchFailure",
    "FetchReport",
    "Publication",
    "count_cached",
    "download_url",
    "fetch",
    "load_manifest",
    "pdf_attachments",
    "resolve_asset_url",
    "safe_filename",
    "user_agent",
]
