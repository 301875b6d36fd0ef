"""Chunk marks round-trip through the stored payload; old payloads load without them."""

from __future__ import annotations

from kb.records import FACT, MARKER, Chunk, Document, Mark
from kb.store.payload import chunk_from_payload, chunk_payload


def test_marks_round_trip() -> None:
    chunk = Chunk("d", 0, "duty16 No, this is not the case.", 1, 1,
                  marks=(Mark(4, 6, MARKER), Mark(7, 32, FACT, "Consent is needed")))
    assert chunk_from_payload(chunk_payload(Document("d", "d.pdf"), chunk)) == chunk


def test_a_payload_written_before_marks_loads_with_none() -> None:
    payload = chunk_payload(Document("d", "d.pdf"), Chunk("d", 0, "Some text here.", 1, 1))
    del payload["marks"]
    assert chunk_from_payload(payload).marks == ()
