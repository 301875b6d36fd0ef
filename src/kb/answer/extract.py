"""Extractive answers: a few verbatim sentences from the top passages, each cited.

Nothing is generated. The top passages are split into sentences, each sentence
is scored for relevance to the question (cosine with the question under the
same embedding model, plus overlap with the question's content words, plus a
little credit for the passage's rank), and 2-6 are picked greedily with an
MMR-style penalty for repeating what is already picked. A sentence is always
an exact slice of its passage's text, and it carries that passage's number,
so no sentence can appear without its source.

Whether the library answers the question at all is not decided here: the
search's ``no_match`` signal decides, and then no sentence is extracted and
the passages are only "related".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kb.answer.model import Answer, AnswerSentence
from kb.answer.scope import answer_flags
from kb.answer.unmarked import unmarked
from kb.records import Hit, Mark
from kb.retrieve.answertype import stating_asked_type
from kb.text.sentences import sentence_spans, split_sentences
from kb.text.terms import STOPWORDS, content_terms, stem, words

# Texts in, one L2-normalised row per text out (``Embedder.embed_documents``).
EmbedFunc = Callable[[Sequence[str]], np.ndarray]


MIN_SENTENCES = 2
MAX_SENTENCES = 6
FROM_PASSAGES = 5  # only the best passages feed the answer; the rest are cards only
MAX_CANDIDATES = 32  # bounds the embedding work per question
MIN_WORDS = 6
MAX_WORDS = 80
# Relevance mix. Cosine carries meaning; term overlap keeps the exact words the
# person typed (numbers, names, acronyms) from being outvoted by paraphrase; the
# passage's search rank breaks near-ties towards the passage search trusted most.
# Tuned on the 48 answerable dev questions (share of answer sentences from a
# relevant page; answers with at least one): rank weight 0.2, lambda 0.6 and a
# keep margin of 0.15 gave about 4 sentences, 56% from a relevant page, and 42 of
# the 45 questions whose relevant page was among the top 5 passages.
W_COSINE = 0.65
W_TERMS = 0.35
W_RANK = 0.2
MMR_LAMBDA = 0.6  # 1.0 ignores redundancy; lower favours variety
# After the first MIN_SENTENCES, a sentence must come within this margin of the
# best sentence's relevance: the answer stays short rather than padding itself.
KEEP_MARGIN = 0.15
# Sentences this close say the same thing: overlapping chunks, or a report that
# repeats a finding in its summary ("Almost a third (31%) of ..." twice).
DUPLICATE_SIMILARITY = 0.88
DUPLICATE_WORDS = 0.6  # Jaccard of the two sentences' word stems
# A question asking for a kind of fact (a time limit, a number, an age...) is
# answered by the sentences that state one: they gain this much relevance, so
# they lead and the keep margin drops sentences that are only on topic.
TYPE_BONUS = 0.1

# Bullets, list numbering and stray punctuation that open a line but belong to
# no sentence: trimmed off the front of a candidate (the rest stays verbatim).
_LEAD = re.compile(r"^(?:[\s\u2022\u25CF\u25AA\u25E6\u2013\u2014*>\-]+|\(?[0-9ivx]{1,4}[.)]\s+)+")
_END = re.compile(r"[.!?]['\u2019\u201d\")\]]*$")
_CLOSED = re.compile(r"[.!?:;]['\u2019\u201d\")\]]*\s*$")
# Four or more figures in a row with only spaces between them are a table's
# cells run together by the text layer ("14% 11% 10% 10% 9%"), not prose.
_TABLE_ROW = re.compile(r"(?:[£$]?\d[\d.,]*%?\s+){3}[£$]?\d")
_STARTS_WELL = re.compile(r"^[\"'\u2018\u201c(\[]?[A-Z0-9]")


@dataclass(frozen=True)
class Candidate:
    passage: int  # 0-based index into the hits
    start: int
    end: int
    text: str
    terms: frozenset[str]  # stems of every word
    complete: bool  # ends like a sentence
    content: frozenset[str] = frozenset()  # stems of the words that carry meaning
    numbers: frozenset[str] = frozenset()


def candidates(hits: Sequence[Hit], from_passages: int = FROM_PASSAGES) -> list[Candidate]:
    """Sentence-like spans of the first passages, each an exact slice of its passage."""
    out: list[Candidate] = []
    seen: set[str] = set()
    for p, hit in enumerate(hits[:from_passages]):
        text = hit.chunk.text
        for block_start, block_end in blocks(text):
            for s, e in split_sentences(text[block_start:block_end], block_start):
                cand = _candidate(p, text, s, e, hit.chunk.marks)
                if cand is None:
                    continue
                key = " ".join(cand.text.lower().split())
                if key in seen:  # overlapping chunks repeat sentences
                    continue
                seen.add(key)
                out.append(cand)
    return out


def blocks(text: str) -> list[tuple[int, int]]:
    """Paragraph-like spans of ``text``: a line break ends a block unless the
    sentence plainly runs on (no closing punctuation, next line in lower case),
    so a heading or a bullet on its own line is never glued to what follows."""
    spans: list[tuple[int, int]] = []
    start = offset = 0
    lines = text.split("\n")
    for i, line in enumerate(lines):
        end = offset + len(line)
        nxt = lines[i + 1].lstrip() if i + 1 < len(lines) else ""
        runs_on = bool(line.strip()) and nxt[:1].islower() and not _CLOSED.search(line)
        if not runs_on:
            if end > start:
                spans.append((start, end))
            start = end + 1
        offset = end + 1
    return spans


def _candidate(
    passage: int, text: str, start: int, end: int, marks: Sequence[Mark] = ()
) -> Candidate | None:
    ended = False
    if marks:
        kept = unmarked(text, start, end, marks)
        if kept is None:
            return None
        start, end, ended = kept
    span = text[start:end]
    lead = _LEAD.match(span)
    if lead:
        start += lead.end()
    while end > start and text[end - 1].isspace():
        end -= 1
    span = text[start:end]
    tokens = words(span)
    if not (MIN_WORDS <= len(tokens) <= MAX_WORDS) or not _STARTS_WELL.match(span):
        return None
    letters = sum(ch.isalpha() for ch in span)
    if letters < 0.6 * len(span.replace(" ", "")):  # tables, references, URLs
        return None
    if "http" in span or "www." in span or "@" in span or _TABLE_ROW.search(span):
        return None
    complete = ended or bool(_END.search(span))
    if not complete and not span.endswith(";"):
        return None  # a heading run into a fragment, or a cut-off sentence
    stems = [(m.group(0), stem(m.group(0))) for m in tokens]
    return Candidate(
        passage,
        start,
        end,
        span,
        frozenset(st for _, st in stems),
        complete,
        content=frozenset(st for w, st in stems if w.lower() not in STOPWORDS),
        numbers=frozenset(w for w, _ in stems if any(ch.isdigit() for ch in w)),
    )


# --------------------------------------------------------------------------- scoring


def term_scores(question_terms: Sequence[str], cands: Sequence[Candidate]) -> np.ndarray:
    """Share of the question's terms each sentence contains, rarer terms weighing more."""
    if not question_terms or not cands:
        return np.zeros(len(cands), dtype=np.float32)
    n = len(cands)
    weights = np.array(
        [np.log(1 + n / (1 + sum(t in c.terms for c in cands))) + 0.1 for t in question_terms],
        dtype=np.float32,
    )
    hits = np.array([[t in c.terms for t in question_terms] for c in cands], dtype=np.float32)
    return np.asarray(hits @ weights / weights.sum(), dtype=np.float32)


def select(
    relevance: np.ndarray,
    similarity: np.ndarray,
    *,
    duplicates: np.ndarray | None = None,
    min_n: int = MIN_SENTENCES,
    max_n: int = MAX_SENTENCES,
    lam: float = MMR_LAMBDA,
    keep_margin: float = KEEP_MARGIN,
    duplicate: float = DUPLICATE_SIMILARITY,
) -> list[int]:
    """Greedy MMR: indices of the chosen sentences, best first.

    ``duplicates[i, j]`` marks pairs known to say the same thing whatever
    their similarity; such a pair never both make the answer.
    """
    n = len(relevance)
    chosen: list[int] = []
    if n == 0:
        return chosen
    best = float(relevance.max())
    redundancy = np.zeros(n, dtype=np.float32)
    repeated = np.zeros(n, dtype=bool)
    available = np.ones(n, dtype=bool)
    while len(chosen) < max_n and available.any():
        mmr = lam * relevance - (1 - lam) * redundancy
        mmr[~available] = -np.inf
        i = int(np.argmax(mmr))
        available[i] = False
        if repeated[i] or redundancy[i] >= duplicate:
            continue
        if len(chosen) >= min_n and relevance[i] < best - keep_margin:
            continue  # too weak to add; a stronger but more redundant one may remain
        chosen.append(i)
        redundancy = np.maximum(redundancy, similarity[i])
        if duplicates is not None:
            repeated |= duplicates[i]
    return chosen


def extract(
    question: str,
    hits: Sequence[Hit],
    *,
    embed: EmbedFunc | None = None,
    stored: Mapping[str, np.ndarray] | None = None,
    from_passages: int = FROM_PASSAGES,
    min_n: int = MIN_SENTENCES,
    max_n: int = MAX_SENTENCES,
) -> tuple[AnswerSentence, ...]:
    """Pick 2-6 verbatim sentences from ``hits`` that answer ``question``.

    ``embed`` is the dense model (``Embedder.embed_documents``); without it,
    relevance is term overlap alone and redundancy is word overlap. ``stored``
    holds the sentence vectors search already has, by chunk id (see
    ``candidate_vectors``).
    """
    cands = candidates(hits, from_passages)
    if not cands:
        return ()
    q_terms = content_terms(question)
    # Long passages can offer many sentences; the embedding cost is bounded by
    # keeping those with most question terms, passage rank breaking ties.
    if len(cands) > MAX_CANDIDATES:
        pre = term_scores(q_terms, cands)
        order = sorted(range(len(cands)), key=lambda i: (-pre[i], cands[i].passage, i))
        cands = [cands[i] for i in sorted(order[:MAX_CANDIDATES])]
    terms = term_scores(q_terms, cands)
    rank = np.array([1.0 - c.passage / max(1, from_passages) for c in cands], dtype=np.float32)
    if embed is not None:
        vectors = candidate_vectors(question, cands, hits, embed, stored or {})
        cosine = vectors[1:] @ vectors[0]
        similarity = vectors[1:] @ vectors[1:].T
        relevance = W_COSINE * cosine + W_TERMS * terms + W_RANK * rank
    else:
        similarity = _jaccard(cands)
        relevance = terms + W_RANK * rank
    typed = np.array(stating_asked_type(question, [c.text for c in cands]), dtype=np.float32)
    relevance = relevance * np.array([_form_weight(c) for c in cands]) + TYPE_BONUS * typed
    chosen = select(
        np.asarray(relevance, dtype=np.float32),
        np.asarray(similarity, dtype=np.float32),
        duplicates=_repeats(cands),
        # One sentence stating the fact asked for is an answer; a second only
        # on its merits, not to make up a number.
        min_n=1 if typed.any() else min_n,
        max_n=max_n,
    )
    return tuple(
        AnswerSentence(
            text=cands[i].text,
            citation=cands[i].passage + 1,
            start=cands[i].start,
            end=cands[i].end,
            score=round(float(relevance[i]), 4),
        )
        for i in reading_order(chosen, [cands[i].passage for i in range(len(cands))], cands)
    )


def candidate_vectors(
    question: str,
    cands: Sequence[Candidate],
    hits: Sequence[Hit],
    embed: EmbedFunc,
    stored: Mapping[str, np.ndarray],
) -> np.ndarray:
    """The question's vector (row 0), then one per candidate.

    A candidate that is one of its passage's sentence spans (``kb.text.sentences``),
    give or take a leading bullet or number, takes the vector search already
    holds for that span (``stored``, by chunk id, one row per span); any other
    candidate (a sentence cut from a run-in heading, say) is embedded as it reads.
    """
    rows: list[np.ndarray | None] = []
    missing: list[str] = []
    spans: dict[int, list[tuple[int, int]]] = {}
    for c in cands:
        hit = hits[c.passage]
        own = stored.get(hit.chunk.chunk_id)
        if c.passage not in spans:
            spans[c.passage] = sentence_spans(hit.chunk.text)
        k = _span_of(c, hit.chunk.text, spans[c.passage])
        if own is not None and k is not None and k < len(own):
            rows.append(own[k])
        else:
            rows.append(None)
            missing.append(" ".join(c.text.split()))
    fresh = iter(embed([question, *missing]))
    query = next(fresh)
    out = [row if row is not None else next(fresh) for row in rows]
    return np.vstack([query, *out]).astype(np.float32)


def _span_of(c: Candidate, text: str, spans: Sequence[tuple[int, int]]) -> int | None:
    """Index of the sentence span ``c`` is, bar leading marks and trailing space."""
    for k, (a, b) in enumerate(spans):
        if a <= c.start and c.end <= b:
            head, tail = text[a : c.start], text[c.end : b]
            whole = (not head.strip() or bool(_LEAD.fullmatch(head))) and not tail.strip()
            return k if whole else None
    return None


def _form_weight(c: Candidate) -> float:
    """A cut-off bullet is weaker evidence than a whole sentence, and a question
    in the text (a checklist prompt) rarely answers the reader's question."""
    if not c.complete:
        return 0.9
    return 0.85 if c.text.rstrip("'\u2019\u201d\")]").endswith("?") else 1.0


def reading_order(
    chosen: list[int], passage_of: list[int], cands: Sequence[Candidate]
) -> list[int]:
    """Best sentence first, but sentences from one passage stay together, in text order."""
    out: list[int] = []
    done: set[int] = set()
    for i in chosen:
        p = passage_of[i]
        if p in done:
            continue
        done.add(p)
        out += sorted((j for j in chosen if passage_of[j] == p), key=lambda j: cands[j].start)
    return out


def _jaccard(cands: Sequence[Candidate]) -> np.ndarray:
    """Word overlap between sentences, on the words that carry meaning."""
    n = len(cands)
    sim = np.zeros((n, n), dtype=np.float32)
    for i in range(n):
        for j in range(i, n):
            a, b = cands[i].content, cands[j].content
            v = len(a & b) / len(a | b) if a | b else 0.0
            sim[i, j] = sim[j, i] = v
    return sim


def _repeats(cands: Sequence[Candidate]) -> np.ndarray:
    """Pairs that state the same fact: a report often repeats a finding in its
    summary in nearly the same words. Different numbers mean different facts
    ("five working days" and "15 working days" share every other word)."""
    same_numbers = np.array(
        [[a.numbers == b.numbers for b in cands] for a in cands], dtype=bool
    ).reshape(len(cands), len(cands))
    return (_jaccard(cands) >= DUPLICATE_WORDS) & same_numbers


def answer(
    question: str,
    hits: Sequence[Hit],
    *,
    no_match: bool,
    best_similarity: float = 0.0,
    no_match_reason: str = "",
    embed: EmbedFunc | None = None,
    stored: Mapping[str, np.ndarray] | None = None,
) -> Answer:
    """The answer to show: cited sentences, or none when the search found no match."""
    sentences = () if no_match else extract(question, hits, embed=embed, stored=stored)
    return Answer(
        question=question.strip(),
        sentences=sentences,
        passages=tuple(hits),
        no_match=no_match,
        best_similarity=best_similarity,
        no_match_reason=no_match_reason if no_match else "",
        flags=answer_flags(question, [s.citation for s in sentences], hits),
    )
