"""The evidence summary of a broad answer: a few findings, each with its support.

A broad question ("what have reviews found about ...", kb.retrieve.form) is
answered by what several documents say. Its top passages are split into
sentences (the same candidates as the extractive answer, ``kb.answer.extract``)
and scored alike; then findings are picked greedily:

- the best sentence not yet used becomes a finding's key sentence, a document
  already holding a key sentence counting for less, so the findings reach
  across documents; only sentences within ``KEEP_MARGIN`` of the best one
  qualify, so a document with nothing close gives no finding;
- every other document's closest sentence, when its vector is within
  ``ALSO_IN`` of the key's (the same claim in other words), becomes "also in";
  sentences of the key's own document that close say the same thing again and
  are set aside;
- ``count`` is the number of documents that state it.

Findings from reviews, inspections and research ("What reviews found") come
before guidance ("What guidance says"), each group by support, then relevance.
Every sentence is an exact slice of its cited passage, so nothing is said that
a page does not say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from kb.answer.extract import (
    MAX_CANDIDATES,
    W_COSINE,
    W_RANK,
    W_TERMS,
    Candidate,
    EmbedFunc,
    _form_weight,
    _span_of,
    candidate_vectors,
    candidates,
    term_scores,
)
from kb.answer.model import Answer, Finding, Support
from kb.answer.unmarked import unmarked
from kb.records import Hit
from kb.text.sentences import sentence_spans
from kb.text.terms import content_terms

# A key sentence is read on its own, away from its passage: one opening on a
# word that points back ("These should be used in addition to ...", "They did
# not ...") says little without the sentence before it. "This review found" names
# its own document, which the citation gives.
_POINTS_BACK = re.compile(
    r"^(?:These|Those|They|It|Its|Such|He|She|Their|This|Both)\b"
    r"(?!\s+(?:review|report|analysis|research|document|guidance|inspection|visit|letter"
    r"|evaluation|study|survey|framework|protocol|pack|factsheet|policy)s?\b)"
)
OUT_OF_CONTEXT = 0.9  # a key sentence's relevance when it points back
# By the passage's part in a review (``kb.enrich.roles``): what a review found is
# stated in its findings; its background (scope, method, the family) is context.
ROLE_WEIGHT = {"finding": 1.1, "background": 0.85}

REVIEWS = "reviews"
GUIDANCE = "guidance"
# Document types that say what should be done; every other type reports what
# was found (reviews, inspections, research, annual reports).
GUIDANCE_TYPES = frozenset(
    {
        "statutory_guidance",
        "practice_guidance",
        "local_procedure",
        "inspection_framework",
        "training_material",
        "policy",
    }
)
MAX_FINDINGS = 6
FROM_PASSAGES = 10
# More sentences than a narrow answer weighs: a broad answer reads ten passages.
MAX_FINDING_CANDIDATES = 2 * MAX_CANDIDATES
# Sentence cosine at which another document's sentence states the same claim.
# ALSO_IN, SAME_DOC_PENALTY and KEEP_MARGIN were chosen on broad_dev.jsonl
# with only sentences whose vectors search holds (answer coverage 0.53 at
# 0.65/0.2/0.3, 0.57 at 0.65/0.3/0.4, 0.61 at 0.6/0.3/0.4). At 0.6 "also in"
# can be a closely related claim rather than the same one.
ALSO_IN = 0.6
# A document's second key sentence counts this much less, its third twice that.
SAME_DOC_PENALTY = 0.3
# Every key sentence must come within this of the best one.
KEEP_MARGIN = 0.4


@dataclass(frozen=True)
class _Scored:
    cands: list[Candidate]
    docs: list[str]
    relevance: np.ndarray
    similarity: np.ndarray


def group_of(doc_type: str) -> str:
    return GUIDANCE if doc_type in GUIDANCE_TYPES else REVIEWS


def _score(
    question: str,
    hits: Sequence[Hit],
    embed: EmbedFunc,
    stored: Mapping[str, np.ndarray],
    from_passages: int,
) -> _Scored | None:
    cands = candidates(hits, from_passages)
    if not cands:
        return None
    q_terms = content_terms(question)
    if len(cands) > MAX_FINDING_CANDIDATES:  # bound the work, as extract does
        pre = term_scores(q_terms, cands)
        order = sorted(range(len(cands)), key=lambda i: (-pre[i], cands[i].passage, i))
        cands = [cands[i] for i in sorted(order[:MAX_FINDING_CANDIDATES])]
    # Only sentences whose vectors search already holds: a broad answer reads ten
    # passages, and embedding their other sentences would cost a model call each
    # time (the p95 of a warm `kb ask`); without stored vectors, all are embedded.
    held = [c for c in cands if _held(c, hits, stored)]
    cands = held or cands
    vectors = candidate_vectors(question, cands, hits, embed, stored)
    cosine = vectors[1:] @ vectors[0]
    # Credit for the passage's search score, not its place: a broad answer's
    # places are spread over documents, which moves weak passages up.
    top = max((h.score for h in hits[:from_passages]), default=0.0) or 1.0
    rank = np.array([max(hits[c.passage].score, 0.0) / top for c in cands], dtype=np.float32)
    relevance = W_COSINE * cosine + W_TERMS * term_scores(q_terms, cands) + W_RANK * rank
    # A cut-off bullet or a question in the text is weaker evidence, and so is
    # a sentence read out of its context or from a review's background section.
    weight = np.array([_weight(c, hits[c.passage]) for c in cands], dtype=np.float32)
    return _Scored(
        cands,
        [hits[c.passage].document.doc_id for c in cands],
        np.asarray(relevance * weight, dtype=np.float32),
        np.asarray(vectors[1:] @ vectors[1:].T, dtype=np.float32),
    )


def _weight(c: Candidate, hit: Hit) -> float:
    context = OUT_OF_CONTEXT if _POINTS_BACK.match(c.text) else 1.0
    return _form_weight(c) * context * ROLE_WEIGHT.get(hit.chunk.role, 1.0)


def _held(c: Candidate, hits: Sequence[Hit], stored: Mapping[str, np.ndarray]) -> bool:
    chunk = hits[c.passage].chunk
    own = stored.get(chunk.chunk_id)
    k = _span_of(c, chunk.text, sentence_spans(chunk.text)) if own is not None else None
    return own is not None and k is not None and k < len(own)


def _support(c: Candidate) -> Support:
    return Support(text=c.text, citation=c.passage + 1, start=c.start, end=c.end)


def _verbatim_elsewhere(
    key: Candidate, hits: Sequence[Hit], have: Sequence[Support]
) -> list[Support]:
    """The key sentence word for word in other documents' passages: candidate
    building keeps one copy of a repeated sentence, so these are found here."""
    docs = {hits[key.passage].document.doc_id} | {
        hits[s.citation - 1].document.doc_id for s in have
    }
    out: list[Support] = []
    for p, hit in enumerate(hits):
        if hit.document.doc_id in docs:
            continue
        at = hit.chunk.text.find(key.text)
        # A copy inside what ingest marked (a footnote, a myth...) states nothing.
        if at >= 0 and _clear(hit, at, at + len(key.text)):
            docs.add(hit.document.doc_id)
            out.append(Support(text=key.text, citation=p + 1, start=at, end=at + len(key.text)))
    return out


def _clear(hit: Hit, start: int, end: int) -> bool:
    """Whether ``[start, end)`` of the hit's text holds no boilerplate mark."""
    if not hit.chunk.marks:
        return True
    kept = unmarked(hit.chunk.text, start, end, hit.chunk.marks)
    return kept is not None and kept[:2] == (start, end)


def _pick(sc: _Scored) -> list[tuple[int, list[int]]]:
    """Greedy: (key sentence, its "also in" sentences) per finding, best first."""
    n = len(sc.cands)
    keyed: dict[str, int] = {}
    out: list[tuple[int, list[int]]] = []
    used = np.zeros(n, dtype=bool)
    # A key sentence must come within KEEP_MARGIN of the best: spreading over
    # documents must not make a weak sentence a finding ahead of a strong one.
    # ("Also in" may be any sentence stating the same claim.)
    weak = sc.relevance < float(sc.relevance.max()) - KEEP_MARGIN
    while len(out) < MAX_FINDINGS and not (used | weak).all():
        penalty = np.array([SAME_DOC_PENALTY * keyed.get(d, 0) for d in sc.docs])
        gain = np.where(used | weak, -np.inf, sc.relevance - penalty)
        i = int(np.argmax(gain))
        same = sc.similarity[i] >= ALSO_IN
        also: list[int] = []
        for doc in dict.fromkeys(d for d in sc.docs if d != sc.docs[i]):
            pool = [j for j in range(n) if sc.docs[j] == doc and same[j] and not used[j]]
            if pool:
                also.append(max(pool, key=lambda j: sc.similarity[i, j]))
        used |= same & (np.array(sc.docs) == sc.docs[i])
        used[i] = True
        used[also] = True
        keyed[sc.docs[i]] = keyed.get(sc.docs[i], 0) + 1
        out.append((i, also))
    return out


def find(
    question: str,
    hits: Sequence[Hit],
    *,
    embed: EmbedFunc,
    stored: Mapping[str, np.ndarray] | None = None,
    from_passages: int = FROM_PASSAGES,
) -> tuple[Finding, ...]:
    """Up to ``MAX_FINDINGS`` findings from the first ``from_passages`` of ``hits``,
    reviews first (at least one when any sentence is a candidate)."""
    sc = _score(question, hits, embed, stored or {}, from_passages)
    if sc is None:
        return ()
    found = []
    for i, also in _pick(sc):
        supports = [_support(sc.cands[j]) for j in also]
        supports += _verbatim_elsewhere(sc.cands[i], hits[:from_passages], supports)
        found.append(
            Finding(
                key=_support(sc.cands[i]),
                also_in=tuple(supports),
                count=1 + len(supports),
                group=group_of(hits[sc.cands[i].passage].document.doc_type),
                score=round(float(sc.relevance[i]), 4),
            )
        )
    return tuple(sorted(found, key=lambda f: (f.group != REVIEWS, -f.count, -f.score)))


def with_findings(
    answer: Answer,
    form: str,
    *,
    embed: EmbedFunc,
    stored: Mapping[str, np.ndarray] | None = None,
) -> Answer:
    """``answer`` in ``form``; a broad answer that found a match gains its findings."""
    if form != "broad" or answer.no_match:
        return replace(answer, form=form)
    found = find(answer.question, answer.passages, embed=embed, stored=stored)
    return replace(answer, form=form, findings=found)
