"""Recurring recommendations: the same ask made in several documents, in other words.

Two recommendations from different documents are the same ask when their
sentence vectors are close and they share content words beyond the words every
recommendation uses ("partnership", "should", "ensure"): the vectors see the
paraphrase ("a single running record" / "one shared record"), the shared words
keep two asks of one topic apart ("train staff on the bruising protocol" is not
"audit the bruising protocol" unless the model also finds them alike). Linked
recommendations form a group (two from one document too, when all of them
are alike, complete linkage); groups are ordered by how many documents they span.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.answer.learning import EmbedTexts, LearningEntry
from kb.text.terms import content_terms, stem

# Cosine similarity of the asks (``ask_of``) at which two recommendations that share
# topic words are the same ask, and at which they are whatever their words; every
# pair in a group must stay at least ALIKE. Chosen on the fictional samples'
# recommendations with all-MiniLM-L6-v2: same asks in other words scored 0.65-0.85
# with three or more shared topic words, different asks of one topic up to 0.68
# with fewer.
SIMILAR = 0.65
NEAR_IDENTICAL = 0.85
ALIKE = 0.6
MIN_SHARED_TERMS = 3
# Words of the form, not the ask.
_FORM_WORDS = frozenset(
    stem(w)
    for w in [
        "partnership",
        "partnerships",
        "safeguarding",
        "children",
        "child",
        "should",
        "ensure",
        "recommend",
        "recommendation",
        "recommends",
        "review",
        "local",
        "agencies",
        "agency",
        "services",
        "service",
        "every",
        "make",
        "sure",
        "work",
        "consider",
        "council",
        "authority",
        "authorities",
        "board",
        "national",
        "department",
    ]
)


@dataclass(frozen=True)
class RecurringGroup:
    """Recommendations that ask the same thing, from ``documents`` documents."""

    entries: tuple[LearningEntry, ...]
    terms: tuple[str, ...]  # the content words most of them share

    @property
    def documents(self) -> int:
        return len({e.doc for e in self.entries})

    @property
    def label(self) -> str:
        return self.entries[0].text

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "label": self.label,
            "terms": list(self.terms),
            "items": [e.to_dict() for e in self.entries],
        }


# "Recommendation 3: The partnership should" / "We recommend that": the form, cut
# before embedding so that the vectors compare the asks, not the phrasing around them.
_FORM = re.compile(
    r"^.{0,160}?\b(?:should|must|is asked to|are asked to|needs? to|recommends? that:?)\s+",
    re.IGNORECASE,
)


_MODAL = re.compile(r"^\s*(?:should|must|is asked to|are asked to|needs? to|will)?\s*", re.I)


def ask_of(entry: LearningEntry) -> str:
    """The ask of a recommendation: its text after the addressee and "should"
    ("Ofsted looks at ..." -> "looks at ...")."""
    text = entry.text
    at = text.find(entry.addressee) if entry.addressee else -1
    if at >= 0 and at < 200:
        rest = _MODAL.sub("", text[at + len(entry.addressee or "") :], count=1)
    else:
        m = _FORM.match(text)
        rest = text[m.end() :] if m else text
    return rest if len(rest.split()) >= 4 else text


def _terms(text: str) -> set[str]:
    return {t for t in content_terms(text) if t not in _FORM_WORDS and not t.isdigit()}


def group_recommendations(
    entries: Sequence[LearningEntry], embed: EmbedTexts, *, min_documents: int = 2
) -> list[RecurringGroup]:
    """Groups of the same ask spanning at least ``min_documents`` documents."""
    recs = [e for e in entries if e.role == "recommendation"]
    if len(recs) < 2:
        return []
    vectors = np.asarray(embed([ask_of(e) for e in recs]), dtype=np.float32)
    sims = vectors @ vectors.T
    terms = [_terms(ask_of(e)) for e in recs]
    clusters = _link(recs, sims, terms)
    groups = [_group(recs, terms, sims, ids) for ids in clusters]
    groups = [g for g in groups if g.documents >= min_documents]
    return sorted(groups, key=lambda g: (-g.documents, -len(g.entries), g.label))


def _link(
    recs: Sequence[LearningEntry], sims: np.ndarray, terms: Sequence[set[str]]
) -> list[list[int]]:
    """Pairs that are the same ask, strongest first, join their groups when every
    member of one is still alike every member of the other (complete linkage, so
    no chain of neighbours drifts from one ask to another)."""
    pairs = sorted(
        (
            (float(sims[i, j]), i, j)
            for i in range(len(recs))
            for j in range(i + 1, len(recs))
            if recs[i].doc != recs[j].doc  # one document's list is not a recurrence
            and _same_ask(float(sims[i, j]), len(terms[i] & terms[j]))
        ),
        reverse=True,
    )
    cluster = {i: [i] for i in range(len(recs))}
    for _, i, j in pairs:
        a, b = cluster[i], cluster[j]
        if a is b or float(sims[np.ix_(a, b)].min()) < ALIKE:
            continue
        a.extend(b)
        for k in b:
            cluster[k] = a
    unique = {id(c): c for c in cluster.values()}
    return list(unique.values())


def _same_ask(similarity: float, shared: int) -> bool:
    return similarity >= NEAR_IDENTICAL or (similarity >= SIMILAR and shared >= MIN_SHARED_TERMS)


def _group(
    recs: Sequence[LearningEntry], terms: Sequence[set[str]], sims: np.ndarray, ids: list[int]
) -> RecurringGroup:
    # The most central recommendation first: it names the group.
    central = max(ids, key=lambda i: float(sims[i, ids].sum()))
    ordered = [central] + sorted(
        (i for i in ids if i != central), key=lambda i: (recs[i].year or 0, recs[i].doc)
    )
    counts = Counter(t for i in ids for t in terms[i])
    common = tuple(t for t, n in counts.most_common(6) if n >= 2)
    return RecurringGroup(tuple(recs[i] for i in ordered), common)
