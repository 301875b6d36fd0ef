"""kb.workspace.uploads and Library.add_uploads: safe names, no upload replacing another,
identical bytes reused, unsupported files refused one by one."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from conftest import REVIEW_PAGES, write_pdf
from kb.config import Settings
from kb.embed.hashing import HashEmbedder
from kb.library import Library
from kb.records import Progress
from kb.workspace import uploads


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("子供.pdf", "子供.pdf"),
        ("😀.pdf", "upload.pdf"),
        ("Review (final).pdf", "Review _final_.pdf"),
        ("Review [final].pdf", "Review _final_.pdf"),
        ("Évaluation de l’enfant.DOCX", "Évaluation de l_enfant.docx"),
        ("बच्चे की समीक्षा.pdf", "बच्चे की समीक्षा.pdf"),  # vowel signs are marks: kept
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\Child Q.pdf", "Child Q.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("a\nb\x00c.pdf", "a_b_c.pdf"),
    ],
)
def test_safe_name_keeps_letters_of_any_script(given: str, expected: str) -> None:
    assert uploads.safe_name(given) == expected


def test_safe_name_keeps_within_the_file_system_byte_limit() -> None:
    name = uploads.safe_name("子" * 200 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode()) <= uploads.MAX_STEM_BYTES + 4
    assert set(name.removesuffix(".pdf")) == {"子"}  # cut between characters, not inside one


def test_refusal_names_the_kinds_taken() -> None:
    assert uploads.refusal("notes.txt") == "only PDF and DOCX files can be added"
    assert uploads.refusal("x.pdf.exe") and uploads.refusal("pdf")
    assert uploads.refusal("Report.PDF") == "" and uploads.refusal("a.docx") == ""


def test_names_that_collide_after_cleaning_get_a_content_hash(tmp_path: Path) -> None:
    first = uploads.keep(tmp_path, "Review (final).pdf", b"one")
    second = uploads.keep(tmp_path, "Review [final].pdf", b"two")
    assert first.name == "Review _final_.pdf"
    assert second.name.startswith("Review _final_-") and second.suffix == ".pdf"
    assert len(second.stem.rsplit("-", 1)[1]) == 8
    assert first.read_bytes() == b"one" and second.read_bytes() == b"two"
    emoji, kanji = uploads.keep(tmp_path, "😀.pdf", b"a"), uploads.keep(tmp_path, "子供.pdf", b"b")
    assert emoji != kanji and emoji.read_bytes() == b"a" and kanji.read_bytes() == b"b"


def test_identical_bytes_reuse_the_file(tmp_path: Path) -> None:
    first = uploads.keep(tmp_path, "Review (final).pdf", b"one")
    other = uploads.keep(tmp_path, "Review [final].pdf", b"two")
    assert uploads.keep(tmp_path, "Review (final).pdf", b"one") == first
    assert uploads.keep(tmp_path, "Review [final].pdf", b"two") == other
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, other.name])


def test_a_hash_name_taken_by_other_bytes_gets_a_longer_hash(tmp_path: Path) -> None:
    uploads.keep(tmp_path, "r.pdf", b"one")
    digest = hashlib.sha256(b"two").hexdigest()
    (tmp_path / f"r-{digest[:8]}.pdf").write_bytes(b"something else")
    kept = uploads.keep(tmp_path, "r.pdf", b"two")
    assert kept.name == f"r-{digest[:16]}.pdf" and kept.read_bytes() == b"two"


def test_keep_all_refuses_only_the_unsupported_file(tmp_path: Path) -> None:
    kept = uploads.keep_all(tmp_path, [("a.pdf", b"1"), ("notes.txt", b"2"), ("b.docx", b"3")])
    assert [u.name for u in kept] == ["a.pdf", "notes.txt", "b.docx"]
    assert [bool(u.stored) for u in kept] == [True, False, True]
    assert kept[1].error == "only PDF and DOCX files can be added"
    assert not (tmp_path / "notes.txt").exists()
    report = uploads.UploadReport(tuple(kept))
    assert report.refused == [kept[1]]
    assert report.name_of(kept[2].stored) == "b.docx"


def test_relay_progress_names_the_upload() -> None:
    seen: list[str] = []
    kept = [uploads.Upload("Review [final].pdf", stored="/x/uploads/Review _final_.pdf")]
    relay = uploads.relay_progress(lambda p: seen.append(p.current), kept)
    assert relay is not None and uploads.relay_progress(None, kept) is None
    relay(Progress(1, 1, 1, 1, 1, 0.1, "Review _final_.pdf"))
    assert seen == ["Review [final].pdf"]


def test_library_keeps_both_uploads_whose_names_collide(tmp_path: Path) -> None:
    settings = Settings.of(store_dir=tmp_path / ".kb", ocr=False, parse_timeout=0)
    pages = [list(p) for p in REVIEW_PAGES]
    one = write_pdf(tmp_path / "one.pdf", pages, title="Child Q review: first draft")
    changed = [*pages[:-1], [*pages[-1], "An addendum that makes this a different file."]]
    two = write_pdf(tmp_path / "two.pdf", changed, title="Child Q review: final version")
    library = Library(settings, embedder=HashEmbedder())
    seen: list[str] = []
    try:
        report = library.add_uploads(
            [
                ("Review (final).pdf", one.read_bytes()),
                ("Review [final].pdf", two.read_bytes()),
                ("notes.txt", b"not a review"),
            ],
            progress=lambda p: seen.append(p.current) if not p.stage else None,
        )
        documents = library.documents()
    finally:
        library.close()
    assert not report.ingest.failed, report.ingest.failed
    added = report.names_of(report.ingest.added)
    assert sorted(added) == ["Review (final).pdf", "Review [final].pdf"]
    assert [u.name for u in report.refused] == ["notes.txt"]
    files = sorted(d.file for d in documents)
    assert files[1] == "Review _final_.pdf"
    assert re.fullmatch(r"Review _final_-[0-9a-f]{8}\.pdf", files[0]), files
    stored = sorted(p.name for p in (settings.store.store_dir / "uploads").iterdir())
    assert stored == sorted(files)
    assert sorted(seen) == ["Review (final).pdf", "Review [final].pdf"]
