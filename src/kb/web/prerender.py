"""A deep link's answer in the page's own HTML, before the app's script connects.

Streamlit draws its page over a websocket after the browser has run its
JavaScript, so the HTML of ``/?q=...`` is an empty shell: a client that reads
the HTML (a link preview, a screen reader without scripts, ``chromium
--dump-dom``, a search crawler on an intranet) sees nothing, and a person sees
a blank page for the seconds the first connection takes. ``PrerenderAnswer``
is ASGI middleware for Streamlit's ``st.App`` that answers ``GET /?q=...`` with
Streamlit's own ``index.html`` plus the cited answer and its sources rendered
in (escaped, as the app renders them). Once the app has drawn itself, a CSS rule
hides the copy.

While the server is still opening the library (``ready`` is false), every
page request gets Streamlit's page with a "Loading the library…" notice in the
same place instead, so a fresh server's first paint is that notice, not white.
It names nothing from the library, so it is served behind a password too.

It steps aside, and the request reaches Streamlit untouched, when:

- the app is protected (``ask`` returns ``None``: a password or sign-in must
  come before any passage is shown);
- the link carries more than the question (filters, another page or view):
  those are the app's to interpret, and a different answer must never flash up;
- answering fails (a ``KbError``, an unreadable page): the app then shows
  its own error.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from kb.answer.model import Answer
from kb.errors import KbError
from kb.web.html import LOADING, answer_html, card_header_html

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# The question, or None when the app is protected and must not answer in HTML.
AskFunc = Callable[[str], Answer | None]

# Query parameters a plain deep link may carry; anything else leaves it to the app.
PLAIN_PARAMS = frozenset({"q", "page", "view"})
ROOT_MARKER = '<div id="root"></div>'
MAX_QUESTION = 500
CSS = (
    "<style>#kb-prerender{max-width:46rem;margin:2rem auto;padding:0 1rem;"
    "font-family:'Source Sans Pro',sans-serif;line-height:1.5}"
    "#root:has(.stApp) ~ #kb-prerender{display:none}"
    "#kb-prerender .kb-meta{color:#555;font-size:.9em}"
    "#kb-prerender .kb-sources{list-style:none;padding:0}</style>"
)
LOADING_BLOCK = (
    f'<div id="kb-prerender">{CSS}<h2>Safeguarding review search</h2>'
    f'<p class="kb-loading">{html.escape(LOADING)}</p></div>'
)

log = logging.getLogger(__name__)


def plain_question(query_string: bytes) -> str | None:
    """The question of a plain deep link (``?q=...``, optionally ``page=Ask``,
    ``view=answer``), else None."""
    try:
        params = parse_qs(query_string.decode("ascii"), errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    if not params or set(params) - PLAIN_PARAMS:
        return None
    if params.get("page", ["Ask"]) != ["Ask"] or params.get("view", ["answer"]) != ["answer"]:
        return None
    questions = params.get("q", [])
    if len(questions) != 1:
        return None
    question = questions[0].strip()
    return question[:MAX_QUESTION] if question else None


def answer_fragment(answer: Answer) -> str:
    """The answer and its numbered sources as escaped HTML."""
    head = f"<h2>{html.escape(answer.question)}</h2>"
    if answer.no_match or not answer.sentences:
        return f'{head}<p class="kb-no-match">{html.escape(answer.no_match_message)}</p>'
    cited = {s.citation for s in answer.sentences}
    # The same header as the app's passage cards: title, publisher, year, type,
    # pages and section, escaped, with the anchor the [n] links point at.
    sources = [
        f"<li>{card_header_html(number, hit)}</li>"
        for number, hit in enumerate(answer.passages, start=1)
        if number in cited
    ]
    listing = f'<h3>Sources</h3><ul class="kb-sources">{"".join(sources)}</ul>'
    return f"{head}{answer_html(answer)}{listing}"


def page_with_answer(index_html: str, answer: Answer) -> str | None:
    """Streamlit's page with the answer after its root element (None if the page changed shape)."""
    if ROOT_MARKER not in index_html:
        return None
    block = f'{ROOT_MARKER}<div id="kb-prerender">{CSS}{answer_fragment(answer)}</div>'
    return index_html.replace(ROOT_MARKER, block, 1)


def page_loading(index_html: str) -> str | None:
    """Streamlit's page with the loading notice after its root element."""
    if ROOT_MARKER not in index_html:
        return None
    return index_html.replace(ROOT_MARKER, ROOT_MARKER + LOADING_BLOCK, 1)


def middleware(ask: AskFunc, ready: Callable[[], bool] = lambda: True) -> list[Any]:
    """The middleware list for ``st.App(..., middleware=...)``."""
    from starlette.middleware import Middleware

    return [Middleware(PrerenderAnswer, ask=ask, ready=ready)]


def streamlit_index() -> Path:
    import streamlit

    return Path(streamlit.__file__).parent / "static" / "index.html"


class PrerenderAnswer:
    """ASGI middleware; mount with ``starlette.middleware.Middleware(PrerenderAnswer, ask=...)``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        ask: AskFunc,
        ready: Callable[[], bool] = lambda: True,
        index_html: Path | None = None,
    ) -> None:
        self.app = app
        self.ask = ask
        self.ready = ready  # False while the server still opens the library
        self.index_html = index_html or streamlit_index()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = await self._page(scope) if scope.get("type") == "http" else None
        if page is None:
            await self.app(scope, receive, send)
            return
        body = page.encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-cache"),
                ],
            }
        )
        head_only = scope["method"] == "HEAD"
        await send({"type": "http.response.body", "body": b"" if head_only else body})

    async def _page(self, scope: Scope) -> str | None:
        if scope.get("method") not in ("GET", "HEAD"):
            return None
        root = scope.get("root_path", "") or ""
        if scope.get("path", "") not in (root + "/", root, "/"):
            return None
        if not self.ready():
            return self._index(page_loading)
        question = plain_question(scope.get("query_string", b""))
        if question is None:
            return None
        from anyio import to_thread

        try:
            answer = await to_thread.run_sync(self.ask, question)
            if answer is None:
                return None
            index = self.index_html.read_text(encoding="utf-8")
        except (KbError, OSError) as exc:
            log.warning("deep link not prerendered: %s", exc)
            return None
        return page_with_answer(index, answer)

    def _index(self, render: Callable[[str], str | None]) -> str | None:
        try:
            return render(self.index_html.read_text(encoding="utf-8"))
        except OSError as exc:
            log.warning("loading page not served: %s", exc)
            return None
