"""kb.ingest.run: the Ingestor with HashEmbedder and a real Edge store in a temporary folder."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import REVIEW_PAGES, write_bad_files, write_image_only_pdf, write_pdf
from kb.config import Settings
from kb.embed.bm25 import Bm25Encoder
from kb.embed.hashing import HashEmbedder
from kb.files import file_sha256
from kb.ingest.chunk import embed_text
from kb.ingest.run import INDEX_FORMAT, Ingestor, discover
from kb.records import Chunk, Document, Filters, IngestReport, Progress
from kb.store.contract import EmbeddedChunks
from kb.store.edge import EdgeStore

NAMES = ("A", "B", "C")


def review(name: str, extra: str = "") -> list[list[str]]:
    pages = [[line.replace("Child Q", f"Child {name}") for line in page] for page in REVIEW_PAGES]
    pages[2].append(f"Child {name} was known by the nickname {name.lower() * 3}.")
    if extra:
        pages[2].append(extra)
    return pages


def make_corpus(folder: Path) -> list[Path]:
    return [write_pdf(folder / f"review-{n.lower()}.pdf", review(n)) for n in NAMES]


def names(paths: list[str]) -> list[str]:
    return sorted(Path(p).name for p in paths)


def failures(report: IngestReport) -> dict[str, str]:
    return {Path(f.path).name: f.reason for f in report.failed}


@pytest.fixture
def ingestor(edge_store: EdgeStore, hash_embedder: HashEmbedder, settings: Settings) -> Ingestor:
    return Ingestor(edge_store, hash_embedder, settings.ingest, settings.parse)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    make_corpus(folder)
    return folder


def chunk_ids(store: EdgeStore) -> dict[str, list[str]]:
    return {d.file: [c.chunk_id for c in store.chunks_of(d.doc_id)] for d in store.documents()}


# --------------------------------------------------------------------------- the happy path


def test_ingest_a_folder(ingestor: Ingestor, corpus: Path, edge_store: EdgeStore) -> None:
    report = ingestor.run([corpus])
    assert names(report.added) == ["review-a.pdf", "review-b.pdf", "review-c.pdf"]
    assert report.failed == [] and report.updated == [] and report.unchanged == []
    assert report.exit_code == 0
    assert report.pages == 9
    assert report.chunks == edge_store.count(Filters()) > 3
    assert report.tokens > 0

    docs = edge_store.documents()
    assert [d.file for d in docs] == ["review-a.pdf", "review-b.pdf", "review-c.pdf"]
    for d in docs:
        path = corpus / d.file
        assert d.doc_id == file_sha256(path)
        assert d.path == str(path.resolve())
        assert d.title == path.stem
        assert d.n_pages == 3
        assert d.n_chunks == len(edge_store.chunks_of(d.doc_id)) > 0
    assert sum(d.n_chunks for d in docs) == report.chunks


def test_second_run_changes_nothing(
    ingestor: Ingestor, corpus: Path, edge_store: EdgeStore
) -> None:
    ingestor.run([corpus])
    count, ids = edge_store.count(Filters()), chunk_ids(edge_store)
    again = ingestor.run([corpus])
    assert names(again.unchanged) == ["review-a.pdf", "review-b.pdf", "review-c.pdf"]
    assert again.added == [] and again.updated == [] and again.failed == []
    assert again.chunks == 0
    assert edge_store.count(Filters()) == count
    assert chunk_ids(edge_store) == ids


def test_documents_of_an_older_index_format_are_re_embedded_once(
    ingestor: Ingestor, corpus: Path, edge_store: EdgeStore
) -> None:
    ingestor.run([corpus])
    count, ids = edge_store.count(Filters()), chunk_ids(edge_store)
    old = next(d for d in edge_store.documents() if d.file == "review-b.pdf")
    assert old.index_format == INDEX_FORMAT
    edge_store.put_document(replace(old, index_format=INDEX_FORMAT - 1))
    upgrade = ingestor.run([corpus])
    assert names(upgrade.updated) == ["review-b.pdf"] and upgrade.added == []
    assert names(upgrade.unchanged) == ["review-a.pdf", "review-c.pdf"]
    assert upgrade.chunks == old.n_chunks
    assert edge_store.count(Filters()) == count and chunk_ids(edge_store) == ids
    stored = next(d for d in edge_store.documents() if d.file == "review-b.pdf")
    assert stored.index_format == INDEX_FORMAT
    assert ingestor.run([corpus]).updated == []


def test_two_copies_of_one_file_are_indexed_once(
    ingestor: Ingestor, corpus: Path, edge_store: EdgeStore
) -> None:
    first = sorted(corpus.glob("*.pdf"))[0]
    copy = corpus / "zz-copy-of-first.pdf"
    copy.write_bytes(first.read_bytes())
    report = ingestor.run([corpus])
    assert first.name in names(report.added) and copy.name not in names(report.added)
    assert [(Path(f.path).name, f.reason) for f in report.skipped] == [
        (copy.name, f"same content as {first}")
    ]
    assert report.exit_code == 0
    assert [d.file for d in edge_store.documents()].count(first.name) == 1
    assert len(edge_store.documents()) == len(NAMES)


def test_same_bytes_give_the_same_point_ids(
    tmp_path: Path, corpus: Path, hash_embedder: HashEmbedder, settings: Settings
) -> None:
    # Two independent stores, same files: identical chunks and point ids.
    stores = [EdgeStore(tmp_path / f"edge{i}", hash_embedder.dim) for i in range(2)]
    try:
        for store in stores:
            Ingestor(store, hash_embedder, settings.ingest, settings.parse).run([corpus])
        assert chunk_ids(stores[0]) == chunk_ids(stores[1])
        doc = stores[0].documents()[0]
        assert stores[0].chunks_of(doc.doc_id) == stores[1].chunks_of(doc.doc_id)
    finally:
        for store in stores:
            store.close()


def test_modified_file_replaces_its_chunks(
    ingestor: Ingestor, corpus: Path, edge_store: EdgeStore
) -> None:
    ingestor.run([corpus])
    path = corpus / "review-b.pdf"
    old_id = file_sha256(path)
    old_chunks = edge_store.chunks_of(old_id)
    write_pdf(path, review("B", extra="An addendum about the kangaroo toy was added later."))
    new_id = file_sha256(path)
    assert new_id != old_id

    report = ingestor.run([corpus])
    assert names(report.updated) == ["review-b.pdf"]
    assert names(report.unchanged) == ["review-a.pdf", "review-c.pdf"]
    assert report.added == []
    assert edge_store.chunks_of(old_id) == []
    assert old_id not in edge_store.chunk_doc_ids()
    docs = {d.file: d for d in edge_store.documents()}
    assert len(docs) == 3 and docs["review-b.pdf"].doc_id == new_id
    new_chunks = edge_store.chunks_of(new_id)
    assert any("kangaroo" in c.text for c in new_chunks)
    assert not any("kangaroo" in c.text for c in old_chunks)
    assert edge_store.count(Filters()) == sum(d.n_chunks for d in docs.values())


def test_deleted_file_is_removed_only_with_prune(
    ingestor: Ingestor, corpus: Path, edge_store: EdgeStore
) -> None:
    ingestor.run([corpus])
    gone = corpus / "review-c.pdf"
    gone_id = file_sha256(gone)
    gone.unlink()

    kept = ingestor.run([corpus])
    assert kept.removed == []
    assert gone_id in {d.doc_id for d in edge_store.documents()}

    pruned = ingestor.run([corpus], prune=True)
    assert pruned.removed == [str(gone.resolve())]
    assert [d.file for d in edge_store.documents()] == ["review-a.pdf", "review-b.pdf"]
    assert edge_store.chunks_of(gone_id) == []
    assert gone_id not in edge_store.chunk_doc_ids()


def test_prune_keeps_documents_whose_files_still_exist_elsewhere(
    ingestor: Ingestor, tmp_path: Path, corpus: Path, edge_store: EdgeStore
) -> None:
    other = tmp_path / "other"
    write_pdf(other / "elsewhere.pdf", review("E"))
    ingestor.run([corpus, other])
    report = ingestor.run([corpus], prune=True)
    assert report.removed == []
    assert len(edge_store.documents()) == 4


# --------------------------------------------------------------------------- bad input


def test_bad_files_are_reported_and_good_files_ingested(
    ingestor: Ingestor, tmp_path: Path, corpus: Path, edge_store: EdgeStore
) -> None:
    expected = write_bad_files(corpus, write_pdf(tmp_path / "src" / "good.pdf", review("G")))
    report = ingestor.run([corpus])
    assert names(report.added) == ["review-a.pdf", "review-b.pdf", "review-c.pdf"]
    failed = failures(report)
    assert set(failed) == set(expected)
    for name, fragment in expected.items():
        assert fragment in failed[name], (name, failed[name])
        assert "\n" not in failed[name]
    assert report.exit_code == 1
    assert {f["file"] for f in report.to_dict()["failed"]} == {str(corpus / n) for n in expected}
    assert [d.file for d in edge_store.documents()] == [
        "review-a.pdf",
        "review-b.pdf",
        "review-c.pdf",
    ]
    # Failed files leave nothing behind, and are tried (and reported) again next time.
    assert len(edge_store.chunk_doc_ids()) == 3
    again = ingestor.run([corpus])
    assert set(failures(again)) == set(expected) and again.exit_code == 1


def test_missing_path_is_a_failure(ingestor: Ingestor, tmp_path: Path) -> None:
    report = ingestor.run([tmp_path / "nowhere"])
    assert failures(report) == {"nowhere": "no such file or folder"}
    assert report.exit_code == 1


def test_explicit_file_and_unsupported_explicit_file(
    ingestor: Ingestor, tmp_path: Path, corpus: Path
) -> None:
    picture = tmp_path / "picture.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    report = ingestor.run([corpus / "review-a.pdf", picture])
    assert names(report.added) == ["review-a.pdf"]
    assert failures(report) == {"picture.png": "unsupported file type .png"}


# --------------------------------------------------------------------------- discovery


def test_hidden_temp_and_sidecar_files_are_skipped(
    ingestor: Ingestor, corpus: Path, edge_store: EdgeStore
) -> None:
    # Each of these is a perfectly good PDF (or DOCX name) that must still be ignored.
    for i, name in enumerate(
        ["~$draft.docx", ".hidden.pdf", "#recovered.pdf", "copy.pdf.tmp", ".~lock.x.pdf"]
    ):
        write_pdf(corpus / name, review(f"T{i}"))
    write_pdf(corpus / ".git" / "inside-hidden-dir.pdf", review("H"))
    (corpus / "metadata.csv").write_text("file,title\nreview-a.pdf,A\n")
    (corpus / "notes.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    report = ingestor.run([corpus])
    assert names(report.added) == ["review-a.pdf", "review-b.pdf", "review-c.pdf"]
    assert report.failed == [] and report.skipped == []
    assert len(edge_store.documents()) == 3


def test_discover_walks_subfolders_in_order(tmp_path: Path) -> None:
    write_pdf(tmp_path / "root" / "b.pdf", [["Some text for the file b here."]])
    write_pdf(tmp_path / "root" / "sub" / "a.pdf", [["Some text for the file a here."]])
    (tmp_path / "root" / "sub" / "c.txt").write_text("Some text.")
    report = IngestReport()
    found = discover([tmp_path / "root"], report)
    assert [p.relative_to(tmp_path / "root").as_posix() for p in found] == [
        "b.pdf",
        "sub/a.pdf",
        "sub/c.txt",
    ]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinks_outside_and_loops(
    ingestor: Ingestor, tmp_path: Path, corpus: Path, edge_store: EdgeStore
) -> None:
    outside = write_pdf(tmp_path / "outside" / "secret.pdf", review("S"))
    (corpus / "link-out.pdf").symlink_to(outside)
    (corpus / "loop.pdf").symlink_to(corpus / "loop.pdf")
    (corpus / "ping.pdf").symlink_to(corpus / "pong.pdf")
    (corpus / "pong.pdf").symlink_to(corpus / "ping.pdf")
    (corpus / "again").symlink_to(corpus, target_is_directory=True)  # a folder loop
    (corpus / "alias.pdf").symlink_to(corpus / "review-a.pdf")  # inside: same file once

    report = ingestor.run([corpus])
    # review-a.pdf and its alias are one file: ingested once (under the first name walked).
    added = names(report.added)
    assert len(added) == 3 and added[1:] == ["review-b.pdf", "review-c.pdf"]
    assert added[0] in ("alias.pdf", "review-a.pdf")
    assert {Path(f.path).name: f.reason for f in report.skipped} == {
        "link-out.pdf": "symlink points outside the folder"
    }
    assert set(failures(report)) == {"loop.pdf", "ping.pdf", "pong.pdf"}
    assert all("symlink" in r for r in failures(report).values())
    assert "secret" not in {d.title for d in edge_store.documents()}
    assert len(edge_store.documents()) == 3


# --------------------------------------------------------------------------- interrupted runs


def test_orphan_chunks_of_an_interrupted_run_are_removed(
    ingestor: Ingestor, corpus: Path, edge_store: EdgeStore, hash_embedder: HashEmbedder
) -> None:
    ingestor.run([corpus])
    # An interrupted ingest: chunks written, marker never put.
    ghost = Document(doc_id="9" * 64, file="ghost.pdf", title="Ghost")
    chunks = [
        Chunk(ghost.doc_id, i, f"Ghost passage {i} about the lodger.", 1, 1) for i in range(5)
    ]
    texts = [embed_text(ghost, c) for c in chunks]
    bm25 = Bm25Encoder()
    dense, sparse = hash_embedder.embed_documents(texts), [bm25.document(t) for t in texts]
    edge_store.upsert_chunks(EmbeddedChunks(ghost, chunks, dense, sparse))
    assert ghost.doc_id in edge_store.chunk_doc_ids()

    report = ingestor.run([corpus])
    assert report.orphans_removed == 1
    assert ghost.doc_id not in edge_store.chunk_doc_ids()
    assert edge_store.count(Filters(files=("ghost.pdf",))) == 0
    assert names(report.unchanged) == ["review-a.pdf", "review-b.pdf", "review-c.pdf"]


def test_interrupted_file_is_ingested_cleanly_next_time(
    ingestor: Ingestor, corpus: Path, edge_store: EdgeStore
) -> None:
    path = corpus / "review-a.pdf"
    prepared = ingestor.prepare(path, file_sha256(path))
    partial = prepared.chunks[:1]
    dense = ingestor.embedder.embed_documents([embed_text(prepared.document, c) for c in partial])
    sparse = [ingestor.bm25.document(embed_text(prepared.document, c)) for c in partial]
    first = EmbeddedChunks(prepared.document, partial, dense, sparse)
    edge_store.upsert_chunks(first)  # then "crash"

    report = ingestor.run([corpus])
    assert report.orphans_removed == 1
    assert names(report.added) == ["review-a.pdf", "review-b.pdf", "review-c.pdf"]
    assert edge_store.chunks_of(prepared.document.doc_id) == prepared.chunks
    assert edge_store.count(Filters()) == report.chunks


# --------------------------------------------------------------------------- hooks


def test_progress_reports_every_file(ingestor: Ingestor, corpus: Path) -> None:
    events: list[Progress] = []
    ingestor.run([corpus], progress=events.append)
    done = [e for e in events if not e.stage]
    assert [e.done_files for e in done] == [1, 2, 3]
    assert {e.total_files for e in events} == {3}
    assert done[-1].done_bytes == done[-1].total_bytes > 0
    assert [e.current for e in done] == ["review-a.pdf", "review-b.pdf", "review-c.pdf"]
    assert done[-1].pages == 9 and done[-1].share == 1.0


def test_progress_moves_within_a_file_as_it_is_read_and_embedded(
    ingestor: Ingestor, corpus: Path
) -> None:
    events: list[Progress] = []
    ingestor.run([corpus], progress=events.append)
    first = [e for e in events if e.current == "review-a.pdf"]
    assert [e.stage for e in first] == ["reading", "embedding", ""]
    reading, embedding, finished = first
    assert reading.done_files == embedding.done_files == 0 and finished.done_files == 1
    assert embedding.activity == f"embedding 0 of {embedding.stage_total} passages"
    assert embedding.stage_total > 0 and reading.activity == "reading"
    # Never backwards, and above 0 % once the first file is being embedded.
    shares = [e.share for e in events]
    assert shares == sorted(shares) and 0 < embedding.share < finished.share


def test_describe_and_tagger_hooks(
    edge_store: EdgeStore, hash_embedder: HashEmbedder, settings: Settings, corpus: Path
) -> None:
    def describe(path: Path, raw: object) -> Document:
        return Document(
            doc_id="ignored",
            file="ignored",
            title=f"Review {path.stem[-1].upper()}",
            publisher="Northshire",
            year=2021,
            doc_type="local_review",
        )

    def tagger(doc: Document, chunks: list[Chunk], dense: object) -> list[Chunk]:
        from dataclasses import replace

        assert len(dense) == len(chunks)  # type: ignore[arg-type]
        return [replace(c, themes=("neglect",)) if "cot" in c.text else c for c in chunks]

    ingestor = Ingestor(
        edge_store, hash_embedder, settings.ingest, settings.parse, describe=describe, tagger=tagger
    )
    report = ingestor.run([corpus])
    assert len(report.added) == 3
    docs = edge_store.documents()
    assert [d.title for d in docs] == ["Review A", "Review B", "Review C"]
    assert all(d.file.startswith("review-") and d.doc_id != "ignored" for d in docs)
    assert edge_store.count(Filters(publishers=("Northshire",), year_from=2021)) == report.chunks
    tagged = edge_store.count(Filters(themes=("neglect",)))
    assert 0 < tagged < report.chunks



def test_pages_without_text_are_reported_not_lost_silently(
    ingestor: Ingestor, edge_store: EdgeStore, tmp_path: Path
) -> None:
    """A page that is only a picture, with no OCR to read it, leaves the document
    indexed (exit code 0) and a note that names the page and what to do."""
    from pypdf import PdfWriter

    text = write_pdf(tmp_path / "parts" / "text.pdf", review("Mixed"))
    scan = write_image_only_pdf(tmp_path / "parts" / "scan.pdf")
    writer = PdfWriter()
    writer.append(str(text))
    writer.append(str(scan))
    folder = tmp_path / "mixed"
    folder.mkdir()
    with (folder / "mixed.pdf").open("wb") as out:
        writer.write(out)
    scanned_page = len(review("Mixed")) + 1

    report = ingestor.run([folder])
    assert report.exit_code == 0 and names(report.added) == ["mixed.pdf"]
    assert edge_store.count(Filters()) > 0
    assert [Path(f.path).name for f in report.unread] == ["mixed.pdf"]
    assert report.unread[0].reason.startswith(f"page {scanned_page} without a text layer")
    assert "until the next `kb ingest` with OCR" in report.unread[0].reason
    assert report.to_dict()["unread"][0]["reason"] == report.unread[0].reason
    (doc,) = edge_store.documents()
    assert doc.unread_pages == (scanned_page,)
    assert ingestor.run([folder]).unchanged  # still no OCR: nothing to gain by reading it again

    # With OCR now available, the unchanged file is read again and the page found.
    said = "The scanned page says the health visitor was not told of the new partner."
    with_ocr = Ingestor(
        edge_store,
        ingestor.embedder,
        ingestor.settings,
        replace(ingestor.parse_settings, ocr=True),
        ocr=lambda path, index: said,
    )
    again = with_ocr.run([folder])
    assert names(again.updated) == ["mixed.pdf"] and not again.unread
    (doc,) = edge_store.documents()
    assert doc.unread_pages == ()
    assert any(
        c.page_start <= scanned_page <= c.page_end and "not told of the new partner" in c.text
        for c in edge_store.chunks_of(doc.doc_id)
    )
    assert with_ocr.run([folder]).unchanged
    # OCR that finds nothing says so, and a later run does not try again.
    assert with_ocr._unread_note((2, 3)) == "pages 2, 3 without text, even by OCR: not searchable"
