"""The Similar cases page: paste a case summary, get the reviews that dealt with
the same pattern (``kb similar``), each with the passages that show it.

For Panel staff checking precedents. The summary is never put in the address
bar or in a pin: it describes a real child, and links and session packs are
shared. Documents whose shown passages fall short of the bar the answer uses
are counted, not listed, so a summary the library has nothing like gets
"no close match" rather than five padded cards. Document text is shown escaped
(``kb.web.html``).
"""

from __future__ import annotations

import streamlit as st

from kb.errors import KbError
from kb.text.limits import CASE_MAX_CHARS
from kb.web import html as ui
from kb.web import state
from kb.web.active_filters import active_filters
from kb.web.ask import pinned_ids
from kb.web.cards import card_actions
from kb.web.sidebar import Sidebar
from kb.web.summary import PrecedentList, documents_label, similar_list

# What a pin from this page records as its question: never the summary itself.
PIN_QUESTION = "Similar cases to a case summary (the summary is not kept)"
PLACEHOLDER = (
    "e.g. A 14-month-old was seen in A&E twice with bruising. Mother's new partner "
    "had a history of domestic abuse that children's social care knew of; the GP "
    "and the health visitor did not. The family moved area before the strategy meeting."
)
NO_MATCH = (
    "No review in the library dealt closely with this pattern. Try describing the "
    "case's main strands (the child, the adults, what agencies knew and did), or "
    "widen the filters."
)


def similar_page(bar: Sidebar) -> None:
    st.title("Similar cases")
    st.caption(
        "Paste a short case summary (100–300 words). kb cuts it into its strands, "
        "searches each, and ranks the reviews that speak to the most of them. "
        "The summary stays in this browser session: it is not saved, logged or "
        "put in the address bar."
    )
    with st.form("similar-case", border=False):
        case = st.text_area(
            "Case summary",
            key="case",
            height=180,
            max_chars=CASE_MAX_CHARS,
            placeholder=PLACEHOLDER,
        )
        st.form_submit_button("Find similar reviews", type="primary")
    case = (case or "").strip()
    active_filters(bar.filters, state.theme_labels())
    if not case:
        return
    with st.spinner("Searching each strand of the case…"):
        try:
            found = state.similar(state.data_key(), case, bar.filters)
        except KbError as exc:
            st.error(ui.md_text(exc))
            return
    similar_cards(similar_list(found, state.evidence_bar()), bar)


def similar_cards(shown: PrecedentList, bar: Sidebar) -> None:
    if not shown.cards:
        st.warning(NO_MATCH, icon=":material/info:")
        return
    n = len(shown.cards)
    st.subheader(f"{documents_label(n)} {'matches' if n == 1 else 'match'} this pattern")
    note = "Closest first; each shown passage meets the bar the answer uses."
    if shown.weaker:
        verb = "is" if shown.weaker == 1 else "are"
        note += f" {shown.weaker} more matched only weakly and {verb} not listed."
    st.caption(note)
    pinned = pinned_ids(bar.collection)
    for card in shown.cards:
        with st.container(border=True):
            st.html(ui.document_header_html(card.document, len(card.hits)))
            strands = f"{card.matches} strand{'s' if card.matches != 1 else ''}"
            st.caption(f"Speaks to {strands} of the summary")
            for hit in card.hits:
                st.html(ui.snippet_html(hit, ""))
                card_actions(hit, PIN_QUESTION, "sim", pinned, bar.collection)
