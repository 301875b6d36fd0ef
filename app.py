"""kb's Streamlit app: ask a question, read a cited answer, gather precedents.

Run with ``streamlit run app.py``. This file only wires the app together; the
pages are laid out in ``kb.web`` and every action is one ``kb.Library`` call.
Five pages, chosen in the sidebar:

- Ask (``kb.web.ask``): a cited extractive answer over passage cards, or the
  precedent view (one card per review); filters in the sidebar; the question,
  filters and view live in the URL (``?q=...&type=...``) so a search can be shared.
- Similar cases (``kb.web.similar_page``): a pasted case summary, and the reviews
  that dealt with the same pattern (``kb similar``).
- Learning (``kb.web.learning_page``): findings, recommendations and reflective
  questions across the reviews, recurring recommendations, a session pack.
- Collections (``kb.web.collections_page``): pinned passages, exported as
  Markdown, DOCX or CSV.
- Library (``kb.web.library_page``): what is indexed, and an upload control
  that adds documents.

Streamlit runs this file twice: once as the ASGI app that ``streamlit run``
serves (module ``app``: ``st.App`` at the bottom, with ``kb.web.prerender``)
and once per run as the page script (``__main__``). The model, the store and
every cache therefore live in ``kb.web.state``, shared by both.
"""

from __future__ import annotations

import streamlit as st

from kb import Answer, Filters
from kb.web.prerender import middleware
from kb.web.state import ask, data_key, library_ready, opening_library


def main() -> None:
    # Here, not at the top: the server imports this file too, and must not wait
    # for the pages' imports (the library, numpy) before it listens.
    from kb.web.frame import open_page, show, sidebar

    open_page()  # page settings, then the access gate: this run stops there until let in
    bar = sidebar()  # stops the run when the library can't be opened
    show(bar)


def prerendered_answer(question: str) -> Answer | None:
    """A deep link's answer for ``kb.web.prerender`` (None while access control is on).

    Through the same cache as the page, so the app's first run of that link
    finds the answer ready. Never waits for the library to open: a fresh
    server's deep link gets Streamlit's page at once, which answers when ready."""
    if not library_ready():  # first: the pages' imports (protected) wait for the warm-up
        return None  # the page itself then says "Loading the library…" and answers
    from kb.web.frame import protected

    if protected():
        return None
    return ask(data_key(), question, Filters())


# `streamlit run app.py` finds this ASGI app and serves through it: Streamlit
# itself, plus kb.web.prerender, which writes a deep link's cited answer into the
# page's HTML. Streamlit runs this file as the page script, named __main__.
# Once it serves, the server opens the library in the background (opening_library).
app = st.App(
    __file__,
    middleware=middleware(prerendered_answer, ready=library_ready),
    lifespan=opening_library,
)

if __name__ == "__main__":
    main()
