"""Fetching from GOV.UK: the manifest, the Content API, HTTP, and the cache on disk.

Import the public API from :mod:`kb.sources`; the modules here are its parts:
:mod:`.manifest` (what to fetch), :mod:`.content` (which links an item has and which we
may follow), :mod:`.client` (HTTP with retries and caps), :mod:`.cache` (the files fetch
keeps) and :mod:`.run` (one run, and its report).
"""
