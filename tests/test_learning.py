"""``kb learning`` on reviews the tagger was not written against (tests/learning_docs.py):
recall of the known recommendations and questions, addressee level, filters, grouping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.cli.learning import JSON_FIELDS
from learning_docs import KNOWN, SAME_ASK, write_learning_docs


def run(store: Path, *args: str) -> Any:
    env: dict[str, str | None] = {
        "KB_STORE_DIR": str(store),
        "KB_EMBEDDER": "hash",  # the rules are under test, not the model
        "QDRANT_URL": None,
        "KB_QDRANT_URL": None,
    }
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if "--json" in args else result.output


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("learning")
    docs = write_learning_docs(root / "docs")
    run(root / ".kb", "ingest", str(docs))
    return root / ".kb"


def _found(items: list[dict[str, Any]], doc: str, role: str, phrase: str) -> dict | None:
    return next(
        (i for i in items if i["doc"] == doc and i["role"] == role and phrase in i["text"]), None
    )


def test_known_recommendations_and_questions_are_found(store: Path) -> None:
    items = run(store, "learning", "--json")
    assert items and all(list(i)[: len(JSON_FIELDS)] == list(JSON_FIELDS) for i in items)
    wanted = [k for k in KNOWN if k[1] in ("recommendation", "reflective_question")]
    found = [k for k in wanted if _found(items, k[0], k[1], k[2])]
    assert len(found) >= 0.8 * len(wanted), set(wanted) - set(found)
    recs = [(k, _found(items, k[0], k[1], k[2])) for k in wanted if k[1] == "recommendation"]
    right = [k for k, item in recs if item and item["addressee_level"] == k[3]]
    assert len(right) >= 0.8 * len(recs)
    named = [k for k, item in recs if item and item["addressee"] == k[4]]
    assert len(named) >= 0.8 * len(recs)
    for doc, role, phrase, _, _ in KNOWN:
        if role == "finding":
            assert _found(items, doc, role, phrase), phrase


def test_filters_by_role_level_addressee_and_audience(store: Path) -> None:
    national = run(store, "learning", "--role", "recommendation", "--addressee-level",
                   "national", "--json")
    assert {i["addressee"] for i in national} == {
        "The Department for Education", "NHS England", "Ofsted"
    }
    ofsted = run(store, "learning", "--addressee", "ofsted", "--json")
    assert [i["addressee"] for i in ofsted] == ["Ofsted"]
    leaders = run(store, "learning", "--role", "reflective_question", "--audience", "leaders",
                  "--json")
    assert leaders and all(i["doc"] == "birch.pdf" for i in leaders)
    assert run(store, "learning", "--role", "recommendation", "--file", "alder.pdf",
               "--json") == [i for i in run(store, "learning", "--role", "recommendation",
                                            "--json") if i["doc"] == "alder.pdf"]


def test_query_ranks_by_relevance(store: Path) -> None:
    ranked = run(store, "learning", "--role", "reflective_question", "--query",
                 "information about fathers", "--json")
    assert "fathers" in ranked[0]["text"]
    assert ranked[0]["score"] >= ranked[-1]["score"]


def test_the_same_ask_in_other_words_is_grouped(store: Path) -> None:
    groups = run(store, "learning", "--role", "recommendation", "--group", "--json")
    assert groups, "no group"
    top = groups[0]
    assert top["documents"] == 2
    texts = " ".join(i["text"] for i in top["items"])
    assert all(phrase in texts for phrase in SAME_ASK)
    assert all(i["citation"] and i["year"] for i in top["items"])
    shown = run(store, "learning", "--role", "recommendation", "--group")
    assert "2 documents recommended" in shown
