"""The answer records: what `kb ask` prints, the app shows and exports carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kb.records import CELL, FACT, Hit

NO_MATCH_MESSAGE = "No passage in the library answers this closely."
# ``Finding.group``'s values and their headings, in the order a summary shows them.
GROUP_TITLES = {"reviews": "What reviews found", "guidance": "What guidance says"}


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
class Support:
    """One place that states a finding: a verbatim sentence of a numbered passage."""

    text: str
    citation: int  # 1-based number of the passage in ``Answer.passages``
    start: int = 0  # offset of ``text`` in that passage's text
    end: int = 0


@dataclass(frozen=True)
class Finding:
    """One claim of a broad answer: its key sentence, then the sentences of other
    documents that say nearly the same ("also in"), so ``count`` documents support it.

    ``group`` is "reviews" (reviews, inspections, research: what was found) or
    "guidance" (what should be done), from the key passage's document type.
    """

    key: Support
    also_in: tuple[Support, ...] = ()
    count: int = 1  # documents that state it, the key's included
    group: str = "reviews"
    score: float = 0.0

    @property
    def supports(self) -> tuple[Support, ...]:
        return (self.key, *self.also_in)


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
    # "broad" (an evidence summary of ``findings``) or "narrow" (the sentences only).
    form: str = "narrow"
    findings: tuple[Finding, ...] = ()

    @property
    def no_match_message(self) -> str:
        """What to tell the reader when there is no answer."""
        return f"{NO_MATCH_MESSAGE} {self.no_match_reason}".strip()

    @property
    def text(self) -> str:
        return " ".join(f"{s.text} [{s.citation}]" for s in self.sentences)

    def plain_lines(self) -> list[str]:
        """The sentences as `kb ask` prints them, "- text [n]", each fact of a
        Myth/Fact row followed by "  Myth: ..." (beside it, never as a claim), and
        a threshold matrix's cell by "  Table cell: <its label>"."""
        out: list[str] = []
        for s in self.sentences:
            out.append(f"- {' '.join(s.text.split())} [{s.citation}]")
            out += self._note_lines(s)
        return out

    def labels_of(self, sentence: AnswerSentence | Support) -> list[str]:
        """What is read beside a quoted sentence, never as part of it: "Myth: ..."
        for the fact of a Myth/Fact row, "Table cell: ..." for a matrix's cell."""
        out = [f"Myth: {' '.join(m.split())}"] if (m := self.myth_of(sentence)) else []
        return out + ([f"Table cell: {c}"] if (c := self.cell_of(sentence)) else [])

    def _note_lines(self, sentence: AnswerSentence | Support) -> list[str]:
        return [f"  {label}" for label in self.labels_of(sentence)]

    @property
    def documents_cited(self) -> int:
        """Distinct documents the findings cite, "also in" included."""
        return len(
            {
                self.passages[s.citation - 1].document.doc_id
                for f in self.findings
                for s in f.supports
            }
        )

    def summary_lines(self) -> list[str]:
        """A broad answer's evidence summary as `kb ask` prints it: the form used,
        then each group's findings, each key sentence cited, with how many
        documents state it and where else ("also in: [3], [7]"), myth or cell
        label beside it. A narrow answer prints ``plain_lines`` instead."""
        n = self.documents_cited
        out = [f"Evidence summary across {n} document{'s' if n != 1 else ''}:"]
        for group, title in GROUP_TITLES.items():
            found = [f for f in self.findings if f.group == group]
            if found:
                out += ["", f"{title}:"]
            for f in found:
                also = ", ".join(f"[{s.citation}]" for s in f.also_in)
                where = f"; also in {also}" if also else ""
                out.append(f"- {' '.join(f.key.text.split())} [{f.key.citation}]")
                out.append(f"  stated in {f.count} document{'s' if f.count != 1 else ''}{where}")
                out += self._note_lines(f.key)
        return out

    def spans_of(self, number: int) -> list[tuple[int, int]]:
        """Where the answer's sentences sit in passage ``number`` (for highlighting)."""
        return [(s.start, s.end) for s in self.sentences if s.citation == number]

    def _citation(self, support: Support) -> dict[str, Any]:
        h = self.passages[support.citation - 1]
        return {
            **self.notes_of(support),
            "sentence": support.text,
            "number": support.citation,
            "doc": h.document.file,
            "page_start": h.chunk.page_start,
            "page_end": h.chunk.page_end,
            "section": h.chunk.heading,
            "text": h.chunk.text,
        }

    def findings_dict(self) -> list[dict[str, Any]]:
        """Each finding with its key sentence, count, group and every citation
        (key first), so a program can check each claim against its page."""
        return [
            {
                "text": f.key.text,
                **self.notes_of(f.key),
                "count": f.count,
                "group": f.group,
                "citations": [self._citation(s) for s in f.supports],
            }
            for f in self.findings
        ]

    def myth_of(self, sentence: AnswerSentence | Support) -> str:
        """The myth a sentence (or a finding's) answers, when it is the fact of a
        Myth/Fact table row (``kb.ingest.tables``): shown beside it as "Myth: ...",
        never as a statement."""
        return self._note_of(sentence, FACT)

    def cell_of(self, sentence: AnswerSentence | Support) -> str:
        """The label of the threshold-matrix cell a sentence is in ("ABUSE AND
        NEGLECT: Level 4", ``kb.parse.matrix``), or "": the level a description
        belongs to is in the column's header, not in the sentence."""
        return self._note_of(sentence, CELL)

    def _note_of(self, sentence: AnswerSentence | Support, kind: str) -> str:
        if not 1 <= sentence.citation <= len(self.passages):
            return ""
        marks = self.passages[sentence.citation - 1].chunk.marks
        return next(
            (m.note for m in marks if m.kind == kind and m.start <= sentence.start < m.end), ""
        )

    def notes_of(self, sentence: AnswerSentence | Support) -> dict[str, str]:
        """The ``myth`` and ``cell`` a sentence carries, for ``kb ask --json``."""
        notes = {"myth": self.myth_of(sentence), "cell": self.cell_of(sentence)}
        return {k: v for k, v in notes.items() if v}

    def _sentence_dict(self, sentence: AnswerSentence) -> dict[str, Any]:
        return {**sentence.to_dict(), **self.notes_of(sentence)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "form": self.form,
            "findings": self.findings_dict(),
            "no_match": self.no_match,
            "no_match_reason": self.no_match_reason,
            "best_similarity": round(self.best_similarity, 4),
            "sentences": [self._sentence_dict(s) for s in self.sentences],
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
