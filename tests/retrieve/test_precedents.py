"""The precedent finder ranks documents by the evidence of several passages.

Two end-to-end checks: over the fictional corpus with the hashing embedder
(fast), and over the real corpus with the real model (``real``). Each uses a
fictional case summary written from one document's content in other words;
that document must come first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from fictional_library import fictional_library
from kb.cli import cli
from kb.embed.hashing import HashEmbedder
from kb.library import Library
from kb.records import Filters
from kb.retrieve.precedents import Precedent, case_windows
from kb.text.sentences import sentences

DATA = Path(__file__).resolve().parents[1] / "data"

# Written from the Baby Willow review (corpus/fictional), in other words.
WILLOW_LIKE_CASE = """
A seven-week-old girl was brought to hospital limp and refusing feeds. Scans showed
several broken ribs of different ages, a fractured leg bone and bleeding on the brain.
Her mother was a teenager who had recently moved into the area from another county, and
her earlier records never arrived. The mother's boyfriend, who was wrongly written down
as the baby's father, looked after the baby most days; he had past convictions for
violence towards previous girlfriends, which only the police knew about. The first home
visit after the birth was late and done by a nursery nurse, who did not see the baby
undressed. Three later home visits did not happen and the baby was discharged to the
surgery. At a doctor's appointment for a cough a nurse saw a bruise behind the baby's
ear, accepted the mother's explanation and made no referral. Days before the admission
neighbours reported shouting and a crying baby; officers spoke to the boyfriend on the
doorstep, did not see the baby, and their notification sat unread in a screening backlog.
"""


def test_sentences_split_on_sentence_ends() -> None:
    text = "Marcus was 16. He was excluded in Year 10! Was he safe? Nobody asked."
    assert sentences(text) == ["Marcus was 16.", "He was excluded in Year 10!", "Was he safe?",
                               "Nobody asked."]
    assert sentences("   ") == []


def test_windows_fit_the_budget_and_overlap() -> None:
    count = HashEmbedder().count_tokens
    windows = case_windows(WILLOW_LIKE_CASE, count, max_tokens=90)
    assert len(windows) >= 4
    assert all(count([w])[0] <= 90 for w in windows)
    order = sentences(WILLOW_LIKE_CASE)
    overlaps = 0
    for a, b in zip(windows, windows[1:], strict=False):
        last, first = order.index(sentences(a)[-1]), order.index(sentences(b)[0])
        assert first in (last, last + 1)  # overlap by one sentence, or follow on
        overlaps += first == last
        assert sentences(b) != [sentences(a)[-1]]  # never a window of the overlap alone
    assert overlaps >= 2
    joined = " ".join(windows)
    assert all(s in joined for s in sentences(WILLOW_LIKE_CASE))


def test_a_sentence_longer_than_the_budget_is_cut_on_words() -> None:
    count = HashEmbedder().count_tokens
    long = " ".join(["word"] * 50) + "."
    windows = case_windows(long, count, max_tokens=20)
    assert len(windows) >= 3 and all(count([w])[0] <= 20 for w in windows)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    lib, report = fictional_library(tmp_path_factory.mktemp("similar"))
    assert report.failed == []
    yield lib
    lib.close()


def test_the_source_review_ranks_first(library: Library) -> None:
    precedents = library.similar(WILLOW_LIKE_CASE, top_docs=5)
    assert [p.document.file for p in precedents][0] == "northvale-lcspr-baby-willow.pdf"
    assert len({p.document.doc_id for p in precedents}) == len(precedents)  # documents, not chunks
    best = precedents[0]
    assert isinstance(best, Precedent)
    assert 2 <= len(best.passages) <= 3
    assert all(h.document.doc_id == best.document.doc_id for h in best.passages)
    assert best.score == pytest.approx(best.coverage + sum(h.score for h in best.passages))
    assert [p.score for p in precedents] == sorted((p.score for p in precedents), reverse=True)
    assert best.windows_matched >= 2


def test_filters_apply_to_precedents(library: Library) -> None:
    precedents = library.similar(WILLOW_LIKE_CASE, filters=Filters(year_to=2023), top_docs=5)
    assert precedents and all((p.document.year or 0) <= 2023 for p in precedents)
    assert "northvale-lcspr-baby-willow.pdf" not in {p.document.file for p in precedents}


def test_cli_similar_prints_grouped_cited_passages(library: Library, tmp_path: Path) -> None:
    case = tmp_path / "case.txt"
    case.write_text(WILLOW_LIKE_CASE, encoding="utf-8")
    library.close()
    env = {"KB_TAXONOMY_PATH": str(library.settings.ingest.taxonomy_path), "KB_PARSE_TIMEOUT": "0"}
    store = str(library.settings.store.store_dir)
    result = CliRunner().invoke(cli, ["--store", store, "similar", "--file", str(case),
                                      "--top-docs", "3"], env=env)
    assert result.exit_code == 0, result.output
    # The CLI loads the real model, so over this hash-embedded store only the layout is
    # checked here; the ranking is checked through the library above.
    blocks = result.output.strip().split("\n\n")
    assert [b[:4] for b in blocks] == ["[1] ", "[2] ", "[3] "]
    for block in blocks:
        passages = [line for line in block.splitlines() if line.startswith("    - ")]
        assert 1 <= len(passages) <= 3
        assert all(" p. " in line or " pp. " in line for line in passages)  # cited pages
    both = CliRunner().invoke(cli, ["--store", store, "similar", "--text", "x", "--file",
                                    str(case)], env=env)
    assert both.exit_code == 2 and "exactly one of --text or --file" in both.output


# Each case retells part of one real document in other words; that document must rank
# first. The three were also the development set for the window size and scoring (see
# docs/quality.md), so they guard against regressions rather than prove generality.
REAL_CASES = [
    # The extra-familial harm cohort of the London rapid reviews analysis, pp. 15-18.
    ("case_london_exploitation.txt", "London-Rapid-Reviews-Analysis-Report.pdf", range(14, 19)),
    # Children deprived of their liberty in unregistered homes.
    ("case_illegal_homes.txt", "cco-illegal-childrens-homes.pdf", range(1, 40)),
    # Ofsted's focused visit: drift in discharging care orders, kinship SGOs, recording.
    (
        "case_permanence_delay.txt",
        "West_Northamptonshire_Focused_visit_of_local_authority_childrens_services_Apr25.pdf",
        range(1, 13),
    ),
]


@pytest.mark.real
@pytest.mark.parametrize(("case", "source", "pages"), REAL_CASES, ids=[c[0] for c in REAL_CASES])
def test_real_source_ranks_first_for_a_case_written_from_it(  # type: ignore[no-untyped-def]
    real_library, case: str, source: str, pages: range
) -> None:
    text = (DATA / case).read_text(encoding="utf-8")
    precedents = real_library.similar(text, top_docs=5)
    ranking = [(p.document.file, round(p.score, 3)) for p in precedents]
    assert precedents[0].document.file == source, ranking
    assert any(h.chunk.page_start in pages for h in precedents[0].passages), ranking
