"""The answer records: what `kb ask` prints, the app shows and exports carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kb.records import Hit

NO_MATCH_MESSAGE = "No passage in the library answers this closely."


@dataclass(frozen=True)
class AnswerSentence:
    """One verbatim sentence of an answer and the number of the passage it is from."""

    text: str
    citation: int  # 1-based number of the passage in ``Answer.passages``
    start: int = 0  # offset of ``text`` in that passage's text
    end: int = 0
    score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "citation": self.citation}


@dataclass(frozen=True)
class Answer:
    """What `kb ask` prints and the app shows: cited sentences over numbered passages.

    When ``no_match`` is true there are no sentences and ``passages`` are only
    the nearest ("related") passages, never an answer.
    """

    question: str
    sentences: tuple[AnswerSentence, ...]
    passages: tuple[Hit, ...]
    no_match: bool
    best_similarity: float = 0.0
    no_match_reason: str = ""  # the search's, when a check besides similarity said no
    # Cautions about the answer's support, e.g. "one local source only" (kb.answer.scope).
    flags: tuple[str, ...] = ()

    @property
    def no_match_message(self) -> str:
        """What to tell the reader when there is no answer."""
        return f"{NO_MATCH_MESSAGE} {self.no_match_reason}".strip()

    @property
    def text(self) -> str:
        return " ".join(f"{s.text} [{s.citation}]" for s in self.sentences)

    def spans_of(self, number: int) -> list[tuple[int, int]]:
        """Where the answer's sentences sit in passage ``number`` (for highlighting)."""
        return [(s.start, s.end) for s in self.sentences if s.citation == number]

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "no_match": self.no_match,
            "no_match_reason": self.no_match_reason,
            "best_similarity": round(self.best_similarity, 4),
            "sentences": [s.to_dict() for s in self.sentences],
            "passages": [
                {
                    "number": n,
                    "doc": h.document.file,
                    "page_start": h.chunk.page_start,
                    "page_end": h.chunk.page_end,
                    "heading": h.chunk.heading,
                    "text": h.chunk.text,
                    "title": h.document.title,
                    "publisher": h.document.publisher,
                    "year": h.document.year,
                    "doc_type": h.document.doc_type,
                    "source_url": h.document.source_url,
                    "citation": h.citation(),
                    "chunk_id": h.chunk.chunk_id,
                }
                for n, h in enumerate(self.passages, 1)
            ],
            "flags": list(self.flags),
        }
