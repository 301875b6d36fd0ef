"""kb: a knowledge base with semantic search over child safeguarding practice reviews.

This is kb's public face: what the app, the CLI's users and scripts need, as
``from kb import Library, Settings, Filters``. ``Library`` opens everything
else; the rest are the records it takes and returns, and the errors it raises.

Names resolve on first use (PEP 562 module ``__getattr__``), not on import: the
parse sandbox's worker process imports ``kb.parse``, which imports this file
first, and must not load the store, the model and the web app behind
``Library``. Code inside kb imports from the defining module, never from here.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.answer.model import NO_MATCH_MESSAGE, Answer, AnswerSentence
    from kb.config import Settings
    from kb.errors import (
        ConfigError,
        FetchError,
        KbError,
        ParseError,
        RenderError,
        StoreBusy,
        StoreError,
        UsageError,
    )
    from kb.library import Library, Precedents, Stats
    from kb.records import Chunk, Document, Filters, Hit, IngestReport, PageImage, Progress
    from kb.retrieve.precedents import Precedent, ReviewGroup
    from kb.retrieve.search import SearchResult
    from kb.sources.govuk.run import FetchReport
    from kb.workspace.pinned import Collection, Collections, PinnedPassage
    from kb.workspace.uploads import Upload, UploadReport

# Each public name and the module that defines it.
_HOMES = {
    "Library": "kb.library",
    "Precedents": "kb.library",
    "Stats": "kb.library",
    "Settings": "kb.config",
    "KbError": "kb.errors",
    "ConfigError": "kb.errors",
    "FetchError": "kb.errors",
    "ParseError": "kb.errors",
    "RenderError": "kb.errors",
    "StoreBusy": "kb.errors",
    "StoreError": "kb.errors",
    "UsageError": "kb.errors",
    "Chunk": "kb.records",
    "Document": "kb.records",
    "Filters": "kb.records",
    "Hit": "kb.records",
    "NO_MATCH_MESSAGE": "kb.answer.model",
    "Answer": "kb.answer.model",
    "AnswerSentence": "kb.answer.model",
    "ReviewGroup": "kb.retrieve.precedents",
    "IngestReport": "kb.records",
    "Progress": "kb.records",
    "Precedent": "kb.retrieve.precedents",
    "SearchResult": "kb.retrieve.search",
    "FetchReport": "kb.sources.govuk.run",
    "PageImage": "kb.records",
    "Collection": "kb.workspace.pinned",
    "Collections": "kb.workspace.pinned",
    "PinnedPassage": "kb.workspace.pinned",
    "Upload": "kb.workspace.uploads",
    "UploadReport": "kb.workspace.uploads",
}

__all__ = [
    "NO_MATCH_MESSAGE",
    "Answer",
    "AnswerSentence",
    "Chunk",
    "Collection",
    "Collections",
    "ConfigError",
    "Document",
    "FetchError",
    "FetchReport",
    "Filters",
    "Hit",
    "IngestReport",
    "KbError",
    "Library",
    "PageImage",
    "ParseError",
    "PinnedPassage",
    "Precedent",
    "Precedents",
    "Progress",
    "RenderError",
    "ReviewGroup",
    "SearchResult",
    "Settings",
    "Stats",
    "StoreBusy",
    "StoreError",
    "Upload",
    "UploadReport",
    "UsageError",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'kb' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
