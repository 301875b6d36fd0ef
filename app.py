"""kb's Streamlit front end (minimal): ask a question, read cited passages.

Run with ``streamlit run app.py``. All work goes through ``kb.Library``.
"""

from __future__ import annotations

import streamlit as st

from kb.config import Settings
from kb.errors import KbError
from kb.library import Library


@st.cache_resource
def library() -> Library:
    return Library(Settings.from_env())


st.set_page_config(page_title="kb: safeguarding review search", layout="wide")
st.title("Safeguarding practice review search")
st.caption("Content note: these reviews describe abuse, neglect and the deaths of children.")
question = st.text_input("Ask a question", value=st.query_params.get("q", ""))
if question:
    try:
        hits = library().search(question, top_k=10)
    except KbError as exc:
        st.error(str(exc))
        hits = []
    for i, hit in enumerate(hits, 1):
        with st.container(border=True):
            st.markdown(f"**[{i}]** {hit.citation()}")
            st.text(hit.chunk.text)
