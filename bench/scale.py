"""Scale benchmark: synthetic corpora of 100k, 300k and 1M chunks on the embedded store.

    python bench/scale.py [--sizes 100000,300000,1000000] [--variants baseline,tuned]
    python bench/scale.py --build

What is real and what is derived (the output says so too):

* Text is real: sentences from the real corpus (../shared/corpus/real),
  recombined. Each synthetic chunk takes 5-9 sentences, mostly consecutive,
  from one real document, so passages read like passages and stay on topic.
* Vectors are derived: every distinct sentence is embedded once with the real
  model (all-MiniLM-L6-v2, cached under .cache/scale/), and a chunk's vector
  is the normalised mean of its sentences' vectors. Embedding 1M chunks for
  real would take about 6 hours here.
* BM25 vectors and payloads are real: Bm25Encoder over the chunk text and
  kb's own payload (``chunk_payload``), with synthetic document metadata
  (publisher, year, type, themes) so filters have something to select.
* Queries are real: the 50 dev questions, embedded by the real model in the
  timed path (``Searcher.run`` as the app calls it: hybrid dense + BM25 with
  glossary expansion, fusion, sentence re-ranking with its sentence cache
  warm), top 10, without and with filters (type + year; a theme). "store-only"
  times the store's own hybrid query (dense + BM25 prefetch, RRF) with the
  query vectors ready: the part that scale changes.

Each size and variant is built and served in its own child process, so peak
RSS is per stage: "build" (generate, upsert, index) and "serve" (open the
store, load the model, answer queries). Stores live under /tmp/kb-scale-* and
are deleted afterwards unless --keep.

Variants (kb.store.edge.EdgeTuning):

* ``asis``: kb's store exactly as it is today: default config, no optimize().
* ``baseline``: the default config, plus ``optimize()`` after the bulk load.
* ``tuned``: int8 scalar quantization of the dense vectors (kept in RAM),
  original vectors and payload on disk (memory-mapped), HNSW m=16 /
  ef_construct=100, segments capped at 400 MB of vectors, search with
  hnsw_ef=64 and 2x oversampling with rescoring, plus ``optimize()``.

* ``bounded``: ``tuned`` with segments capped at ~52k points and the merge
  optimizer's target count high, written through kb's own bounded build
  (``EdgeTuning.compact_every``: every 50k points ``EdgeStore.compact`` indexes
  them and reopens the shard, so memory follows the batch, not the collection).

``--build`` is the bounded-memory build of issue 18: 250k and 1M chunks,
``bounded``. ``--optimize-every N`` also optimizes after every N chunks loaded
(without reopening: memory still grows with the collection).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    DEV_QUESTIONS,
    REAL_CORPUS,
    REPO,
    peak_rss_mb,
    quiet_third_parties,
    require_shared,
)

CACHE = REPO / ".cache" / "scale"
SENTENCES = CACHE / "sentences.json"
VECTORS = CACHE / "sentence_vectors.npy"
CHUNKS_PER_DOC = 300  # ~100 pages at 3.1 chunks per page
BATCH = 4096
GOAL_N = 1_000_000
GOAL_P95_MS = 150.0
GOAL_RSS_MB = 6 * 1024

PUBLISHERS = [f"{name} Safeguarding Children Partnership" for name in (
    "Northshire", "Eastmarsh", "Westbrook", "Southhaven", "Highmoor", "Lowdale", "Kingsford",
    "Ashby", "Bramley", "Carrow", "Dunmere", "Elstow", "Fairholt", "Greystone", "Harwick",
    "Ivydale", "Juniper Vale", "Kelmscott", "Langley", "Millbrook", "Netherby", "Oakham",
    "Pennington", "Queensbury", "Redcliffe", "Stourton", "Thornbury", "Upton", "Wexcombe",
    "Yarford")] + ["Child Safeguarding Practice Review Panel", "Ofsted", "Department for Education"]
DOC_TYPES = [
    ("local_review", 60), ("rapid_review_analysis", 8), ("national_review", 5),
    ("annual_report", 7), ("thematic_review", 6), ("practice_guidance", 6),
    ("statutory_guidance", 3), ("local_procedure", 5),
]
FILTER_CASES = {
    "none": {},
    "type+year": {"doc_types": ("local_review",), "year_from": 2018},
    "theme": {"themes": ("neglect",)},
}
VARIANTS: dict[str, dict[str, Any]] = {
    "asis": {},
    "baseline": {},
    "tuned": {
        "quantize_int8": True,
        "vectors_on_disk": True,
        "payload_on_disk": True,
        "hnsw_m": 16,
        "hnsw_ef_construct": 100,
        "hnsw_ef": 64,
        "oversampling": 2.0,
        # ~260k points per segment: each is indexed once instead of re-merged
        # into ever bigger segments when optimizing in stages.
        "max_segment_size_kb": 400_000,
    },
}
# tuned, plus kb's own bounded build (EdgeTuning.bounded, added by tuning_for):
# segments capped at ~52k points, a merge target no corpus reaches, and
# EdgeStore.compact every 50k points.
VARIANTS["bounded"] = VARIANTS["tuned"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def rss_now_mb(kind: str = "VmRSS") -> float:
    """Resident MB now; ``kind`` "RssAnon" is the part that is not file-backed
    (memory-mapped index files count in VmRSS but the kernel can drop them)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(kind + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


# --------------------------------------------------------------------------- base sentences

_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def real_sentences() -> dict[str, list[str]]:
    """file -> its sentences, in order (8-60 words, mostly letters)."""
    from kb.errors import ParseError
    from kb.parse import parse_file

    out: dict[str, list[str]] = {}
    for path in sorted(REAL_CORPUS.iterdir()):
        try:
            raw = parse_file(path)
        except ParseError as exc:
            log(f"  skip {path.name}: {exc.reason}")
            continue
        text = " ".join(" ".join(p.text.split()) for p in raw.pages)
        keep = []
        for s in _SPLIT.split(text):
            words = s.split()
            letters = sum(ch.isalpha() for ch in s)
            if 8 <= len(words) <= 60 and letters > 0.7 * len(s.replace(" ", "")):
                keep.append(s)
        out[path.name] = keep
    return out


def base_set() -> tuple[dict[str, list[int]], list[str], np.ndarray]:
    """Sentences by source file (as indexes), all sentences, and their vectors (cached)."""
    if SENTENCES.exists() and VECTORS.exists():
        data = json.loads(SENTENCES.read_text(encoding="utf-8"))
        return data["by_file"], data["sentences"], np.load(VECTORS)
    log("embedding the base sentences once (cached in .cache/scale/)...")
    by_file_text = real_sentences()
    sentences: list[str] = []
    index: dict[str, int] = {}
    by_file: dict[str, list[int]] = {}
    for name, items in by_file_text.items():
        ids = []
        for s in items:
            if s not in index:
                index[s] = len(sentences)
                sentences.append(s)
            ids.append(index[s])
        by_file[name] = ids
    from kb.config import Settings
    from kb.embed.minilm import MiniLMEmbedder

    model = MiniLMEmbedder(Settings().embed)
    t = time.perf_counter()
    vectors = np.concatenate(
        [model.embed_documents(sentences[i : i + 512]) for i in range(0, len(sentences), 512)]
    ).astype(np.float32)
    log(f"  {len(sentences)} sentences embedded in {time.perf_counter() - t:.0f} s")
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(VECTORS, vectors)
    SENTENCES.write_text(
        json.dumps({"by_file": by_file, "sentences": sentences, "model": model.name}),
        encoding="utf-8",
    )
    return by_file, sentences, vectors


# --------------------------------------------------------------------------- synthetic corpus


@dataclass(frozen=True)
class Batch:
    documents: list[Any]  # kb.records.Document
    chunks: list[list[Any]]  # per document: kb.records.Chunk
    dense: list[np.ndarray]  # per document: (n, 384)


def synthesize(n_chunks: int, seed: int = 11) -> Iterator[Batch]:
    """Yield documents of ~CHUNKS_PER_DOC chunks until ``n_chunks`` are made."""
    from kb.enrich.taxonomy import load_taxonomy
    from kb.records import Chunk, Document

    by_file, sentences, vectors = base_set()
    files = [f for f, ids in by_file.items() if len(ids) >= 20]
    themes = list(load_taxonomy(REPO / "src" / "kb" / "data" / "taxonomy.yaml").ids)
    rng = random.Random(seed)
    types, weights = zip(*DOC_TYPES, strict=True)
    made = 0
    doc_no = 0
    docs: list[Any] = []
    chunks: list[list[Any]] = []
    dense: list[np.ndarray] = []
    in_batch = 0
    while made < n_chunks:
        source = rng.choice(files)
        ids = by_file[source]
        size = min(CHUNKS_PER_DOC + rng.randint(-100, 100), n_chunks - made)
        doc_id = f"{doc_no:064x}"
        doc = Document(
            doc_id=doc_id,
            file=f"synthetic-{doc_no:07d}.pdf",
            title=f"Synthetic review {doc_no} (sentences from {source})",
            publisher=rng.choice(PUBLISHERS),
            year=rng.randint(2008, 2025),
            doc_type=rng.choices(types, weights)[0],
            n_pages=size // 3 + 1,
            n_chunks=size,
            fictional=True,
        )
        doc_chunks = []
        doc_vectors = np.empty((size, vectors.shape[1]), dtype=np.float32)
        pos = rng.randrange(len(ids))
        for i in range(size):
            picked = []
            for _ in range(rng.randint(5, 9)):
                pos = (pos + (1 if rng.random() < 0.8 else rng.randint(2, 40))) % len(ids)
                picked.append(ids[pos])
            text = " ".join(sentences[k] for k in picked)
            v = vectors[picked].mean(axis=0)
            doc_vectors[i] = v / np.linalg.norm(v)
            page = i // 3 + 1
            doc_chunks.append(
                Chunk(
                    doc_id=doc_id,
                    index=i,
                    text=text,
                    page_start=page,
                    page_end=page,
                    heading_path=(f"{1 + i // 40} Findings",),
                    kind="recommendation" if rng.random() < 0.1 else "passage",
                    themes=tuple(rng.sample(themes, rng.choice((0, 1, 1, 2, 3)))),
                    n_tokens=len(text.split()),
                )
            )
        docs.append(doc)
        chunks.append(doc_chunks)
        dense.append(doc_vectors)
        made += size
        doc_no += 1
        in_batch += size
        if in_batch >= BATCH * 4 or made >= n_chunks:
            yield Batch(docs, chunks, dense)
            docs, chunks, dense, in_batch = [], [], [], 0


# --------------------------------------------------------------------------- children


def tuning_for(variant: str) -> Any:
    from dataclasses import replace

    from kb.store.tuning import EdgeTuning

    tuning = EdgeTuning(**VARIANTS[variant])
    if variant != "bounded":
        return tuning
    build = EdgeTuning.bounded()
    return replace(
        tuning,
        max_segment_size_kb=build.max_segment_size_kb,
        default_segment_number=build.default_segment_number,
        compact_every=build.compact_every,
    )


def child_build(n: int, variant: str, path: Path, optimize_every: int = 0) -> dict[str, Any]:
    from kb.embed.bm25 import Bm25Encoder
    from kb.ingest.chunk import embed_text
    from kb.store.contract import EmbeddedChunks
    from kb.store.edge import EdgeStore

    bm25 = Bm25Encoder()
    base_set()  # load the cache before timing
    store = EdgeStore(path, 384, tuning=tuning_for(variant))
    t0 = time.perf_counter()
    gen_s = 0.0
    index_s = 0.0
    done = 0
    next_optimize = optimize_every or n + 1
    synth = synthesize(n)
    while True:
        tg = time.perf_counter()
        batch = next(synth, None)
        if batch is None:
            break
        gen_s += time.perf_counter() - tg
        for doc, doc_chunks, vecs in zip(batch.documents, batch.chunks, batch.dense, strict=True):
            sparse = [bm25.document(embed_text(doc, c)) for c in doc_chunks]
            store.upsert_chunks(EmbeddedChunks(doc, doc_chunks, vecs, sparse))
            done += len(doc_chunks)
        # Document markers in bulk: put_document flushes per call, which is for
        # crash safety in a real ingest, not for a bulk load.
        qe = store._qe
        from kb.records import document_point_id
        from kb.store.payload import document_payload

        store._shard.update(
            qe.UpdateOperation.upsert_points(
                [qe.Point(document_point_id(d.doc_id), {}, document_payload(d))
                 for d in batch.documents]
            )
        )
        if variant != "asis" and done >= next_optimize:
            # Index what is there: the appendable segment's memory goes to disk.
            t1 = time.perf_counter()
            store.optimize()
            index_s += time.perf_counter() - t1
            next_optimize += optimize_every
        log(f"  {done:>8} chunks  {done / (time.perf_counter() - t0):6.0f}/s  "
            f"RSS {rss_now_mb():.0f} MB (anonymous {rss_now_mb('RssAnon'):.0f} MB)")
    store._shard.flush()
    t1 = time.perf_counter()
    optimized = variant != "asis" and store.optimize()
    index_s += time.perf_counter() - t1 if variant != "asis" else 0.0
    load_s = time.perf_counter() - t0 - index_s
    info = store._shard.info()
    store.close()
    return {
        "chunks": done,
        "load_s": round(load_s, 1),
        "synthesis_s": round(gen_s, 1),
        "ingest_rate": round(done / load_s, 0),
        "index_s": round(index_s, 1),
        "optimized": bool(optimized),
        "segments": info.segments_count,
        "indexed_vectors": info.indexed_vectors_count,
        "points": info.points_count,
        "build_peak_rss_mb": round(peak_rss_mb(), 0),
        "disk_mb": round(sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file())
                         / 1e6, 0),
    }


def question_ms(model: Any, questions: list[str]) -> float:
    """Median wall time of embedding one question alone (the model's share)."""
    times = []
    for q in questions:
        t = time.perf_counter()
        model.embed_documents([q])
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def child_serve(variant: str, path: Path, repeat: int) -> dict[str, Any]:
    from kb.config import Settings
    from kb.embed import open_embedder
    from kb.embed.cache import EmbedCache
    from kb.evaluate import load_questions
    from kb.records import Filters
    from kb.retrieve.search import Searcher
    from kb.store.contract import StoreQuery
    from kb.store.edge import EdgeStore

    rss0 = rss_now_mb()
    t = time.perf_counter()
    store = EdgeStore(path, 384, create=False, tuning=tuning_for(variant))
    open_s = time.perf_counter() - t
    rss_open = rss_now_mb()
    # The shipped question path: ONNX Runtime behind kb's batching workers, as
    # Library opens it (this bench once timed torch on one thread: 31-42 ms a question).
    settings = Settings.from_env()
    model = open_embedder(settings.embed)
    # As Library builds it: re-ranking's sentence vectors are cached, and the
    # warm-up fills the cache, so the timed passes cost what a warm app pays.
    # (Synthetic passages carry no stored sentence vectors: real ones do.)
    cache = EmbedCache(model.embed_documents, size=50_000)
    searcher = Searcher(store, model, settings.search, embed_sentences=cache)
    questions = [q.question for q in load_questions(DEV_QUESTIONS)]
    for kw in FILTER_CASES.values():  # warm-up: model, sentence cache, page cache
        for q in questions:
            searcher.run(q, top_k=10, filters=Filters(**kw))
    out: dict[str, Any] = {
        "open_s": round(open_s, 2),
        "rss_after_open_mb": round(rss_open - rss0, 0),
    }
    for case, kw in FILTER_CASES.items():
        filters = Filters(**kw)
        lat, store_lat, empty = [], [], 0
        for _ in range(repeat):
            for q in questions:
                t = time.perf_counter()
                result = searcher.run(q, top_k=10, filters=filters)
                lat.append((time.perf_counter() - t) * 1000)
                empty += not result.hits
        model_ms = question_ms(model, questions)
        # The store alone, with the query vectors ready: what scale changes.
        vecs = model.embed_documents(questions)
        sparse = [searcher.bm25.query(q) for q in questions]  # type: ignore[union-attr]
        for _ in range(repeat):
            for v, sp in zip(vecs, sparse, strict=True):
                t = time.perf_counter()
                # One query per retriever, as Searcher asks them (fusing is its job).
                store.query(StoreQuery(dense=v, filters=filters, limit=10, with_vectors=True))
                store.query(StoreQuery(sparse=sp, filters=filters, limit=10))
                store_lat.append((time.perf_counter() - t) * 1000)
        out[case] = {
            "p50_ms": round(statistics.median(lat), 1),
            "p95_ms": round(percentile(lat, 95), 1),
            "store_p50_ms": round(statistics.median(store_lat), 1),
            "store_p95_ms": round(percentile(store_lat, 95), 1),
            "model_ms_per_query": round(model_ms, 1),  # embedding inside the e2e figures
            "empty": empty,
            "count": store.count(filters),
        }
    out["serve_peak_rss_mb"] = round(peak_rss_mb(), 0)
    out["serve_rss_end_mb"] = round(rss_now_mb(), 0)
    store.close()
    return out


def recall_at_10(path: Path, variant: str) -> float:
    """Dense top-10 of the variant's index against exact search, on the dev questions."""
    import qdrant_edge as qe

    from kb.config import Settings
    from kb.embed.minilm import MiniLMEmbedder
    from kb.evaluate import load_questions
    from kb.store.contract import DENSE
    from kb.store.edge import EdgeStore

    store = EdgeStore(path, 384, create=False, tuning=tuning_for(variant))
    model = MiniLMEmbedder(Settings().embed)
    questions = [q.question for q in load_questions(DEV_QUESTIONS)]
    flt = store._filter(__import__("kb.records", fromlist=["Filters"]).Filters())
    hits = []
    for v in model.embed_documents(questions):
        vec = [float(x) for x in v]

        def ids(params: Any, vec: list[float] = vec) -> list[Any]:
            req = qe.QueryRequest(limit=10, query=qe.Query.Nearest(vec, using=DENSE),
                                  filter=flt, params=params)
            return [p.id for p in store._shard.query(req)]

        exact = set(ids(qe.SearchParams(exact=True)))
        approx = set(ids(store._params))
        hits.append(len(exact & approx) / 10)
    store.close()
    return round(statistics.fmean(hits), 3)


# --------------------------------------------------------------------------- parent


def run_child(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    if proc.returncode != 0:
        sys.exit(f"scale: child {' '.join(args)} failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--variants", default="baseline,tuned",
                        help="comma list from: " + ", ".join(VARIANTS))
    parser.add_argument("--plan", default=None,
                        help="size:variant,... pairs (overrides --sizes/--variants)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the 50 questions")
    parser.add_argument("--optimize-every", type=int, default=0,
                        help="also optimize after every N chunks loaded (bounds build memory)")
    parser.add_argument("--build", action="store_true",
                        help="the bounded-memory build: 250k and 1M chunks, 'bounded' variant")
    parser.add_argument("--recall", action="store_true", help="also measure dense recall@10")
    parser.add_argument("--keep", action="store_true", help="keep /tmp/kb-scale-* stores")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    quiet_third_parties()
    if args.child:
        kind, rest = args.child[0], args.child[1:]
        if kind == "build":
            result = child_build(int(rest[0]), rest[1], Path(rest[2]), int(rest[3]))
        elif kind == "serve":
            result = child_serve(rest[0], Path(rest[1]), int(rest[2]))
        elif kind == "recall":
            result = {"recall_at_10": recall_at_10(Path(rest[1]), rest[0])}
        else:
            sys.exit(f"unknown child {kind}")
        print(json.dumps(result))
        return
    require_shared()
    base_set()  # embed once, outside the timed children
    if args.build and not args.plan:
        args.plan = "250000:bounded,1000000:bounded"
    if args.plan:
        plan = [(int(s), v) for s, v in (p.split(":") for p in args.plan.split(","))]
    else:
        plan = [(int(s), v) for s in args.sizes.split(",") for v in args.variants.split(",")]
    _, sentences, _ = base_set()
    print(f"synthetic chunks: real sentences recombined ({len(sentences)} base sentences from "
          f"{REAL_CORPUS}); dense vectors DERIVED as the normalised mean of real MiniLM "
          f"sentence vectors; BM25, payloads and query embeddings real", flush=True)
    rows = []
    for n, variant in plan:
        path = Path(f"/tmp/kb-scale-{n}-{variant}")
        shutil.rmtree(path, ignore_errors=True)
        log(f"== {n} chunks, {variant}")
        t = time.perf_counter()
        build = run_child(
            ["--child", "build", str(n), variant, str(path), str(args.optimize_every)]
        )
        # Printed now: a failure while serving must not lose the build's figures.
        print(json.dumps({"n": n, "variant": variant, "build": build}), flush=True)
        serve = run_child(["--child", "serve", variant, str(path), str(args.repeat)])
        row = {"n": n, "variant": variant, **build, **serve,
               "wall_s": round(time.perf_counter() - t, 0)}
        if args.recall:
            row.update(run_child(["--child", "recall", variant, str(path)]))
        rows.append(row)
        print(summary(row), flush=True)
        if not args.keep:
            shutil.rmtree(path, ignore_errors=True)
    print()
    print(table(rows))
    print(json.dumps(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


def summary(r: dict[str, Any]) -> str:
    return (
        f"{r['n']:>8} {r['variant']:8} ingest {r['ingest_rate']:6.0f}/s ({r['load_s']:.0f} s)  "
        f"index {r['index_s']:6.1f} s  disk {r['disk_mb']:6.0f} MB  "
        f"RSS build {r['build_peak_rss_mb']:5.0f} / serve {r['serve_peak_rss_mb']:5.0f} MB  "
        f"store hybrid p50/p95 {r['none']['store_p50_ms']}/{r['none']['store_p95_ms']} ms, "
        f"filtered {r['type+year']['store_p50_ms']}/{r['type+year']['store_p95_ms']}, "
        f"theme {r['theme']['store_p50_ms']}/{r['theme']['store_p95_ms']}  |  "
        f"end-to-end {r['none']['p50_ms']}/{r['none']['p95_ms']} ms"
    )


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| chunks | variant | ingest chunks/s | index build s | disk MB | peak RSS build MB "
        "| peak RSS serve MB | store hybrid p50/p95 ms | + type&year | + theme "
        "| end-to-end p50/p95 ms (model ms) | recall@10 |"
    )
    lines = [head, "|" + "---|" * 12]
    for r in rows:
        e2e = f"{r['none']['p50_ms']}/{r['none']['p95_ms']}"
        if "model_ms_per_query" in r["none"]:
            e2e += f" ({r['none']['model_ms_per_query']})"
        lines.append(
            f"| {r['n']:,} | {r['variant']} | {r['ingest_rate']:.0f} | {r['index_s']:.0f} | "
            f"{r['disk_mb']:.0f} | {r['build_peak_rss_mb']:.0f} | {r['serve_peak_rss_mb']:.0f} | "
            f"{r['none']['store_p50_ms']}/{r['none']['store_p95_ms']} | "
            f"{r['type+year']['store_p50_ms']}/{r['type+year']['store_p95_ms']} | "
            f"{r['theme']['store_p50_ms']}/{r['theme']['store_p95_ms']} | {e2e} | "
            f"{r.get('recall_at_10', '')} |"
        )
    for r in rows:
        if r["n"] < GOAL_N:
            continue
        rss_ok = r["serve_peak_rss_mb"] <= GOAL_RSS_MB
        for label, key in (("store hybrid", "store_p95_ms"), ("end-to-end", "p95_ms")):
            p95 = max(r[case][key] for case in FILTER_CASES)
            ok = p95 <= GOAL_P95_MS and rss_ok
            lines.append(
                f"goal at {r['n']:,} ({r['variant']}): {label} p95 <= {GOAL_P95_MS:.0f} ms with "
                f"and without filters (worst {p95} ms) and serve peak RSS <= {GOAL_RSS_MB} MB "
                f"({r['serve_peak_rss_mb']:.0f} MB): {'met' if ok else 'missed'}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
