"""How kb's records are stored as Qdrant points, and read back, by both backends.

Each chunk is a point whose payload holds the chunk and its document's
citation fields (so a hit needs no second lookup); each document also has one
vector-less "document" point, written after its chunks (see ``kb.store``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from kb.records import Chunk, Document, LearningItem, Mark
from kb.store.contract import DENSE, SENTENCES, StoredHit


def chunk_payload(document: Document, chunk: Chunk) -> dict[str, Any]:
    return {
        "record": "chunk",
        "doc_id": document.doc_id,
        "index": chunk.index,
        "file": document.file,
        "title": document.title,
        "publisher": document.publisher,
        "year": document.year,
        "doc_type": document.doc_type,
        "source_url": document.source_url,
        "fictional": document.fictional,
        "page_start": chunk.page_start,
        "page_end": chunk.page_end,
        "heading_path": list(chunk.heading_path),
        "heading": chunk.heading,
        "text": chunk.text,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "kind": chunk.kind,
        "themes": list(chunk.themes),
        "ocr": chunk.ocr,
        "n_tokens": chunk.n_tokens,
        "role": chunk.role,
        "items": [item.to_dict() for item in chunk.items],
        "marks": [[m.start, m.end, m.kind, m.note] for m in chunk.marks],
    }


def document_payload(document: Document) -> dict[str, Any]:
    return {"record": "document", **document.to_dict()}


def chunk_from_payload(p: dict[str, Any]) -> Chunk:
    return Chunk(
        doc_id=p["doc_id"],
        index=int(p["index"]),
        text=p["text"],
        page_start=int(p["page_start"]),
        page_end=int(p["page_end"]),
        heading_path=tuple(p.get("heading_path") or ()),
        char_start=int(p.get("char_start", 0)),
        char_end=int(p.get("char_end", 0)),
        kind=p.get("kind", "passage"),
        themes=tuple(p.get("themes") or ()),
        ocr=bool(p.get("ocr", False)),
        n_tokens=int(p.get("n_tokens", 0)),
        # Stores ingested before roles existed read as "other", with no items.
        role=p.get("role", "other"),
        items=tuple(LearningItem.from_dict(i) for i in p.get("items") or ()),
        marks=marks_from_payload(p.get("marks")),
    )


def marks_from_payload(rows: Any) -> tuple[Mark, ...]:
    """The chunk's marks; none for a chunk stored before kb marked boilerplate."""
    return tuple(
        Mark(int(r[0]), int(r[1]), str(r[2]), str(r[3]) if len(r) > 3 else "")
        for r in rows or ()
    )


def document_from_chunk_payload(p: dict[str, Any]) -> Document:
    return Document(
        doc_id=p["doc_id"],
        file=p["file"],
        title=p.get("title", ""),
        publisher=p.get("publisher", ""),
        year=p.get("year"),
        doc_type=p.get("doc_type", "other"),
        source_url=p.get("source_url", ""),
        fictional=bool(p.get("fictional", False)),
    )


def dense_of(vector: Any) -> np.ndarray | None:
    if isinstance(vector, dict) and DENSE in vector:
        return np.asarray(vector[DENSE], dtype=np.float32)
    return None


def stored_hit(payload: dict[str, Any], score: float, vector: np.ndarray | None) -> StoredHit:
    p = dict(payload)
    return StoredHit(chunk_from_payload(p), document_from_chunk_payload(p), float(score), vector)


def sentence_vectors_of(sentences: Sequence[np.ndarray] | None, i: int) -> dict[str, Any]:
    """The named multivector for chunk ``i``, if it has sentence vectors."""
    if sentences is None or len(sentences[i]) == 0:
        return {}
    return {SENTENCES: np.asarray(sentences[i], dtype=np.float32).tolist()}


def sentence_rows(records: Iterator[tuple[str, Any]]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for point_id, vectors in records:
        rows = (vectors or {}).get(SENTENCES) if isinstance(vectors, dict) else None
        if rows:
            out[point_id] = np.asarray(rows, dtype=np.float32)
    return out


def missing_sentence_vectors(exc: Exception) -> bool:
    """Whether reading sentence vectors failed only because the index predates them.

    Qdrant (Edge and server alike) answers "Not existing vector name" for an
    index built before kb stored them; search then embeds those sentences
    itself. Anything else is a real failure and must not be hidden.
    """
    return "not existing vector name" in str(exc).lower()
