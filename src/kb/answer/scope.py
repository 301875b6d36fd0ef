"""The "one local source only" flag: an answer resting on one body's own rules.

A provider's safeguarding policy or one area's procedure answers questions
about that provider or area. Asked in general ("How many hours of safeguarding
training must a childminder complete each year?"), kb may still quote it, since
it is the nearest text, and the reader may take one children's home's rule for
the national one. So an answer is flagged ``ONE_LOCAL_SOURCE`` when:

- every sentence of it cites one and the same document;
- that document is of a local type (``LOCAL_DOC_TYPES``: a single body's own
  policy or procedure, ``kb.records.DOC_TYPES``); and
- the question does not name the document's publisher or a distinctive word of
  its title (a question about "missing children in Northamptonshire" is in
  the scope of the Northamptonshire protocol).

The flag does not withhold the answer; it says where the answer comes from.
"""

from __future__ import annotations

from collections.abc import Sequence

from kb.records import Document, Hit
from kb.text.terms import content_terms

ONE_LOCAL_SOURCE = "one local source only"
# Document types that hold one organisation's or one area's own rules.
LOCAL_DOC_TYPES = frozenset({"policy", "local_procedure"})
# Title and publisher words that say what kind of document it is, not whose.
_KIND_WORDS = frozenset(
    content_terms(
        "safeguarding child children policy policies procedure procedures protocol guidance"
        " partnership board local arrangements multi agency multiagency services version"
        " document draft"
    )
)


def scope_terms(document: Document) -> set[str]:
    """The stems that name whose document it is: its publisher and title words."""
    words = content_terms(f"{document.publisher} {document.title}")
    return {w.lower() for w in words if w not in _KIND_WORDS and not w.isdigit()}


def answer_flags(question: str, citations: Sequence[int], hits: Sequence[Hit]) -> tuple[str, ...]:
    """The flags for an answer whose sentences cite passages ``citations``
    (1-based numbers into ``hits``): ``(ONE_LOCAL_SOURCE,)`` or ``()``."""
    cited = [hits[n - 1] for n in citations if 0 < n <= len(hits)]
    documents = {h.document.doc_id: h.document for h in cited}
    if len(documents) != 1:
        return ()
    (document,) = documents.values()
    if document.doc_type not in LOCAL_DOC_TYPES:
        return ()
    asked = {t.lower() for t in content_terms(question)}
    if asked & scope_terms(document):
        return ()
    return (ONE_LOCAL_SOURCE,)
