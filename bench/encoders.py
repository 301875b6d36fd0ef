"""Every encoder and precision in one run: per-question CPU and wall, ingest batches, cosine.

    python bench/encoders.py [--passages 96] [--rounds 3]

Encoders: torch (sentence-transformers) at fp32 and bf16, ONNX Runtime at fp32
and int8 (dynamic quantization of the export), each with one thread, as the
question path runs. For each: the dev questions embedded one by one (wall p50 /
p95 and CPU per question), real passages in batches of 8 (tokens/s: ingest's
kind of call), and the lowest cosine of its vectors to torch fp32's (the
index's) over both. Rounds are interleaved, so a burst of load elsewhere hits
every encoder alike; each figure is the best round. Last, what
``KB_PRECISION=auto`` chose on this machine (kb.embed.precision) and the fastest
encoder that keeps cosine >= 0.999. The load average is printed: the machine
is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEV_QUESTIONS, REAL_CORPUS, quiet_third_parties, require_shared  # noqa: E402

Encode = Callable[[Sequence[str]], np.ndarray]


def real_passages(n: int) -> list[str]:
    """``n`` passages of four consecutive real sentences (~100 tokens, a chunk's scale)."""
    from kb.parse import parse_file
    from kb.text.sentences import sentence_texts

    sentences: list[str] = []
    for pdf in sorted(REAL_CORPUS.glob("*.pdf"))[:6]:
        doc = parse_file(pdf)
        sentences += [s for p in doc.pages for s in sentence_texts(p.text) if len(s) > 20]
    return [" ".join(sentences[i : i + 4]) for i in range(0, 4 * n, 4)]


def encoders() -> tuple[dict[str, Encode], Callable[[Sequence[str]], list[int]]]:
    import copy

    import torch

    from kb.config import Settings
    from kb.embed.minilm import MiniLMEmbedder
    from kb.embed.onnx_encoder import OnnxEmbedder
    from kb.embed.onnx_export import ensure_export

    torch.set_num_threads(1)
    fp32 = MiniLMEmbedder(Settings.of(precision="fp32", threads=1).embed)
    bf16 = copy.copy(fp32)
    bf16._model = copy.deepcopy(fp32._model).to(torch.bfloat16)
    settings = Settings.of(threads=1).embed
    onnx = OnnxEmbedder(settings, ensure_export(settings, "fp32"))
    int8 = OnnxEmbedder(settings, ensure_export(settings, "int8"), "int8")
    found = {
        "torch fp32": fp32.embed_documents,
        "torch bf16": bf16.embed_documents,
        "onnx fp32": onnx.embed_documents,
        "onnx int8": int8.embed_documents,
        # Not a precision: ONNX Runtime's intra-op threads, for the N=1 latency.
        "onnx fp32, 2 threads": OnnxEmbedder(
            Settings.of(threads=2).embed, ensure_export(settings, "fp32")
        ).embed_documents,
    }
    return found, fp32.count_tokens


def per_question(encode: Encode, questions: Sequence[str]) -> tuple[list[float], float]:
    """Wall ms per question, and CPU ms per question (this process's)."""
    walls = []
    cpu = time.process_time()
    for q in questions:
        start = time.perf_counter()
        encode([q])
        walls.append((time.perf_counter() - start) * 1000)
    return walls, (time.process_time() - cpu) * 1000 / len(questions)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=96)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    require_shared()
    quiet_third_parties()
    from kb.config import Settings
    from kb.embed.routing import summary
    from kb.evaluate import load_questions

    questions = [q.question for q in load_questions(DEV_QUESTIONS)]
    passages = real_passages(args.passages)
    found, count_tokens = encoders()
    ref = found["torch fp32"](questions + passages)
    tokens = sum(count_tokens(passages))
    load = [os.getloadavg()[0]]
    best: dict[str, dict[str, float]] = {n: {} for n in found}
    for _ in range(args.rounds):
        for name, encode in found.items():
            walls, cpu = per_question(encode, questions)
            start = time.perf_counter()
            encode(passages)
            batch_s = time.perf_counter() - start
            row = best[name]
            row["p50"] = min(row.get("p50", 1e9), statistics.median(walls))
            row["p95"] = min(row.get("p95", 1e9), percentile(walls, 95))
            row["cpu"] = min(row.get("cpu", 1e9), cpu)
            row["batch_s"] = min(row.get("batch_s", 1e9), batch_s)
        load.append(os.getloadavg()[0])
    for name, encode in found.items():
        best[name]["cosine"] = float(np.min(np.sum(encode(questions + passages) * ref, axis=1)))
    report(best, len(questions), len(passages), tokens, load)
    print("KB_PRECISION=auto on this machine:", summary(Settings().embed))
    print(json.dumps(best))


def report(
    best: dict[str, dict[str, float]], nq: int, np_: int, tokens: int, load: list[float]
) -> None:
    print(f"{nq} dev questions one by one; {np_} real passages ({tokens} tokens) in batches of 8")
    print(
        "| encoder | question p50 ms | p95 ms | CPU ms/question | passages tokens/s "
        "| vs torch fp32 | min cosine |"
    )
    print("|---|---|---|---|---|---|---|")
    base = best["torch fp32"]["batch_s"]
    for name, row in best.items():
        print(
            f"| {name} | {row['p50']:.1f} | {row['p95']:.1f} | {row['cpu']:.1f} | "
            f"{tokens / row['batch_s']:,.0f} | {base / row['batch_s']:.2f}x | {row['cosine']:.5f} |"
        )
    # Thread counts are not precisions: the choice is among one-thread rows.
    kept = [n for n, r in best.items() if r["cosine"] >= 0.999 and "threads" not in n]
    print("fastest per question with cosine >= 0.999:", min(kept, key=lambda n: best[n]["cpu"]))
    print("fastest on passages with cosine >= 0.999:", min(kept, key=lambda n: best[n]["batch_s"]))
    print(f"load average (1 min) during the run {min(load):.1f}-{max(load):.1f}")


if __name__ == "__main__":
    main()
