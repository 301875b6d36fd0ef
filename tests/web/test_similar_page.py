"""The Similar cases page (kb.web.similar_page) through AppTest, on the fictional
reviews embedded with the real model: a case summary finds the review it was
written from, nonsense finds nothing, and the summary is never kept."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_store import APP, app_store
from kb.web.similar_page import NO_MATCH, PIN_QUESTION
from kb.workspace.pinned import Collections

pytestmark = pytest.mark.slow

TIMEOUT = 240  # the first run loads the model

# Written from the fictional Baby Willow review (Northvale), in other words.
CASE = (
    "A baby of a few months was brought to hospital limp and not feeding; scans found "
    "old rib fractures from more than one occasion. The mother's partner had earlier "
    "convictions for violence against previous partners. The police knew this but the "
    "midwife, health visitor and GP did not. At the antenatal booking the question "
    "about domestic abuse was not asked because the partner was in the room."
)
NONSENSE_CASE = (
    "The purple elephant filed its tax returns late. Bicycle tyres were inflated to "
    "the wrong pressure before the regatta. The orchestra tuned to a lower pitch."
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    return app_store(tmp_path_factory, real_embedder)


@pytest.fixture
def app(store: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("KB_STORE_DIR", str(store))
    monkeypatch.setenv("KB_OCR", "false")
    monkeypatch.delenv("KB_APP_PASSWORD", raising=False)
    shutil.rmtree(store / "collections", ignore_errors=True)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["page"] = "Similar cases"
    yield at
    shutil.rmtree(store / "collections", ignore_errors=True)


def find_similar(at: AppTest, case: str) -> AppTest:
    at.run()
    at.text_area(key="case").input(case)
    [submit] = [b for b in at.button if b.label == "Find similar reviews"]
    return submit.click().run()


def card_titles(at: AppTest) -> list[str]:
    return [h.value for h in at.html if 'class="kb-card-head"' in h.value]


def test_a_case_summary_finds_the_review_it_was_written_from(app: AppTest, store: Path) -> None:
    at = find_similar(app, CASE)
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert [t.value for t in at.title] == ["Similar cases"]
    heads = card_titles(at)
    assert heads and "Baby Willow" in heads[0], heads
    assert any("match this pattern" in h.value or "matches this pattern" in h.value
               for h in at.subheader)
    # The summary describes a child: never in the address bar.
    assert all(CASE[:40] not in str(v) for v in at.query_params.values())
    pin = next(b for b in at.button if b.label == "Pin to collection")
    at = pin.click().run()
    [item] = Collections(store / "collections").all()[0].items
    assert item.question == PIN_QUESTION and CASE[:40] not in item.question


def test_a_case_the_library_has_nothing_like_says_so(app: AppTest) -> None:
    at = find_similar(app, NONSENSE_CASE)
    assert not at.exception
    assert [w.value for w in at.warning] == [NO_MATCH]
    assert not card_titles(at)
