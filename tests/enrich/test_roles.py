"""The review-anatomy roles: sections, labels, questions and addressees, and the hand labels."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kb.enrich.addressee import addressee_of, audience_of, level_of
from kb.enrich.roles import SHIPPED, tag_roles
from kb.enrich.sections import heading_role
from kb.records import Chunk

REPO = Path(__file__).resolve().parents[2]
LABELS = REPO / "tests" / "data" / "fictional_roles.jsonl"


def chunk(text: str, *path: str, index: int = 0) -> Chunk:
    return Chunk("d", index, text, 1, 1, tuple(path))


@pytest.mark.parametrize(
    ("heading", "role"),
    [
        ("5. Findings", "finding"),
        ("What the review found", "finding"),
        ("Learning point 2: Fathers were not seen", "finding"),
        ("7.2 Recommendations for local areas", "recommendation"),
        ("Questions for reflection", "reflective_question"),
        ("Examples of good practice", "good_practice"),
        ("3. Key practice episodes", "practice_episode"),
        ("2. The child and family", "background"),
        ("Appendix B: terms used", "other"),
        ("3.1 Ms S's admissions and the children at home", None),
    ],
)
def test_headings_name_their_part(heading: str, role: str | None) -> None:
    assert heading_role(heading) == role


def test_sub_sections_inherit_and_labels_open_items() -> None:
    [c] = tag_roles(
        [
            chunk(
                "4.1 The move to a new school\nThe school was not told about the plan.\n"
                "4.2 The second referral\nThe referral was closed after a phone call.",
                "4. Key practice episodes",
            )
        ]
    )
    assert c.role == "practice_episode"
    assert [i.section for i in c.items] == [
        "4.1 The move to a new school",
        "4.2 The second referral",
    ]


def test_a_bullet_on_its_own_line_is_neither_heading_nor_text() -> None:
    """PDF text often breaks after a bullet symbol: "•" alone is no section."""
    [c] = tag_roles(
        [
            chunk(
                "\u2022\nRecommendation: The government should introduce a single child plan.\n"
                "\u2022\nRecommendation: Support should be delivered on school sites.",
                "Recommendations",
            )
        ]
    )
    assert [(i.role, i.section) for i in c.items] == [("recommendation", "Recommendations")] * 2
    assert all(i.text.startswith("Recommendation:") for i in c.items)


def test_recommendations_carry_addressee_and_level() -> None:
    [c] = tag_roles(
        [
            chunk(
                "We recommend that:\n- the Home Office issues guidance on disclosure.\n"
                "- Riverside Council reviews its home education team.\n"
                "Recommendation 3: The partnership should audit neglect cases yearly.",
                "6. Recommendations",
            )
        ]
    )
    got = [(i.role, i.addressee, i.addressee_level) for i in c.items]
    assert got == [
        ("recommendation", "the Home Office", "national"),
        ("recommendation", "Riverside Council", "local"),
        ("recommendation", "The partnership", "local"),
    ]


def test_questions_one_per_item_with_audience() -> None:
    [c] = tag_roles(
        [
            chunk(
                "Senior leaders may wish to consider:\n- How do you know plans are followed? "
                "Who checks?\n- What would you change?",
                "8. Next steps",
            )
        ]
    )
    assert [(i.role, i.text, i.audience) for i in c.items] == [
        ("reflective_question", "How do you know plans are followed?", "leaders"),
        ("reflective_question", "Who checks?", "leaders"),
        ("reflective_question", "What would you change?", "leaders"),
    ]


def test_guidance_wording_is_not_learning() -> None:
    [c] = tag_roles(
        [
            chunk(
                "It is good practice to seek parental cooperation. Local authorities should "
                "have arrangements in place. Do parents always agree?",
                "Working with parents",
            )
        ]
    )
    assert c.items == ()


@pytest.mark.parametrize(
    ("text", "who", "level"),
    [
        ("Recommendation 2: NHS England should fund training.", "NHS England", "national"),
        (
            "3.1 The Alderbrook Partnership should keep one record.",
            "The Alderbrook Partnership",
            "local",
        ),
        ("The review recommends that Ofsted looks at early help.", "Ofsted", "national"),
        (
            "We recommend that safeguarding partners make sure chronologies exist.",
            "safeguarding partners",
            "local",
        ),
        (
            "When a child is withdrawn, the local authority should visit.",
            "the local authority",
            "local",
        ),
        ("The board should write to the Department for Education.", "The board", "local"),
    ],
)
def test_addressee_is_the_subject(text: str, who: str, level: str) -> None:
    assert addressee_of(text) == who
    assert level_of(addressee_of(text)) == level


def test_level_from_heading_when_addressee_unknown() -> None:
    assert level_of("Fernhill Trust", ("National recommendations",)) == "local"  # a trust
    assert level_of("the Taskforce", ("National recommendations",)) == "national"
    assert audience_of("Reflective questions for safeguarding partnerships") == "partnerships"


def test_every_shipped_role_is_precise_on_the_hand_labels(tmp_path: Path) -> None:
    """bench/roles.py's measure, on a store built with the hashing embedder."""
    sys.path.insert(0, str(REPO / "tests"))
    sys.path.insert(0, str(REPO / "bench"))
    from fictional_library import fictional_library
    from roles import score_fictional, score_levels

    library, _ = fictional_library(tmp_path)
    try:
        chunks = {d.file: library.chunks_of(d.doc_id) for d in library.documents()}
    finally:
        library.close()
    items = {doc: [i for c in cs for i in c.items] for doc, cs in chunks.items()}
    labels = [json.loads(x) for x in LABELS.read_text(encoding="utf-8").splitlines()]
    table = score_fictional(items, labels)
    for role, t in table.items():
        if role in SHIPPED:
            assert t["tp"] >= 0.85 * t["items"], (role, t)
            assert t["found"] >= 0.7 * t["labels"], (role, t)
    levels = score_levels(items, labels)
    found = sum(v for k, v in levels.items() if isinstance(k, tuple))
    right = sum(v for k, v in levels.items() if isinstance(k, tuple) and k[0] == k[1])
    assert found >= 60 and right >= 0.9 * found, levels
