"""No good match on the real corpus: near negatives refused, dev questions answered.

``bench/questions/near_negatives.jsonl`` holds questions near the library's
subject that it cannot answer (each checked by reading the top passages), the
answer-type check's; ``broad_negatives.jsonl`` broad ones about what the
library never discusses, the unknown-term check's (with
``broad_answerable.jsonl``, broad paraphrases it does answer). docs/quality.md,
"No good match" and "No good match across libraries", has the figures and the misses.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.library import Library

ROOT = Path(__file__).resolve().parents[2]
NEAR_NEGATIVES = ROOT / "bench" / "questions" / "near_negatives.jsonl"
BROAD_NEGATIVES = ROOT / "bench" / "questions" / "broad_negatives.jsonl"
BROAD_ANSWERABLE = ROOT / "bench" / "questions" / "broad_answerable.jsonl"
DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"

pytestmark = [pytest.mark.real, pytest.mark.slow]


def _questions(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_near_negatives_mostly_get_no_good_match(real_library: Library) -> None:
    negatives = _questions(NEAR_NEGATIVES)
    assert len(negatives) >= 20
    refused = [q["id"] for q in negatives if real_library.retrieve(str(q["question"])).no_match]
    assert len(refused) >= 0.8 * len(negatives), refused


def test_broad_near_negatives_mostly_get_no_good_match(real_library: Library) -> None:
    """What have reviews found about <something the library never discusses>?"""
    negatives = _questions(BROAD_NEGATIVES)
    assert len(negatives) >= 10
    refused = [q["id"] for q in negatives if real_library.retrieve(str(q["question"])).no_match]
    assert len(refused) >= 0.8 * len(negatives), refused
    answerable = _questions(BROAD_ANSWERABLE)
    wrongly = [q["id"] for q in answerable if real_library.retrieve(str(q["question"])).no_match]
    assert not wrongly


def test_answerable_dev_questions_are_still_answered(real_library: Library) -> None:
    if not DEV_QUESTIONS.is_file():
        pytest.skip("../shared/eval/dev_questions.jsonl not present")
    rows = _questions(DEV_QUESTIONS)
    answerable = [q for q in rows if q.get("relevant")]
    refused = [q["id"] for q in answerable if real_library.retrieve(str(q["question"])).no_match]
    assert len(refused) <= 0.05 * len(answerable), refused
    negatives = [q for q in rows if not q.get("relevant")]
    assert all(real_library.retrieve(str(q["question"])).no_match for q in negatives)
