"""kb.answer.findings: the evidence summary of a broad answer.

The unit tests use hand-made passages and the hashing embedder. The acceptance
test ingests corpus/fictional with the real model and asks the broad questions
a newcomer asks first: each gets at least two findings citing at least two
documents, every key and "also in" sentence a verbatim span of its passage,
whose text is on the cited pages; nonsense and out-of-domain get no match.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.answer.findings import GUIDANCE, REVIEWS, find
from kb.config import Settings
from kb.embed.hashing import HashEmbedder
from kb.library import Library
from kb.records import Chunk, Document, Hit

FICTIONAL = Path(__file__).resolve().parents[2] / "corpus" / "fictional"


def make_hit(text: str, doc: str, doc_type: str = "local_review", page: int = 1) -> Hit:
    document = Document(doc_id=f"id-{doc}", file=f"{doc}.pdf", doc_type=doc_type)
    chunk = Chunk(doc_id=document.doc_id, index=0, text=text, page_start=page, page_end=page)
    return Hit(chunk=chunk, document=document, score=0.5)


SHARED = "Information about risk was not shared with the health visitor when the family moved."


def test_the_same_claim_in_two_documents_is_one_finding_with_also_in() -> None:
    hits = [
        make_hit(SHARED + " The school nurse was not told about the plan at all.", "a"),
        make_hit(SHARED + " Agencies should agree a single referral route for families.", "b"),
        make_hit(
            "Practitioners should share information about risk without waiting for consent.",
            "wt",
            doc_type="statutory_guidance",
        ),
    ]
    found = find("information sharing about risk", hits, embed=HashEmbedder().embed_documents)
    shared = next(f for f in found if f.key.text == SHARED)
    assert shared.count == 2 and [s.text for s in shared.also_in] == [SHARED]
    assert {hits[s.citation - 1].document.file for s in shared.supports} == {"a.pdf", "b.pdf"}
    assert [f.group for f in found] == sorted(
        (f.group for f in found), key=(REVIEWS, GUIDANCE).index
    )
    for f in found:
        for s in f.supports:
            assert hits[s.citation - 1].chunk.text[s.start : s.end] == s.text


def test_a_key_sentence_that_points_back_gives_way_to_one_that_stands_alone() -> None:
    # The same claim in two reviews; the first-ranked says "They", which a reader
    # of the finding alone cannot resolve, so the other is the key sentence.
    hits = [
        make_hit("They were not shared with the health visitor when the family moved house.", "a"),
        make_hit(
            "Concerns were not shared with the health visitor when the family moved house.", "b"
        ),
    ]
    question = "shared with the health visitor when the family moved house"
    (found,) = find(question, hits, embed=HashEmbedder().embed_documents)
    assert found.key.text.startswith("Concerns were not shared")
    assert [s.text[:4] for s in found.also_in] == ["They"] and found.count == 2


def test_a_weak_sentence_is_no_finding_just_because_its_document_has_none() -> None:
    # Spreading over documents put B's weak passage second; its sentence barely
    # touches the question and must not be a finding to make up the number.
    from dataclasses import replace

    a = replace(
        make_hit(
            "Fathers were not engaged by professionals in most of the reviews. "
            "Fathers who posed a risk were not engaged by professionals either.",
            "a",
        ),
        score=0.07,
    )
    b = replace(
        make_hit("The school engaged well with the professionals around them.", "b"), score=0.01
    )
    found = find(
        "were fathers engaged by professionals", [a, b], embed=HashEmbedder().embed_documents
    )
    assert [f.key.text[:7] for f in found] == ["Fathers", "Fathers"]


def test_a_reviews_findings_lead_its_background() -> None:
    from dataclasses import replace

    def with_role(hit: Hit, role: str) -> Hit:
        return replace(hit, chunk=replace(hit.chunk, role=role))

    background = with_role(
        make_hit("Each family had a child protection plan for neglect and parental drug use.", "a"),
        "background",
    )
    finding = with_role(
        make_hit("Agencies missed the neglect because parental drug use was assessed alone.", "b"),
        "finding",
    )
    question = "neglect and parental drug use"
    found = find(question, [background, finding], embed=HashEmbedder().embed_documents)
    assert found[0].key.text.startswith("Agencies missed the neglect")


@pytest.fixture(scope="module")
def fictional(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """corpus/fictional ingested with the real model (about a minute)."""
    library = Library(Settings.of(store_dir=tmp_path_factory.mktemp("fic-kb"), ocr=False))
    library.ingest([FICTIONAL])
    yield library
    library.close()


def assert_findings_verbatim(library: Library, data: dict[str, object]) -> None:
    """Each finding's sentences are spans of their passage, whose text is on its pages."""
    from kb.parse import parse_file

    paths = {d.file: d.path for d in library.documents()}
    for finding in data["findings"]:  # type: ignore[attr-defined]
        for c in finding["citations"]:
            assert c["sentence"] and c["sentence"] in c["text"], c["sentence"]
            pages = {p.number: p.text for p in parse_file(Path(paths[c["doc"]])).pages}
            span = "\n".join(pages[n] for n in range(c["page_start"], c["page_end"] + 1))
            assert c["text"] in span, (c["doc"], c["page_start"])


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "information sharing between agencies",
        "what have reviews found about safer sleep",
        "bruising in non-mobile babies",
        "what went wrong with neglect and parental substance use",
    ],
)
def test_broad_questions_get_findings_from_several_documents(
    fictional: Library, question: str
) -> None:
    got = fictional.ask(question, top_k=10)
    assert not got.no_match and got.form == "broad"
    assert len(got.findings) >= 2
    docs = {got.passages[s.citation - 1].document.file for f in got.findings for s in f.supports}
    assert len(docs) >= 2, docs
    data = json.loads(json.dumps(got.to_dict()))
    assert data["form"] == "broad" and len(data["findings"]) == len(got.findings)
    assert all(f["count"] == len({c["doc"] for c in f["citations"]}) for f in data["findings"])
    assert_findings_verbatim(fictional, data)


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "purple elephant tax returns",
        "How do I renew my passport?",
        "how do I fix a flat bicycle tyre",
        # Near the library's subject, about something it never discusses
        # (kb.retrieve.coverage): the similarity floor alone lets these through.
        "what have reviews found about carbon monoxide poisoning of children at home",
        "what have inquiries found about the abuse of children by Catholic clergy",
    ],
)
def test_nonsense_and_out_of_domain_get_no_match(fictional: Library, question: str) -> None:
    got = fictional.ask(question, top_k=10)
    assert got.no_match and got.findings == () and got.sentences == ()
