"""kb.workspace.pinned: named collections saved beside the store, written atomically."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from broad_answer import broad_answer
from kb.config import Settings
from kb.errors import KbError, UsageError
from kb.records import Chunk, Document, Hit
from kb.workspace.pinned import (
    FOLDER,
    Collection,
    Collections,
    PinnedPassage,
    clean_name,
    file_name,
    pin_finding,
    reference_for,
)


def hit(index: int = 0, *, page: int = 4, url: str = "") -> Hit:
    doc = Document(
        doc_id="d1",
        file="child-q.pdf",
        title="Local Child Safeguarding Practice Review: Child Q",
        publisher="Eastmarsh Safeguarding Children Partnership",
        year=2023,
        doc_type="local_review",
        source_url=url,
        path="/data/child-q.pdf",
    )
    chunk = Chunk(
        doc_id="d1",
        index=index,
        text=f"Nobody brought the pieces together ({index}).",
        page_start=page,
        page_end=page,
        heading_path=("3 Findings", "3.1 Information sharing"),
    )
    return Hit(chunk=chunk, document=doc, score=0.5)


def test_pinned_passage_carries_a_full_reference() -> None:
    p = PinnedPassage.from_hit(hit(url="https://example.org/q.pdf"), question="who shared?")
    ref = p.reference()
    for part in (
        "Local Child Safeguarding Practice Review: Child Q",
        "Eastmarsh Safeguarding Children Partnership",
        "2023",
        "p. 4",
        "3.1 Information sharing",
        "https://example.org/q.pdf",
    ):
        assert part in ref
    assert p.question == "who shared?" and p.pinned_at
    assert "child-q.pdf" in reference_for(hit())  # no URL: the file name instead


def test_pages_range_is_shown_as_pp() -> None:
    h = hit()
    p = PinnedPassage.from_hit(replace(h, chunk=replace(h.chunk, page_end=6)))
    assert p.pages == "pp. 4\u20136"


def test_collections_live_under_the_store_and_survive_a_restart(tmp_path: Path) -> None:
    settings = Settings.of(store_dir=tmp_path / ".kb")
    store = Collections.for_settings(settings.store)
    assert store.root == tmp_path / ".kb" / FOLDER
    store.pin("Neglect session", PinnedPassage.from_hit(hit(0)))
    store.pin("Neglect session", PinnedPassage.from_hit(hit(1)))
    store.pin("Neglect session", PinnedPassage.from_hit(hit(1)))  # pinning twice is a no-op

    reopened = Collections.for_settings(settings.store)  # a fresh object, as after a restart
    col = reopened.get("Neglect session")
    assert [p.chunk_id for p in col.items] == [hit(0).chunk.chunk_id, hit(1).chunk.chunk_id]
    assert reopened.names() == ["Neglect session"]

    reopened.unpin("Neglect session", hit(0).chunk.chunk_id)
    assert len(reopened.get("Neglect session")) == 1
    reopened.delete("Neglect session")
    assert reopened.names() == []


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path: Path) -> None:
    store = Collections(tmp_path)
    store.create("A")
    store.pin("A", PinnedPassage.from_hit(hit()))
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [file_name("A")]
    data = json.loads((tmp_path / file_name("A")).read_text())
    assert data["name"] == "A" and len(data["items"]) == 1 and data["version"] == 1


def test_concurrent_pins_from_sessions_are_all_kept(tmp_path: Path) -> None:
    store = Collections(tmp_path)
    threads = [
        threading.Thread(target=store.pin, args=("Shared", PinnedPassage.from_hit(hit(i))))
        for i in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.get("Shared")) == 20


def test_names_are_validated_and_file_names_are_safe(tmp_path: Path) -> None:
    assert clean_name("  Panel   precedents ") == "Panel precedents"
    for bad in ("", "   ", "x" * 81, "bad\x00name"):
        with pytest.raises(UsageError):
            clean_name(bad)
    name = "../../etc/passwd"
    assert "/" not in file_name(name) and ".." not in file_name(name)
    assert file_name("Neglect") != file_name("neglect")
    store = Collections(tmp_path / "c")
    store.create(name)
    assert [p.parent for p in (tmp_path / "c").iterdir()] == [tmp_path / "c"]


def test_a_damaged_file_is_skipped_not_fatal(tmp_path: Path) -> None:
    store = Collections(tmp_path)
    store.create("Good")
    (tmp_path / "broken-0000000000.json").write_text("{not json")
    assert store.names() == ["Good"]


def test_a_collection_that_cannot_be_saved_is_one_clear_error(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the collections folder should be")
    with pytest.raises(KbError, match=r"cannot save collection .*\.json"):
        Collections(blocked).pin("Session", PinnedPassage.from_hit(hit()))


def test_collection_round_trips_through_dict() -> None:
    col = Collection("X").with_item(PinnedPassage.from_hit(hit()))
    again = Collection.from_dict(json.loads(json.dumps(col.to_dict())))
    assert again == col


def test_a_pinned_finding_carries_its_sentence_group_and_also_in(tmp_path: Path) -> None:
    answer = broad_answer()
    shared, school, _ = answer.findings
    p = pin_finding(answer, shared)
    assert p.chunk_id == answer.passages[0].chunk.chunk_id  # the key passage is pinned
    assert p.finding == shared.key.text and p.finding in p.text
    assert p.group == "reviews" and p.question == answer.question
    [also] = p.also_in
    assert also.sentence == "Information was not shared between agencies."
    assert also.title == "Review of Child B" and also.pages == "p. 4"
    assert "b.pdf" in also.reference()  # no URL: the file name
    # Two findings of one passage, and a plain pin of it, are three pins.
    store = Collections(tmp_path)
    plain = PinnedPassage.from_hit(answer.passages[0])
    for item in (p, pin_finding(answer, school), plain, p):
        store.pin("Session", item)
    col = store.get("Session")
    assert len(col) == 3 and p.key in col and plain.key == plain.chunk_id
    assert col.items[0] == p  # saved and read back whole, also-in included
    store.unpin("Session", p.key)
    assert [x.key for x in store.get("Session").items][1] == plain.chunk_id


def test_a_note_is_kept_and_a_passage_moves_within_its_collection(tmp_path: Path) -> None:
    cols = Collections(tmp_path)
    for i in range(3):
        cols.pin("Session", PinnedPassage.from_hit(hit(i)))
    ids = [p.chunk_id for p in cols.get("Session").items]
    cols.set_note("Session", ids[1], "  Ask the group what the GP knew.  ")
    cols.move("Session", ids[2], -1)
    cols.move("Session", ids[0], -5)  # already first: stays first
    again = Collections(tmp_path).get("Session")  # read back from disk
    assert [p.chunk_id for p in again.items] == [ids[0], ids[2], ids[1]]
    assert again.items[2].note == "Ask the group what the GP knew."
    cols.set_note("Session", ids[1], "")
    assert cols.get("Session").items[2].note == ""


def test_the_digest_follows_content_not_time() -> None:
    one = Collection("S").with_item(PinnedPassage.from_hit(hit(0)))
    later = replace(one, updated="2099-01-01T00:00:00+00:00")
    assert one.digest() == later.digest()
    assert one.digest() != one.with_note(one.items[0].chunk_id, "why").digest()
    two = one.with_item(PinnedPassage.from_hit(hit(1)))
    assert two.digest() != two.moved(two.items[1].chunk_id, -1).digest()
