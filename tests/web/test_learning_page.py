"""The Learning page through the app (AppTest) on the fictional samples, and the session pack."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.proto.Block_pb2 import Block as BlockProto
from streamlit.testing.v1 import AppTest

from app_store import APP, hash_store
from kb.answer.learning import LearningQuery
from kb.config import Settings
from kb.library import Library
from kb.records import Filters
from kb.workspace.pinned import Collections
from kb.workspace.session_pack import to_session_pack


@pytest.fixture
def env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict]:
    values = hash_store(tmp_path_factory)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KB_APP_PASSWORD", raising=False)
    collections = Path(values["KB_STORE_DIR"]) / "collections"
    shutil.rmtree(collections, ignore_errors=True)
    yield values
    shutil.rmtree(collections, ignore_errors=True)


def open_learning(**params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["page"] = "Learning"
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def shown_html(at: AppTest) -> str:
    return "\n".join(h.value for h in at.html)


def test_the_page_shows_questions_recommendations_and_groups(env: dict) -> None:
    at = open_learning()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Learning"]
    labels = [t.label for t in at.tabs]
    assert [label.split(" (")[0] for label in labels[:3]] == [
        "Findings",
        "Recommendations",
        "Reflective questions",
    ]
    assert opening_tab(at) == labels[0]
    assert "Recurring recommendations" in labels
    page = shown_html(at)
    assert "?" in page  # reflective questions are listed
    assert "to the department for education (national)" in page.lower()
    assert any("documents recommended:" in m.value for m in at.markdown), "no recurring group"
    # Searchable: a query ranks that tab's items.
    at.text_input(key="learn-q-reflective_question").set_value("no further action").run()
    assert not at.exception
    assert any("reflective questions for" in c.value for c in at.caption)


def opening_tab(at: AppTest) -> str:
    """The label of the tab the page opens on (the tab container's default)."""
    found: list[int] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if isinstance(proto, BlockProto) and proto.WhichOneof("type") == "tab_container":
            found.append(proto.tab_container.default_tab_index)
        children = getattr(node, "children", None) or {}
        for child in children.values() if isinstance(children, dict) else children:
            walk(child)

    walk(at._tree)
    assert found, "no tabs on the page"
    return str(at.tabs[found[0]].label)


# A review whose findings are not written as findings: only its recommendations
# are learning items (as with much of a library of guidance and reports).
RECOMMENDATIONS_ONLY = [
    "Oakridge Safeguarding Partnership (fictional)\n\n"
    "Child Safeguarding Practice Review: Child P\n\n"
    "1. Introduction\n\n"
    "This review looks at the support given to P, aged 6, and his family between 2022 "
    "and 2024. P lived with his father and his father's partner.",
    "2. Recommendations\n\n"
    "2.1 The Oakridge Safeguarding Partnership should make sure that every agency keeps a "
    "single running record of injuries seen on a child.\n\n"
    "2.2 Oakridge Council should train its early help workers to ask about every adult "
    "who lives in or visits the home.",
]


def test_each_tab_counts_its_items_and_the_page_opens_on_one_with_any(
    env: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A review with recommendations and no findings: filtered to it, the
    page opens on Recommendations, not on an empty Findings tab, and each tab
    says how many items it holds."""
    from app_store import copy_store
    from conftest import write_pdf
    from kb.embed.hashing import HashEmbedder

    store = copy_store(Path(env["KB_STORE_DIR"]), tmp_path / "store")
    monkeypatch.setenv("KB_STORE_DIR", str(store))
    library = Library(
        Settings.of(store_dir=store, ocr=False, parse_timeout=0), embedder=HashEmbedder()
    )
    try:
        pdf = write_pdf(tmp_path / "oakridge-child-p.pdf", RECOMMENDATIONS_ONLY)
        assert len(library.ingest([pdf]).added) == 1
        doc = next(d for d in library.documents() if d.file == pdf.name)
        roles = {
            r: len(
                library.learning(LearningQuery(roles=(r,)), Filters(publishers=(doc.publisher,)))
            )
            for r in ("finding", "recommendation")
        }
    finally:
        library.close()
    assert roles["finding"] == 0 and roles["recommendation"] > 0, roles

    at = open_learning(publisher=doc.publisher)
    assert not at.exception, [e.value for e in at.exception]
    labels = [t.label for t in at.tabs]
    assert labels[:2] == ["Findings (0)", f"Recommendations ({roles['recommendation']})"]
    assert opening_tab(at) == labels[1]


def test_pinned_items_export_as_a_session_pack(env: dict) -> None:
    import docx

    at = open_learning()
    at.text_input(key="learn-q-finding").set_value("no further action").run()
    pins = [b for b in at.button if b.label == "Pin to collection"]
    pins[0].click().run()  # the finding that ranks first
    assert not at.exception, [e.value for e in at.exception]
    store = Path(env["KB_STORE_DIR"])
    [col] = [c for c in Collections(store / "collections").all() if c.items]
    [pinned] = col.items
    assert pinned.role == "finding" and pinned.text
    library = Library(Settings.from_env())
    try:
        questions = library.learning(LearningQuery(roles=("reflective_question",)))
    finally:
        library.close()
    document = docx.Document(io.BytesIO(to_session_pack(col, questions)))
    text = "\n".join(p.text for p in document.paragraphs)
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert quotes == [" ".join(pinned.text.split())]
    assert "Reflective questions" in text and "References" in text
    related = [q for q in questions if q.doc_id == pinned.doc_id]
    assert related and all(q.text in text for q in related)
    assert pinned.reference() in text
