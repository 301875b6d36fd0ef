"""Recommendation and learning passages are told apart from guidance that merely says "should"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.enrich.kinds import PASSAGE, RECOMMENDATION, detect_kind

LABELS = Path(__file__).resolve().parents[1] / "data" / "theme_labels.jsonl"


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("Recommendation 1: The partnership should relaunch the bruising protocol.", ()),
        ("Recommendation: Every secure setting must have a Youth Council.", ()),
        ("The safeguarding partnership should audit NRM referrals twice a year.", ()),
        ("The Department for Education should introduce a national transition protocol.", ()),
        ("Learning point: practitioners should ask who else lives in the home.", ()),
        ("This review recommends that the health visiting service is re-specified.", ()),
        (
            "For housing officers and providers to ensure that parents can practise safer "
            "sleeping when placed in temporary accommodation.",
            ("Recommendations",),
        ),
        ("Local areas should continue to prioritise workforce development.", ("Key learning",)),
    ],
)
def test_recommendations_are_detected(text: str, heading: tuple[str, ...]) -> None:
    assert detect_kind(text, heading) == RECOMMENDATION


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        # Statutory guidance is full of "should": the subject is not a recommender.
        ("Local authorities should have in place arrangements for joint working.", ()),
        ("Schools must enter pupils' names on the admission register.", ("Schools",)),
        # A procedural step naming a national body.
        ("The Home Office should be informed of the young person's return.", ()),
        # A findings list under a learning heading that asks nothing of anyone.
        ("Resourcing was a key concern across Wave 1 and Wave 2 areas.", ("Key learnings",)),
        # A contents page listing the recommendations section.
        ("5. Recommendations ........ 12\n6. Appendix ........ 14", ("Contents",)),
        ("", ()),
    ],
)
def test_guidance_and_contents_are_passages(text: str, heading: tuple[str, ...]) -> None:
    assert detect_kind(text, heading) == PASSAGE


def test_precision_on_hand_labelled_chunks() -> None:
    """Against the hand labels: no more than one in five detections may be wrong,
    and at least half the labelled recommendation passages must be found."""
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    predicted = [detect_kind(r["text"], r["heading_path"]) == RECOMMENDATION for r in rows]
    gold = [bool(r["recommendation"]) for r in rows]
    tp = sum(p and g for p, g in zip(predicted, gold, strict=True))
    fp = sum(p and not g for p, g in zip(predicted, gold, strict=True))
    assert sum(gold) >= 8
    assert tp / max(tp + fp, 1) >= 0.8
    assert tp / sum(gold) >= 0.5
