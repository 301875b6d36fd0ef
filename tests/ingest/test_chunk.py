"""kb.ingest.chunk on hand-made pages: the token window, verbatim spans, sections and overlap."""

from __future__ import annotations

import math
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest

from kb.embed.hashing import HashEmbedder
from kb.embed.minilm import MiniLMEmbedder
from kb.ingest.chunk import (
    HEADER_MAX_TOKENS,
    MIN_CHUNK_TOKENS,
    SPECIAL_TOKENS,
    Chunker,
    TokenCounter,
    embed_text,
    header_text,
)
from kb.records import Chunk, Document, Heading, Page
from kb.text.sentences import split_sentences

DOC = Document(doc_id="d" * 64, file="child-q.pdf", title="Child Q: Practice Review")
COUNT: TokenCounter = HashEmbedder().count_tokens

_NOUNS = ["health visitor", "school nurse", "police officer", "social worker", "GP", "midwife"]
_VERBS = ["visited", "telephoned", "wrote to", "met", "assessed", "referred"]
_PLACES = ["at home", "at the clinic", "at school", "at the station", "by video", "in hospital"]


def sentence(k: int) -> str:
    """A distinct, deterministic sentence of about a dozen tokens."""
    n = len(_NOUNS)
    return (
        f"On day {k} the {_NOUNS[k % n]} {_VERBS[(k // n) % n]} the family {_PLACES[(k // 7) % n]}."
    )


def paragraph(start: int, count: int) -> str:
    return " ".join(sentence(k) for k in range(start, start + count))


def page_of(number: int, blocks: Sequence[tuple[int, str] | str]) -> Page:
    """A page from blocks: a (level, text) tuple is a heading, a str a paragraph."""
    text = ""
    headings: list[Heading] = []
    for block in blocks:
        if text:
            text += "\n"
        if isinstance(block, tuple):
            level, title = block
            headings.append(Heading(len(text), level, title))
            text += title
        else:
            text += block
    return Page(number, text, tuple(headings))


@contextmanager
def watchdog(seconds: int = 30) -> Iterator[None]:
    """Turn a hang (an endless splitting loop) into a failure instead of a stuck suite."""

    def fail(signum: int, frame: object) -> None:
        raise AssertionError(f"chunking did not finish within {seconds} s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def sample_pages() -> list[Page]:
    return [
        page_of(
            1,
            [
                (1, "1 Introduction"),
                paragraph(0, 14),
                (2, "1.1 Terms of reference"),
                paragraph(14, 9),
            ],
        ),
        page_of(2, [paragraph(23, 6), (1, "2 Findings"), paragraph(29, 30)]),
        page_of(3, [(2, "2.1 Information sharing"), paragraph(59, 12), paragraph(71, 12)]),
    ]


def assert_verbatim(chunks: Sequence[Chunk], pages: Sequence[Page]) -> None:
    by_no = {p.number: p for p in pages}
    for c in chunks:
        if c.page_start == c.page_end:
            assert by_no[c.page_start].text[c.char_start : c.char_end] == c.text
        else:
            assert c.text.startswith(by_no[c.page_start].text[c.char_start :])
            assert c.text.endswith(by_no[c.page_end].text[: c.char_end])


def assert_within_window(
    chunks: Sequence[Chunk], count: TokenCounter, max_tokens: int, document: Document = DOC
) -> None:
    sizes = count([embed_text(document, c) for c in chunks])
    for c, n in zip(chunks, sizes, strict=True):
        assert n <= max_tokens - SPECIAL_TOKENS, (n, c.text[:80])
        assert c.n_tokens == n + SPECIAL_TOKENS


def covered(chunks: Sequence[Chunk], pages: Sequence[Page]) -> dict[int, set[int]]:
    """Character offsets of each page that some chunk includes."""
    by_no = {p.number: p for p in pages}
    out: dict[int, set[int]] = {p.number: set() for p in pages}
    for c in chunks:
        for n in range(c.page_start, c.page_end + 1):
            start = c.char_start if n == c.page_start else 0
            end = c.char_end if n == c.page_end else len(by_no[n].text)
            out[n].update(range(start, end))
    return out


def assert_no_text_lost(chunks: Sequence[Chunk], pages: Sequence[Page]) -> None:
    cover = covered(chunks, pages)
    for p in pages:
        missing = [
            i for i, ch in enumerate(p.text) if not ch.isspace() and i not in cover[p.number]
        ]
        assert not missing, f"page {p.number}: {p.text[missing[0] : missing[0] + 40]!r} lost"


# --------------------------------------------------------------------------- window and spans


@pytest.mark.parametrize("max_tokens", [64, 128, 256])
def test_no_chunk_exceeds_the_window(max_tokens: int) -> None:
    pages = sample_pages()
    chunks = Chunker(COUNT, max_tokens=max_tokens, overlap=24).chunk(DOC, pages)
    assert len(chunks) > 1
    assert_within_window(chunks, COUNT, max_tokens)
    assert_verbatim(chunks, pages)
    assert_no_text_lost(chunks, pages)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert {c.doc_id for c in chunks} == {DOC.doc_id}


def test_long_title_and_headings_still_fit() -> None:
    doc = Document(doc_id="e" * 64, file="x.pdf", title="Very Long Title " * 30)
    heading = "A Heading That Goes On And On " * 6
    pages = [page_of(1, [(1, heading), paragraph(0, 40)])]
    chunks = Chunker(COUNT, max_tokens=96, overlap=24).chunk(doc, pages)
    assert_within_window(chunks, COUNT, 96, doc)
    assert_verbatim(chunks, pages)


def test_sentence_longer_than_the_window_is_split_on_words() -> None:
    long_sentence = " ".join(f"word{k}" for k in range(600)) + "."
    pages = [page_of(1, [paragraph(0, 3), long_sentence])]
    chunks = Chunker(COUNT, max_tokens=128).chunk(DOC, pages)
    assert_within_window(chunks, COUNT, 128)
    assert_verbatim(chunks, pages)
    assert_no_text_lost(chunks, pages)
    # Pieces end on word boundaries.
    for c in chunks:
        assert not c.text[-1:].isspace() and not c.text[:1].isspace()


@pytest.mark.parametrize(
    "giant",
    [
        "https://example.org/" + "/".join(["segment"] * 900),  # thousands of tokens, no space
        "https://example.org/" + "a" * 3000,  # 3000 characters, few tokens
    ],
)
@pytest.mark.parametrize("context", [False, True])
def test_giant_word_is_split_to_fit_without_looping(giant: str, context: bool) -> None:
    text = f"The report cites a source. {giant} was the address given." if context else giant
    pages = [Page(1, text)]
    chunker = Chunker(COUNT, max_tokens=256, overlap=24)
    with watchdog():
        chunks = chunker.chunk(DOC, pages)
    assert_within_window(chunks, COUNT, 256)
    assert_verbatim(chunks, pages)
    assert_no_text_lost(chunks, pages)
    # Pieces are as big as the window allows, not slivers.
    total = COUNT([text])[0]
    usable = 256 - SPECIAL_TOKENS - HEADER_MAX_TOKENS
    assert len(chunks) <= 2 * math.ceil(total / usable) + 2, (len(chunks), total)


def test_header_filling_the_window_does_not_loop() -> None:
    # Title and headings that are all symbols: about one token per character, so
    # the context header alone is over the window. Chunking must still end.
    doc = Document(doc_id="f" * 64, file="odd.pdf", title="\u00a7" * 100)
    h1, h2 = "\u00a7" * 80, "\u00b6" * 80
    pages = [page_of(1, [(1, h1), (2, h2), "Some body text here. More text follows it."])]
    assert COUNT([header_text(doc.title, [h1, h2])])[0] > 256
    with watchdog():
        chunks = Chunker(COUNT, max_tokens=256).chunk(doc, pages)
    assert_verbatim(chunks, pages)
    assert_no_text_lost(chunks, pages)
    sizes = COUNT([embed_text(doc, c) for c in chunks])
    assert [c.n_tokens for c in chunks] == [n + SPECIAL_TOKENS for n in sizes]


def test_empty_pages_give_no_chunks() -> None:
    assert Chunker(COUNT).chunk(DOC, [Page(1, ""), Page(2, "  \n ")]) == []


# --------------------------------------------------------------------------- structure


def test_headings_start_chunks_when_the_current_chunk_is_big_enough() -> None:
    pages = [
        page_of(
            1,
            [
                (1, "1 Introduction"),
                paragraph(0, 8),  # well over MIN_CHUNK_TOKENS
                (1, "2 Findings"),
                paragraph(8, 8),
            ],
        )
    ]
    assert COUNT([paragraph(0, 8)])[0] > MIN_CHUNK_TOKENS
    chunks = Chunker(COUNT, max_tokens=256).chunk(DOC, pages)
    assert [c.text.split("\n")[0] for c in chunks] == ["1 Introduction", "2 Findings"]
    assert [c.heading_path for c in chunks] == [("1 Introduction",), ("2 Findings",)]
    assert "2 Findings" not in chunks[0].text


def test_heading_after_a_tiny_section_does_not_close_the_chunk() -> None:
    pages = [
        page_of(
            1,
            [(1, "Foreword"), sentence(0), (1, "1 Introduction"), paragraph(1, 6)],
        )
    ]
    assert COUNT([sentence(0)])[0] < MIN_CHUNK_TOKENS
    chunks = Chunker(COUNT, max_tokens=256).chunk(DOC, pages)
    assert len(chunks) == 1
    assert chunks[0].text == pages[0].text


def test_heading_path_is_recorded_and_nested() -> None:
    pages = sample_pages()
    chunks = Chunker(COUNT, max_tokens=128, overlap=0).chunk(DOC, pages)
    paths = {c.heading_path for c in chunks}
    assert ("1 Introduction",) in paths
    assert ("1 Introduction", "1.1 Terms of reference") in paths
    assert ("2 Findings",) in paths
    assert ("2 Findings", "2.1 Information sharing") in paths
    # "2 Findings" closed "1.1 ..." and "1 ...": no path mixes the two sections.
    assert not any("1 Introduction" in p and "2 Findings" in p for p in paths)
    # A chunk's path is the one of the text it holds.
    for c in chunks:
        if sentence(40) in c.text:
            assert c.heading_path == ("2 Findings",)
        if sentence(80) in c.text:
            assert c.heading_path == ("2 Findings", "2.1 Information sharing")
    assert chunks[0].heading == "1 Introduction"


def test_overlap_shares_some_text_but_not_everything() -> None:
    pages = [page_of(1, [(1, "3 Findings"), paragraph(0, 60)])]
    chunks = Chunker(COUNT, max_tokens=128, overlap=24).chunk(DOC, pages)
    assert len(chunks) >= 4
    overlapping = 0
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.char_end > a.char_end  # each chunk brings new text
        assert b.char_start > a.char_start  # and never repeats a whole chunk
        if b.char_start < a.char_end:
            overlapping += 1
            shared = pages[0].text[b.char_start : a.char_end]
            assert shared and shared in a.text and b.text.startswith(shared)
            assert COUNT([shared])[0] <= 24
    assert overlapping >= len(chunks) - 2


def test_no_overlap_when_disabled() -> None:
    pages = [page_of(1, [(1, "3 Findings"), paragraph(0, 60)])]
    chunks = Chunker(COUNT, max_tokens=128, overlap=0).chunk(DOC, pages)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.char_start >= a.char_end


def test_no_overlap_across_a_heading() -> None:
    pages = [page_of(1, [(1, "1 One"), paragraph(0, 10), (1, "2 Two"), paragraph(10, 10)])]
    chunks = Chunker(COUNT, max_tokens=256, overlap=24).chunk(DOC, pages)
    second = next(c for c in chunks if c.text.startswith("2 Two"))
    assert sentence(9) not in second.text


def test_chunk_spanning_a_page_break() -> None:
    p1 = page_of(1, [(1, "2 Background"), paragraph(0, 4)])
    p2 = page_of(2, [paragraph(4, 3), (1, "3 Findings"), paragraph(7, 12)])
    pages = [p1, p2]
    chunks = Chunker(COUNT, max_tokens=256, overlap=24).chunk(DOC, pages)
    spanning = [c for c in chunks if c.page_start != c.page_end]
    assert len(spanning) == 1
    c = spanning[0]
    assert (c.page_start, c.page_end) == (1, 2)
    assert c.text == p1.text[c.char_start :] + "\n" + p2.text[: c.char_end]
    assert sentence(3) in c.text and sentence(4) in c.text
    assert c.heading_path == ("2 Background",)
    later = [x for x in chunks if sentence(10) in x.text]
    assert later and all((x.page_start, x.page_end) == (2, 2) for x in later)
    assert all(x.heading_path == ("3 Findings",) for x in later)


def test_ocr_flag_propagates() -> None:
    pages = [Page(1, paragraph(0, 3), ocr=True), Page(2, paragraph(3, 3))]
    chunks = Chunker(COUNT, max_tokens=64, overlap=0).chunk(DOC, pages)
    assert any(c.ocr for c in chunks if c.page_start == 1)
    assert not any(c.ocr for c in chunks if c.page_start == c.page_end == 2)


def test_output_is_deterministic() -> None:
    pages = sample_pages()
    first = Chunker(COUNT, max_tokens=128).chunk(DOC, pages)
    second = Chunker(HashEmbedder().count_tokens, max_tokens=128).chunk(DOC, pages)
    assert first == second
    assert [c.chunk_id for c in first] == [c.chunk_id for c in second]


# --------------------------------------------------------------------------- helpers


def test_split_sentences_spans() -> None:
    text = 'The GP saw her. "She was quiet," he said. 2 visits followed. (The end.) ok'
    spans = split_sentences(text, base=10)
    pieces = [text[s - 10 : e - 10] for s, e in spans]
    assert pieces == [
        "The GP saw her.",
        '"She was quiet," he said.',
        "2 visits followed.",
        "(The end.) ok",
    ]


def test_embed_text_prefixes_title_and_last_two_headings() -> None:
    chunk = Chunk(DOC.doc_id, 0, "Body text.", 1, 1, heading_path=("1 A", "1.1 B", "1.1.1 C"))
    assert embed_text(DOC, chunk) == "Child Q: Practice Review | 1.1 B > 1.1.1 C\nBody text."
    bare = Document(doc_id="x", file="x.pdf")
    assert embed_text(bare, Chunk("x", 0, "Body text.", 1, 1)) == "Body text."
    assert len(header_text("T" * 500, ["H" * 500])) <= 100 + 3 + 80


# --------------------------------------------------------------------------- real tokenizer


@pytest.mark.slow
def test_real_tokenizer_window_is_respected(real_embedder: MiniLMEmbedder) -> None:
    count = real_embedder.count_tokens
    giant = "https://example.org/" + "/".join(f"seg{k}" for k in range(700))
    pages = sample_pages() + [
        page_of(4, [(1, "Appendix A"), f"The source was {giant} as cited.", paragraph(90, 20)])
    ]
    with watchdog(60):
        chunks = Chunker(count, max_tokens=256, overlap=24).chunk(DOC, pages)
    assert_within_window(chunks, count, 256)
    assert_verbatim(chunks, pages)
    assert_no_text_lost(chunks, pages)
    assert max(c.n_tokens for c in chunks) > 128  # the window is used, not just fragments
