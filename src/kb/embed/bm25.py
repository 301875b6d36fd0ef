"""BM25 sparse vectors through Qdrant's own encoder, so both store backends index alike."""

from __future__ import annotations


class Bm25Encoder:
    """Qdrant's BM25: English tokenizer, stemmer and stop words, term-frequency weights.

    The store applies IDF at query time (the sparse vector's IDF modifier), so
    document weights here stay independent of the rest of the corpus.
    """

    def __init__(self) -> None:
        from qdrant_edge import Bm25, Bm25Config

        self._bm25 = Bm25(Bm25Config(language="english"))

    def document(self, text: str) -> tuple[list[int], list[float]]:
        v = self._bm25.embed_document(text)
        return list(v.indices), list(v.values)

    def query(self, text: str) -> tuple[list[int], list[float]]:
        v = self._bm25.embed_query(text)
        return list(v.indices), list(v.values)
