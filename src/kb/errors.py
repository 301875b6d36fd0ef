"""The small hierarchy of errors kb raises on purpose.

The CLI and the app turn each of these into a one-line message; anything else
is a bug and is allowed to show a traceback.
"""

from __future__ import annotations

from pathlib import Path


class KbError(Exception):
    """Base class for every error kb reports to a person."""


class ConfigError(KbError):
    """A setting is missing or malformed."""


class UsageError(KbError):
    """The caller asked for something that cannot be done (exit code 2)."""


class ParseError(KbError):
    """A file could not be turned into text; carries the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


class StoreError(KbError):
    """The vector store could not be opened, read or written."""


class StoreBusy(StoreError):
    """Another process holds the embedded store's write lock."""


class DiskFull(StoreError):
    """There is not room on the disk for what the store must write; nothing is damaged."""


class IndexDamaged(StoreError):
    """A generation of the embedded index fails its check; ``problems`` has one line each."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more: see `kb check`)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


class RenderError(KbError):
    """A PDF page could not be shown as an image."""


class FetchError(KbError):
    """A publication could not be downloaded."""
