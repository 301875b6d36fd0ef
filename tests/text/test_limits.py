"""kb.text.limits: titles and headings are capped however long the file makes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REVIEW_PAGES, write_pdf
from kb.config import Settings
from kb.describe.document import describe
from kb.embed.hashing import HashEmbedder
from kb.ingest.run import Ingestor
from kb.parse import parse_file
from kb.records import Heading, Page
from kb.store.edge import EdgeStore
from kb.text.limits import (
    ELLIPSIS,
    HEADING_MAX_CHARS,
    TITLE_MAX_CHARS,
    cap_headings,
    clip,
    excerpt,
)

PHRASE = "Serious case review of the neglect of Child Q "
BODY = (
    "The health visitor saw the baby twice in the first month and recorded no concerns. "
    "Police attended a domestic incident in the summer but did not make a referral."
)


def long_text(chars: int) -> str:
    return (PHRASE * (chars // len(PHRASE) + 1))[:chars].strip()


@pytest.mark.parametrize(
    ("text", "limit", "clipped"),
    [
        ("short title", 300, "short title"),
        ("one two three four five", 14, "one two\u2026"),  # at the last space in the second half
        ("one two three, four five", 16, "one two three\u2026"),  # no dangling comma
        ("x" * 50, 10, "x" * 9 + "\u2026"),  # one long word: a hard cut
        ("ab " + "y" * 40, 10, "ab " + "y" * 6 + "\u2026"),  # a space too early is not used
    ],
)
def test_clip(text: str, limit: int, clipped: str) -> None:
    assert clip(text, limit) == clipped
    assert len(clip(text, limit)) <= limit


def test_excerpt_cuts_back_to_a_space() -> None:
    assert excerpt("short enough", 12) == "short enough"
    assert excerpt("the health visitor saw the baby", 20) == "the health visitor \u2026"
    assert excerpt("the health visitor saw the baby", 23) == "the health visitor saw \u2026"


def test_cap_headings_keeps_text_and_offsets() -> None:
    long = long_text(5000)
    page = Page(1, f"{long}\nBody text.", (Heading(0, 1, long), Heading(len(long) + 1, 2, "Short")))
    (capped,) = cap_headings([page])
    assert capped.text == page.text
    assert [h.offset for h in capped.headings] == [0, len(long) + 1]
    assert len(capped.headings[0].text) <= HEADING_MAX_CHARS
    assert capped.headings[0].text.endswith(ELLIPSIS) and capped.headings[1].text == "Short"
    assert cap_headings([Page(2, "x", (Heading(0, 1, "Fine"),))])[0].headings[0].text == "Fine"


def sources(folder: Path) -> dict[str, Path]:
    """One file per way a document gets its title, each making it far too long."""
    from pypdf import PdfWriter

    meta = write_pdf(folder / "meta.pdf", REVIEW_PAGES)
    writer = PdfWriter(clone_from=str(meta))
    writer.add_metadata({"/Title": long_text(1_000_000)})
    writer.write(str(meta))
    side = write_pdf(folder / "sidecar.pdf", REVIEW_PAGES)
    # csv refuses fields over 128 KB, so 100,000 characters is as long as a sidecar gets.
    (folder / "metadata.csv").write_text(f'file,title\nsidecar.pdf,"{long_text(100_000)}"\n')
    # unstructured runs a sentence model over headings: 1,000 characters keep it quick.
    md = folder / "heading.md"
    md.write_text(f"# {long_text(1000)}\n\n{BODY}\n\n## {long_text(800)}\n\n{BODY}\n")
    return {"PDF metadata": meta, "sidecar": side, "first heading": md}


@pytest.mark.slow
def test_titles_and_headings_are_capped_at_ingest(
    tmp_path: Path, edge_store: EdgeStore, hash_embedder: HashEmbedder, settings: Settings
) -> None:
    files = sources(tmp_path / "corpus")
    for what, path in files.items():  # each source really does make a long title
        assert len(describe(path, parse_file(path)).title) > 3 * TITLE_MAX_CHARS, what
    # Parsed in-process (parse_timeout=0): the worker would load unstructured a second time.
    in_process = settings.with_(parse_timeout=0)
    ingestor = Ingestor(
        edge_store, hash_embedder, in_process.ingest, in_process.parse, describe=describe
    )
    report = ingestor.run([tmp_path / "corpus"])
    assert report.failed == [] and len(report.added) == 3
    titles = {d.file: d.title for d in edge_store.documents()}
    for what, path in files.items():
        title = titles[path.name]
        assert len(title) <= TITLE_MAX_CHARS and title.endswith(ELLIPSIS), (what, title)
        assert title.startswith(PHRASE.strip()) and not title[:-1].endswith(" "), (what, title)
    md_doc = next(d for d in edge_store.documents() if d.file == "heading.md")
    paths = [c.heading_path for c in edge_store.chunks_of(md_doc.doc_id)]
    assert paths and all(len(h) <= HEADING_MAX_CHARS for p in paths for h in p), paths
    assert any(h.endswith(ELLIPSIS) for p in paths for h in p)
