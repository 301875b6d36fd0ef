"""Hybrid search: dense and BM25 candidates fused, re-ranked by best sentence, cited.

A hybrid query runs in three steps (measured one by one in docs/quality.md):

1. Candidates. The dense model's nearest passages, and BM25's best passages
   for the question plus its glossary expansions (acronyms <-> long forms,
   lay <-> practice terms; added terms count for ``expansion_weight`` of a
   typed one).
2. Fusion. Weighted reciprocal rank fusion, BM25 weighted ``sparse_weight``
   against dense 1: on these documents exact terms (names of guidance,
   acronyms, numbers) are the stronger evidence, and the model fills in
   paraphrase.
3. Re-ranking. The top ``rerank_depth`` passages are also ranked by their best
   sentence's similarity to the question, fused back in with weight
   ``rerank_weight``; then a passage whose pages all appear higher up moves
   below the passages that add a new page. Each sentence's vector was stored
   at ingest (``kb.embed.minilm``: the sentence embedded on its own, packed into its
   passage's forward pass), so re-ranking makes no model call.

``Searcher.run`` also says whether anything answers the question closely enough
("no good match"): the best sentence similarity among the top passages, for the
question as typed or as expanded, must reach ``no_match_below``. A sentence is a
sharper test than a whole passage: an unrelated question still lands near some
long passage, but rarely near any one sentence of it. A question asking for a
time limit, a number, an age, a date or a named person also needs one of the
top passages to state one (``kb.retrieve.answertype``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from kb.config import SearchSettings
from kb.data import existing
from kb.embed.batching import submit_documents
from kb.embed.bm25 import Bm25Encoder
from kb.embed.contract import Embedder
from kb.errors import UsageError
from kb.records import Filters, Hit
from kb.retrieve.answertype import missing_answer_type
from kb.retrieve.coverage import Evidence, unknown_focal_terms
from kb.retrieve.duplicates import also_in, collapse
from kb.retrieve.form import BROAD, NARROW, decide, question_form
from kb.retrieve.glossary import Glossary, load_glossary
from kb.retrieve.rank import (
    best_sentences,
    demote_listings,
    demote_repeated_pages,
    expanded_query_terms,
    ordered,
    weighted_rrf,
)
from kb.retrieve.spread import SPREAD_DEPTH, document_strength, spread_order
from kb.store.contract import SparseVec, Store, StoredHit, StoreQuery
from kb.text.sentences import sentence_texts

MODES = ("hybrid", "dense", "sparse")
GLOSSARY_FILE = "glossary.yaml"
# The no-match decision looks at this many of the top passages.
ANSWER_PASSAGES = 5
# ... and, for a question asking for a kind of fact (a time limit, a number...), at
# this many for one stating it.
TYPE_PASSAGES = 10
# Near-duplicates are collapsed among this many passages beyond top_k.
DUPLICATE_DEPTH = 10
# A broad question's top passages are spread over documents among the first ten.
BROAD_TOP = 10

# Texts in, one unit-length row per text out (``Embedder.embed_documents``, or a
# cache in front of it that the library shares with answer extraction).
EmbedFunc = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class SearchResult:
    """Hits for one query, plus the evidence behind the no-match decision."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    no_match: bool = False
    # Cosine between the question and the best-matching sentence of the top
    # passages (0 when unknown, e.g. in BM25-only mode).
    best_similarity: float = 0.0
    # Why nothing matched, when a check other than similarity said so ("" otherwise).
    no_match_reason: str = ""
    # The sentence vectors of the top passages, by chunk id, one row per
    # ``kb.text.sentences.sentence_spans`` span: answer extraction reuses them.
    sentence_vectors: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    # "broad" (a theme across documents: top passages spread over documents) or
    # "narrow" (one fact), as ``kb.retrieve.form`` decided.
    form: str = NARROW

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "form": self.form,
            "no_match": self.no_match,
            "best_similarity": round(self.best_similarity, 4),
            "no_match_reason": self.no_match_reason,
            "hits": [h.to_dict() for h in self.hits],
        }


@dataclass
class Searcher:
    """Holds the loaded model and the open store; cheap to call many times."""

    store: Store
    embedder: Embedder
    settings: SearchSettings
    bm25: Bm25Encoder | None = None
    # None: the glossary at ``settings.glossary_path``, or the one kb ships.
    glossary: Glossary | None = None
    # Embeds the sentences of passages stored without sentence vectors (an index
    # from before they existed); None: ``embedder`` directly.
    embed_sentences: EmbedFunc | None = None

    def __post_init__(self) -> None:
        if self.bm25 is None:
            self.bm25 = Bm25Encoder()
        if self.glossary is None:
            self.glossary = load_glossary(existing(self.settings.glossary_path, GLOSSARY_FILE))
        if self.embed_sentences is None:
            self.embed_sentences = self.embedder.embed_documents

    def search(
        self, query: str, *, filters: Filters | None = None, top_k: int = 10, mode: str = "hybrid"
    ) -> list[Hit]:
        """Top passages for ``query``. ``mode`` is "hybrid", "dense" or "sparse"."""
        # The hits alone: no need to ask whether the library knows the terms.
        return self.run(query, filters=filters, top_k=top_k, mode=mode, judge_terms=False).hits

    def run(
        self,
        query: str,
        *,
        filters: Filters | None = None,
        top_k: int = 10,
        mode: str = "hybrid",
        judge_terms: bool = True,
        together: bool = False,
    ) -> SearchResult:
        """Hits for ``query`` and the no-match decision.

        "dense" and "sparse" are single retrievers without fusion or re-ranking
        (BM25 sees the query as typed), kept for comparison and diagnosis.
        ``judge_terms=False`` skips the unknown-term check (``kb.retrieve.coverage``)
        for a caller that reads only the hits. ``together`` embeds the question
        and its expansion in one model call: less CPU than two calls side by
        side, but slower alone (for when other searches keep the cores busy).
        """
        if mode not in MODES:
            raise UsageError(f"unknown search mode {mode!r}: use one of {', '.join(MODES)}")
        query = query.strip()
        if not query:
            return SearchResult(query=query, no_match=True)
        assert self.bm25 is not None and self.glossary is not None
        flt = filters or Filters()
        pool = max(self.settings.candidates, top_k)

        if mode == "sparse":
            stored = self._query(None, self.bm25.query(query), flt, top_k)
            return SearchResult(query=query, hits=[to_hit(s) for s in stored], no_match=not stored)

        if mode == "dense":
            dense = self.embedder.embed_query(query)
            stored = self._query(dense, None, flt, max(top_k, ANSWER_PASSAGES))
            ranked = [(s, s.score) for s in stored]
        else:
            if question_form(query) == BROAD:
                pool = max(pool, self.settings.broad_candidates)
            dense, ranked = self._candidates(query, flt, pool, together)
        depth = max(self.settings.rerank_depth, 0) if mode == "hybrid" else 0
        scored = [s for s, _ in ranked[: max(depth, ANSWER_PASSAGES)]]
        vectors = self._sentence_vectors(scored)
        sentences = best_sentences(dense, vectors)
        if depth:
            ranked = self._rerank(ranked, sentences, depth)
        result = self._decide(query, ranked, sentences, vectors)
        if judge_terms and mode == "hybrid" and not result.no_match:
            result = self._unknown(result, dense[0], ranked, flt)
        if mode != "hybrid":
            hits = [to_hit(s, score, sentences.get(s.chunk.chunk_id)) for s, score in ranked]
            return replace(result, hits=hits[:top_k])
        return self._shape(result, dense, ranked, top_k)

    def _shape(
        self,
        result: SearchResult,
        dense: np.ndarray,
        ranked: list[tuple[StoredHit, float]],
        top_k: int,
    ) -> SearchResult:
        """The hits to show: near-duplicates collapsed, and for a broad question
        the top passages spread over documents (each with its sentence vectors)."""
        ranked, copies = collapse(ranked, top_k + DUPLICATE_DEPTH)
        form = decide(result.query, [s.document.doc_id for s, _ in ranked])
        vectors = dict(result.sentence_vectors)
        if form == BROAD:
            ranked = self._spread(ranked, max(top_k, BROAD_TOP), dense[:1], vectors)
        missing = [s for s, _ in ranked[:top_k] if s.chunk.chunk_id not in vectors]
        if missing:
            vectors.update(self._sentence_vectors(missing))
        sentences = best_sentences(dense, vectors)
        hits = [
            to_hit(s, score, sentences.get(s.chunk.chunk_id), copies.get(s.chunk.chunk_id))
            for s, score in ranked[:top_k]
        ]
        return replace(result, hits=hits, sentence_vectors=vectors, form=form)

    def _spread(
        self,
        ranked: list[tuple[StoredHit, float]],
        top: int,
        query: np.ndarray,
        vectors: dict[str, np.ndarray],
    ) -> list[tuple[StoredHit, float]]:
        """A broad question's passages spread over the documents that address it
        (``kb.retrieve.spread``); the sentence vectors read for judging that are
        added to ``vectors``."""
        strength: dict[str, float] = {}
        if self.settings.spread_floor > 0 and self.settings.per_document_decay <= 0:
            judged = [s for s, _ in ranked[:SPREAD_DEPTH]]
            missing = [s for s in judged if s.chunk.chunk_id not in vectors]
            if missing:
                vectors.update(self._sentence_vectors(missing))
            strength = document_strength(judged, query, vectors)
        return [ranked[i] for i in spread_order(ranked, top, self.settings, strength)]

    def _candidates(
        self, query: str, flt: Filters, pool: int, together: bool = False
    ) -> tuple[np.ndarray, list[tuple[StoredHit, float]]]:
        """Dense and BM25 candidates for the question and its glossary expansion, fused."""
        assert self.bm25 is not None and self.glossary is not None
        expansion = self.glossary.expand(query)
        # The question and its expansion (rows 0 and 1) are embedded on the
        # embedder's workers (ONNX Runtime, without the GIL), side by side when two
        # are idle, while the store answers the BM25 query here.
        texts = [query, expansion.text] if expansion.added else [query]
        calls = [texts] if together else [[text] for text in texts]
        embeddings = [submit_documents(self.embedder, call) for call in calls]
        sparse = expanded_query_terms(
            self.bm25.query(query),
            self.bm25.query(" ".join(expansion.added)) if expansion.added else ([], []),
            self.settings.expansion_weight,
        )
        by_terms = self._query(None, sparse, flt, pool) if sparse[0] else []
        # Only the question's own vector searches: that query can run while the
        # (longer) expansion is still being embedded.
        by_dense = self._query(embeddings[0].result()[0], None, flt, pool)
        dense = np.vstack([e.result() for e in embeddings])
        return dense, self._fuse(by_dense, by_terms)

    def _decide(
        self,
        query: str,
        ranked: list[tuple[StoredHit, float]],
        sentences: dict[str, tuple[float, float]],
        vectors: dict[str, np.ndarray],
    ) -> SearchResult:
        """The no-match decision, judged on the top passages as ranked before any
        reshaping, whatever top_k is (so --top-k 1 decides alike); the caller
        fills in the hits."""
        best = max(
            (sentences.get(s.chunk.chunk_id, (0.0, 0.0))[0] for s, _ in ranked[:ANSWER_PASSAGES]),
            default=0.0,
        )
        # A question asking for a time limit (a number, an age...) is not answered by
        # passages that state none, however close they are (kb.retrieve.answertype).
        missing = missing_answer_type(query, (s.chunk.text for s, _ in ranked[:TYPE_PASSAGES]))
        close = bool(ranked) and best >= self.settings.no_match_below
        return SearchResult(
            query=query,
            no_match=not close or bool(missing),
            best_similarity=best,
            no_match_reason=missing if close else "",
            sentence_vectors=vectors,
        )

    def _unknown(
        self,
        result: SearchResult,
        query: np.ndarray,
        ranked: list[tuple[StoredHit, float]],
        flt: Filters,
    ) -> SearchResult:
        """No good match when the question turns on a term the library does not
        know (``kb.retrieve.coverage``), judged on the same top passages."""
        assert self.bm25 is not None and self.embed_sentences is not None
        rows = [result.sentence_vectors.get(s.chunk.chunk_id) for s, _ in ranked[:TYPE_PASSAGES]]
        kept = [r for r in rows if r is not None and len(r)]
        evidence = Evidence(
            question=result.query,
            query=query,
            top_texts=[s.chunk.text for s, _ in ranked[:ANSWER_PASSAGES]],
            top_sentences=np.concatenate(kept) if kept else np.zeros((0, len(query))),
            store=self.store,
            filters=flt,
        )
        why = unknown_focal_terms(evidence, self.bm25, self.embed_sentences, self.settings)
        return replace(result, no_match=True, no_match_reason=why) if why else result

    def count(self, filters: Filters | None = None) -> int:
        return self.store.count(filters or Filters())

    # -- steps

    def _query(
        self, dense: np.ndarray | None, sparse: SparseVec | None, flt: Filters, limit: int
    ) -> list[StoredHit]:
        return self.store.query(StoreQuery(dense=dense, sparse=sparse, filters=flt, limit=limit))

    def _fuse(
        self, by_dense: list[StoredHit], by_terms: list[StoredHit]
    ) -> list[tuple[StoredHit, float]]:
        found = {s.chunk.chunk_id: s for s in by_terms}
        found.update({s.chunk.chunk_id: s for s in by_dense})
        scores = weighted_rrf(
            [[s.chunk.chunk_id for s in by_dense], [s.chunk.chunk_id for s in by_terms]],
            [1.0, self.settings.sparse_weight],
            self.settings.rrf_k,
        )
        return [(found[key], scores[key]) for key in ordered(scores)]

    def _sentence_vectors(self, passages: list[StoredHit]) -> dict[str, np.ndarray]:
        """Each passage's sentence vectors, one row per sentence span, by chunk id.

        Ingest stored each sentence's own vector, so no sentence needs the
        model here. A passage stored without them (an index from before they
        existed, until ``kb ingest`` upgrades it) has its sentences embedded now.
        """
        assert self.embed_sentences is not None
        texts = {s.chunk.chunk_id: sentence_texts(s.chunk.text) for s in passages}
        stored = self.store.sentence_vectors(list(texts))
        vectors: dict[str, np.ndarray] = {}
        missing: list[tuple[str, tuple[str, ...]]] = []
        for key, ts in texts.items():
            rows = stored.get(key)
            if rows is not None and len(rows) == len(ts):
                vectors[key] = rows.astype(np.float32)
            elif ts:
                missing.append((key, ts))
        if missing:
            fresh = self.embed_sentences([t for _, ts in missing for t in ts])
            start = 0
            for key, ts in missing:
                vectors[key] = fresh[start : start + len(ts)]
                start += len(ts)
        return vectors

    def _rerank(
        self,
        ranked: list[tuple[StoredHit, float]],
        sentences: dict[str, tuple[float, float]],
        depth: int,
    ) -> list[tuple[StoredHit, float]]:
        """Fuse the candidate order with the top ``depth`` passages' order by best
        sentence (for the typed question: expansions dilute a sentence match), then
        move passages that only repeat pages already shown below the others."""
        order = [s.chunk.chunk_id for s, _ in ranked]
        head = [key for key in order[:depth] if key in sentences]
        by_sentence = sorted(head, key=lambda key: -sentences[key][1])
        scores = weighted_rrf(
            [order, by_sentence], [1.0, self.settings.rerank_weight], self.settings.rrf_k
        )
        stored = {s.chunk.chunk_id: s for s, _ in ranked}
        reranked = [(stored[key], scores[key]) for key in ordered(scores)]
        reranked = demote_repeated_pages(reranked, lambda item: _pages(item[0]))
        # A contents page or a reference list matches a question's words without
        # saying anything about them (ingest marked it): below the prose.
        return demote_listings(reranked, lambda item: item[0].chunk)


def _pages(stored: StoredHit) -> list[tuple[str, int]]:
    c = stored.chunk
    return [(c.doc_id, p) for p in range(c.page_start, c.page_end + 1)]


def to_hit(
    stored: StoredHit,
    score: float | None = None,
    sentence: tuple[float, float] | None = None,
    copies: list[StoredHit] | None = None,
) -> Hit:
    extra: dict[str, object] = {}
    if sentence is not None:
        extra["sentence_similarity"] = round(sentence[0], 4)
    if copies:  # near-identical passages from other files (kb.retrieve.duplicates)
        extra["also_in"] = also_in(copies)
    return Hit(
        chunk=stored.chunk,
        document=stored.document,
        score=stored.score if score is None else score,
        extra=extra,
    )
