"""kb.web.prerender: a deep link's answer in the page HTML, through a real ASGI stack."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from kb.answer.model import NO_MATCH_MESSAGE, Answer, AnswerSentence
from kb.errors import StoreError
from kb.records import Chunk, Document, Hit
from kb.web.prerender import (
    PrerenderAnswer,
    answer_fragment,
    page_loading,
    page_with_answer,
    plain_question,
)

HOSTILE = "<script>alert(1)</script>"
INDEX = '<html><body><noscript>JS</noscript><div id="root"></div></body></html>'


def hit(title: str = "Review of Child R", pages: tuple[int, int] = (7, 8)) -> Hit:
    doc = Document(doc_id="d", file="child-r.pdf", title=title, publisher="Northvale", year=2023)
    chunk = Chunk(
        doc_id="d", index=0, text="x", page_start=pages[0], page_end=pages[1],
        heading_path=("4 Findings",),
    )
    return Hit(chunk=chunk, document=doc, score=1.0)


def answer(question: str = "How often was he missing?", *, no_match: bool = False) -> Answer:
    sentences = () if no_match else (AnswerSentence("He was reported missing 14 times.", 1, 0, 30),)
    return Answer(question, sentences, (hit(), hit("Second review", (2, 2))), no_match)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"q=how+often", "how often"),
        (b"q=%20how%20often%20&page=Ask&view=answer", "how often"),
        (b"q=", None),
        (b"", None),
        (b"q=a&type=local_review", None),  # filters are the app's to apply
        (b"q=a&page=Library", None),
        (b"q=a&view=reviews", None),
        (b"q=a&q=b", None),
        (b"q=%ff", None),
    ],
)
def test_plain_question(query: bytes, expected: str | None) -> None:
    assert plain_question(query) == expected


def test_fragment_cites_and_lists_only_cited_sources() -> None:
    out = answer_fragment(answer())
    assert ">[1]</a>" in out and "14 times" in out
    assert 'id="passage-1"' in out and "pp. 7" in out and "4 Findings" in out
    assert "Second review" not in out  # passage 2 is not cited


def test_fragment_escapes_question_and_document_fields() -> None:
    a = Answer(HOSTILE, (AnswerSentence(HOSTILE, 1, 0, 5),), (hit(HOSTILE),), False)
    out = answer_fragment(a)
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_no_match_fragment() -> None:
    out = answer_fragment(answer(no_match=True))
    assert NO_MATCH_MESSAGE in out and "kb-cite" not in out


def test_page_keeps_streamlit_shell_and_adds_the_answer_after_root() -> None:
    page = page_with_answer(INDEX, answer())
    assert page is not None
    assert page.index('<div id="root"></div>') < page.index('id="kb-prerender"')
    assert "<noscript>JS</noscript>" in page
    assert page_with_answer("<html>changed</html>", answer()) is None


def client(
    tmp_path: Path,
    ask: Callable[[str], Answer | None],
    ready: Callable[[], bool] = lambda: True,
) -> TestClient:
    index = tmp_path / "index.html"
    index.write_text(INDEX, encoding="utf-8")

    async def shell(request: object) -> PlainTextResponse:
        return PlainTextResponse("streamlit")

    app = Starlette(
        routes=[Route("/", shell), Route("/other", shell)],
        middleware=[Middleware(PrerenderAnswer, ask=ask, ready=ready, index_html=index)],
    )
    return TestClient(app)


def test_a_fresh_server_s_pages_say_loading_until_the_library_is_open(tmp_path: Path) -> None:
    opened = False
    asked: list[str] = []

    def ask(q: str) -> Answer:
        asked.append(q)
        return answer(q)

    with client(tmp_path, ask, ready=lambda: opened) as c:
        for params in ({}, {"q": "How often was he missing?"}, {"page": "Library"}):
            r = c.get("/", params=params)
            assert r.status_code == 200 and "Loading the library" in r.text, params
            assert 'id="root"' in r.text and "<noscript>JS</noscript>" in r.text
            assert r.text.index('<div id="root"></div>') < r.text.index("Loading the library")
        assert asked == []  # nothing is asked of a library still opening
        assert c.get("/other").text == "streamlit"  # only the page itself
        opened = True
        assert c.get("/").text == "streamlit"
        assert "14 times" in c.get("/", params={"q": "How often was he missing?"}).text
    assert page_loading("<html>changed</html>") is None


def test_deep_link_gets_the_answer_in_html(tmp_path: Path) -> None:
    asked: list[str] = []

    def ask(q: str) -> Answer:
        asked.append(q)
        return answer(q)

    with client(tmp_path, ask) as c:
        r = c.get("/", params={"q": "How often was he missing?"})
        assert r.status_code == 200 and "14 times" in r.text and 'id="root"' in r.text
        assert r.headers["cache-control"] == "no-cache"
        assert c.head("/", params={"q": "x"}).content == b""
        # Everything else reaches the app untouched.
        assert c.get("/").text == "streamlit"
        assert c.get("/other", params={"q": "x"}).text == "streamlit"
        assert c.get("/", params={"q": "x", "type": "local_review"}).text == "streamlit"
        assert c.post("/", params={"q": "x"}).status_code == 405
    assert asked == ["How often was he missing?", "x"]


def test_protected_app_is_never_prerendered(tmp_path: Path) -> None:
    with client(tmp_path, lambda q: None) as c:
        assert c.get("/", params={"q": "anything"}).text == "streamlit"


def test_failure_falls_back_to_the_app(tmp_path: Path) -> None:
    def broken(q: str) -> Answer:
        raise StoreError("no index at /x: run `kb ingest` first")

    with client(tmp_path, broken) as c:
        assert c.get("/", params={"q": "anything"}).text == "streamlit"


def test_the_app_never_prerenders_behind_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """app.py's hook declines before touching the library when access control is on."""
    import importlib.util

    from app_store import APP

    monkeypatch.setenv("KB_APP_PASSWORD", "correct horse battery staple")
    spec = importlib.util.spec_from_file_location("kb_app_under_test", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look it up
    spec.loader.exec_module(module)  # as Streamlit's ASGI import does: main() does not run
    assert module.prerendered_answer("How often was he missing?") is None
