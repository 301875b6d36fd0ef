"""kb.answer.extract: extractive, cited answers.

The first part uses hand-made passages and the hashing embedder (or none), so
it tests selection, verbatim spans and citations without the model. The last
part is the acceptance check over the dev questions on the real corpus: every
sentence `kb ask --json` prints is a verbatim span of the passage it cites,
and that passage's text is on the cited page(s) of the cited file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kb.answer.extract import answer, candidates, extract, select
from kb.answer.model import NO_MATCH_MESSAGE, Answer, AnswerSentence
from kb.embed.cache import EmbedCache
from kb.embed.hashing import HashEmbedder
from kb.records import Chunk, Document, Hit
from kb.retrieve.precedents import group_by_review
from kb.text.terms import content_terms, stem

DEV_QUESTIONS = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev_questions.jsonl"


def make_hit(
    text: str, *, doc: str = "a", index: int = 0, page: int = 1, score: float = 0.5
) -> Hit:
    document = Document(doc_id=f"id-{doc}", file=f"{doc}.pdf", title=f"Review {doc.upper()}")
    chunk = Chunk(
        doc_id=document.doc_id,
        index=index,
        text=text,
        page_start=page,
        page_end=page,
        heading_path=("Findings",),
    )
    return Hit(chunk=chunk, document=document, score=score)


NOTIFY = make_hit(
    "Serious incident notification\n"
    "All serious child safeguarding incidents must be notified to the panel. "
    "Notifications should be sent within five working days of the local authority "
    "becoming aware of the incident. Notifications are made through the online "
    "notification system, which is accessible 24 hours a day.",
    doc="wt",
    page=144,
)
RAPID = make_hit(
    "The rapid review should be completed within 15 working days of the local authority "
    "becoming aware of the incident. The partnership then sends a copy to the panel. "
    "• Terms of reference",
    doc="wt",
    index=1,
    page=145,
)
UNRELATED = make_hit(
    "The home was cold and the cot was shared with a dog. The health visitor saw the baby "
    "twice in the first month and recorded no concerns about the sleeping arrangements.",
    doc="q",
    page=3,
)
QUESTION = (
    "In how many working days must notifications be sent to the panel, and when must the "
    "rapid review be completed?"
)


def embed() -> HashEmbedder:
    return HashEmbedder()


# --------------------------------------------------------------------------- pure


def test_content_terms_drop_stopwords_and_stem() -> None:
    terms = content_terms("What are the deadlines for notifying the Panel?")
    assert terms == ["deadlin", "notify", "panel"]
    assert stem("notified") == stem("notifies") == stem("notifying") == stem("notify")
    assert stem("shared") == stem("sharing") == stem("share") == stem("shares")
    assert stem("deadlines") == stem("deadline")
    assert stem("process") == stem("processes")


def test_candidates_are_exact_slices_and_skip_headings_and_fragments() -> None:
    cands = candidates([NOTIFY, RAPID])
    assert cands, "expected sentences"
    for c in cands:
        text = (NOTIFY, RAPID)[c.passage].chunk.text
        assert text[c.start : c.end] == c.text
    texts = [c.text for c in cands]
    assert "Serious incident notification" not in " ".join(t[:30] for t in texts)
    assert not any(t.startswith("Terms of reference") for t in texts)  # a bare bullet heading


def test_a_table_row_run_into_a_sentence_is_not_a_candidate() -> None:
    # ADCS research, p. 44: a figure's rows flattened by the text layer, ending
    # in the sentence after the table.
    hit = make_hit(
        "Parent/carer, family member, child or young person 14% 11% 10% 10% 9% 9% All "
        "other 31% 32% 31% 32% The proportion of initial contacts resulting in a referral "
        "has decreased since 2013-14. In 2023-24, 8% more contacts were received than in "
        "2022-23, about 3,001,339 in all."
    )
    texts = [c.text for c in candidates([hit])]
    assert texts == [
        "In 2023-24, 8% more contacts were received than in 2022-23, about 3,001,339 in all."
    ]


def test_a_sentence_wrapped_over_two_lines_stays_whole() -> None:
    text = (
        "3.2 Housing\n"
        "The family were moved to temporary accommodation in another borough and\n"
        "nobody told the school or the health visitor about the move.\n"
        "• A referral was made."
    )
    cands = candidates([make_hit(text)])
    wrapped = [c.text for c in cands if c.text.startswith("The family")]
    assert wrapped == [
        "The family were moved to temporary accommodation in another borough and\n"
        "nobody told the school or the health visitor about the move."
    ]
    assert not any("Housing" in c.text for c in cands)


def test_extract_keeps_sentences_verbatim_and_cited() -> None:
    hits = [NOTIFY, RAPID, UNRELATED]
    sentences = extract(QUESTION, hits, embed=embed().embed_documents)
    assert 2 <= len(sentences) <= 6
    for s in sentences:
        passage = hits[s.citation - 1].chunk.text
        assert s.text in passage
        assert passage[s.start : s.end] == s.text
    joined = " ".join(s.text for s in sentences)
    assert "five working days" in joined
    assert "15 working days" in joined
    assert "cot was shared" not in joined


def test_a_question_for_a_time_limit_is_answered_by_the_sentence_stating_one() -> None:
    # The London analysis's Context passage: one sentence gives the time limit,
    # the next is only about rapid reviews and time. Padding the answer to two
    # sentences with it would not answer "how quickly".
    context = make_hit(
        "Rapid Reviews are required to be completed within 15 working days of a SIN, so "
        "they provide a more current picture of themes and trends. Two partnerships did "
        "not respond, and two had not completed any Rapid Reviews in the timescale.",
        doc="london",
        page=3,
    )
    question = "how quickly must a rapid review be completed"
    sentences = extract(question, [context, UNRELATED], embed=embed().embed_documents)
    assert [s.text for s in sentences] == [
        "Rapid Reviews are required to be completed within 15 working days of a SIN, so "
        "they provide a more current picture of themes and trends."
    ]
    # A question asking for no kind of fact keeps at least two sentences.
    untyped = extract("rapid reviews themes and trends", [context], embed=embed().embed_documents)
    assert len(untyped) == 2


def test_extract_without_a_model_uses_term_overlap() -> None:
    sentences = extract(QUESTION, [NOTIFY, RAPID, UNRELATED])
    assert sentences and all(s.citation in (1, 2) for s in sentences)


def test_duplicate_sentences_from_overlapping_chunks_appear_once() -> None:
    twin = make_hit(NOTIFY.chunk.text, doc="wt", index=7, page=144)
    sentences = extract(QUESTION, [NOTIFY, twin, RAPID], embed=embed().embed_documents)
    texts = [s.text for s in sentences]
    assert len(texts) == len(set(texts))


def test_select_penalises_redundancy_and_stops_when_weak() -> None:
    relevance = np.array([0.9, 0.89, 0.5, 0.2], dtype=np.float32)
    similarity = np.array(
        [[1, 0.99, 0.1, 0], [0.99, 1, 0.1, 0], [0.1, 0.1, 1, 0], [0, 0, 0, 1]], dtype=np.float32
    )
    chosen = select(relevance, similarity, min_n=2, max_n=6, keep_margin=0.3)
    assert chosen[0] == 0
    assert 1 not in chosen  # a near-duplicate of the first
    assert 3 not in chosen  # too weak next to the best


def test_sentence_order_groups_a_passage_in_text_order() -> None:
    sentences = extract(QUESTION, [NOTIFY, RAPID], embed=embed().embed_documents)
    by_passage: dict[int, list[int]] = {}
    for s in sentences:
        by_passage.setdefault(s.citation, []).append(s.start)
    for starts in by_passage.values():
        assert starts == sorted(starts)
    seen: list[int] = []
    for s in sentences:
        if not seen or seen[-1] != s.citation:
            assert s.citation not in seen  # each passage's sentences are contiguous
            seen.append(s.citation)


def test_no_match_gives_no_sentences_only_related_passages() -> None:
    result = answer(QUESTION, [UNRELATED], no_match=True, embed=embed().embed_documents)
    assert result.no_match and result.sentences == ()
    assert result.passages == (UNRELATED,)
    assert result.to_dict()["no_match"] is True
    assert result.no_match_message == NO_MATCH_MESSAGE


def test_no_match_message_carries_the_search_reason() -> None:
    why = "The nearest passages state no time limit or length of time."
    result = answer(QUESTION, [UNRELATED], no_match=True, no_match_reason=why)
    assert result.no_match_message == f"{NO_MATCH_MESSAGE} {why}"
    assert result.to_dict()["no_match_reason"] == why
    # A reason never travels with an answer.
    shown = answer(QUESTION, [NOTIFY], no_match=False, no_match_reason=why)
    assert shown.no_match_reason == ""
    assert NO_MATCH_MESSAGE == "No passage in the library answers this closely."


def test_to_dict_has_the_kb_ask_json_shape() -> None:
    result = answer(QUESTION, [NOTIFY, RAPID], no_match=False, embed=embed().embed_documents)
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) >= {"sentences", "passages", "no_match"}
    assert data["no_match"] is False
    for s in data["sentences"]:
        assert set(s) == {"text", "citation"}
    for n, p in enumerate(data["passages"], 1):
        assert p["number"] == n
        assert {"doc", "page_start", "page_end", "heading", "text"} <= set(p)
    assert data["passages"][0]["page_start"] == 144


def test_answer_text_and_spans() -> None:
    a = Answer(
        question="q",
        sentences=(AnswerSentence("One.", 1, 0, 4), AnswerSentence("Two.", 2, 5, 9)),
        passages=(NOTIFY, RAPID),
        no_match=False,
    )
    assert a.text == "One. [1] Two. [2]"
    assert a.spans_of(2) == [(5, 9)]


def test_embed_cache_embeds_each_text_once() -> None:
    calls: list[list[str]] = []
    model = HashEmbedder()

    def counting(texts):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return model.embed_documents(texts)

    cache = EmbedCache(counting, size=10)
    first = cache(["a b c", "d e f"])
    second = cache(["d e f", "a b c", "g h"])
    assert calls == [["a b c", "d e f"], ["g h"]]
    assert np.allclose(first[0], second[1])


def test_group_by_review_ranks_documents_by_their_best_passages() -> None:
    hits = [
        make_hit("a1", doc="a", index=0, score=0.9),
        make_hit("b1", doc="b", index=0, score=0.8),
        make_hit("b2", doc="b", index=1, score=0.7),
        make_hit("b3", doc="b", index=2, score=0.6),
        make_hit("b4", doc="b", index=3, score=0.5),
        make_hit("c1", doc="c", index=0, score=0.1),
    ]
    groups = group_by_review(hits, per_doc=3)
    assert [g.document.file for g in groups] == ["b.pdf", "a.pdf", "c.pdf"]
    assert [h.chunk.text for h in groups[0].hits] == ["b1", "b2", "b3"]
    assert groups[0].matches == 4


# --------------------------------------------------------------------------- real corpus


def _dev_questions() -> list[dict[str, object]]:
    if not DEV_QUESTIONS.is_file():
        return []
    return [json.loads(line) for line in DEV_QUESTIONS.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def page_texts():  # type: ignore[no-untyped-def]
    """Page texts of each ingested file, re-extracted by the parser (cached per file)."""
    from kb.parse import parse_file

    cache: dict[str, dict[int, str]] = {}

    def get(path: str) -> dict[int, str]:
        if path not in cache:
            cache[path] = {p.number: p.text for p in parse_file(Path(path)).pages}
        return cache[path]

    return get


@pytest.mark.real
def test_every_answer_sentence_is_verbatim_and_on_its_cited_page(real_library, page_texts) -> None:  # type: ignore[no-untyped-def]
    questions = _dev_questions()
    if not questions:
        pytest.skip("../shared/eval/dev_questions.jsonl not present")
    broad = DEV_QUESTIONS.with_name("broad_dev.jsonl")
    if broad.is_file():  # broad questions: their findings are checked too
        questions += [json.loads(line) for line in broad.read_text().splitlines() if line.strip()]
    paths = {d.file: d.path for d in real_library.documents()}
    answered = 0
    for q in questions:
        data = json.loads(json.dumps(real_library.ask(str(q["question"])).to_dict()))
        passages = {p["number"]: p for p in data["passages"]}
        if not data["no_match"]:
            assert 1 <= len(data["sentences"]) <= 6, q["id"]
            answered += 1
        for s in data["sentences"]:
            p = passages[s["citation"]]
            assert s["text"] and s["text"] in p["text"], (q["id"], s["text"])
        # Each finding's key and "also in" sentence is a span of its cited passage,
        # and the citation is that passage's (so the page check below covers it).
        for f in data["findings"]:
            for c in f["citations"]:
                p = passages[c["number"]]
                assert c["sentence"] and c["sentence"] in p["text"], (q["id"], c["sentence"])
                assert (c["doc"], c["page_start"], c["page_end"], c["text"]) == (
                    p["doc"], p["page_start"], p["page_end"], p["text"]
                )
        for p in passages.values():
            pages = page_texts(paths[p["doc"]])
            span = "\n".join(pages[n] for n in range(p["page_start"], p["page_end"] + 1))
            assert p["text"] in span, (q["id"], p["doc"], p["page_start"], p["page_end"])
    assert answered >= len(questions) * 0.8


def _negative_params() -> list[object]:
    params: list[object] = [
        pytest.param(str(q["question"]), id=str(q["id"]))
        for q in _dev_questions()
        if q.get("kind") == "negative"
    ]
    params += [
        pytest.param("zxqv blorf wibble quantum marmalade", id="nonsense"),
        pytest.param("How do I renew my passport?", id="out-of-domain"),
    ]
    return params


@pytest.mark.real
@pytest.mark.parametrize("question", _negative_params())
def test_negative_questions_get_no_answer(real_library, question: str) -> None:  # type: ignore[no-untyped-def]
    result = real_library.ask(question)
    assert result.no_match and result.sentences == ()
