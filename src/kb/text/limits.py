"""Length caps on text a document supplies about itself: its title and headings.

A title or heading comes from a file's metadata, a sidecar or the first
lines of its text, so it can be any length: a 1 MB title was stored whole,
and shown whole in every citation. ``Ingestor.prepare`` applies these caps to
every document it indexes, whichever source the text came from.

``QUERY_MAX_CHARS`` and ``CASE_MAX_CHARS`` cap what a person types
(``kb.library`` refuses longer with a one-line message).

``excerpt`` is the other cut: the start of a passage shown as a preview (the
CLI's hits and precedents, the app's snippets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from kb.records import Page

TITLE_MAX_CHARS = 300  # room for a long title and its subtitle
# What a person may type: a question (the CLI and the app), and the case
# summary ``kb similar`` compares (100-300 words asked; room for ten times that).
QUERY_MAX_CHARS = 2_000
CASE_MAX_CHARS = 20_000
HEADING_MAX_CHARS = 200
ELLIPSIS = "\u2026"


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word boundary when
    one falls in the second half, with an ellipsis marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-\u2013") + ELLIPSIS


def excerpt(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its first ``limit`` cut back
    to the last space, with a spaced ellipsis marking the cut."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " " + ELLIPSIS


def cap_headings(pages: Sequence[Page]) -> tuple[Page, ...]:
    """``pages`` with each heading's text clipped to ``HEADING_MAX_CHARS``.

    Only the recorded heading text (what section paths and citations show)
    is clipped; the page text and the headings' offsets into it are unchanged.
    """
    return tuple(_cap_page(p) for p in pages)


def _cap_page(page: Page) -> Page:
    if all(len(h.text) <= HEADING_MAX_CHARS for h in page.headings):
        return page
    headings = tuple(replace(h, text=clip(h.text, HEADING_MAX_CHARS)) for h in page.headings)
    return replace(page, headings=headings)
