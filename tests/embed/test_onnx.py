"""The ONNX query encoder: pooling, the backend choice, and, with the real model,
vectors equal to torch's and a question path that never imports torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kb.config import Settings
from kb.embed import open_embedder
from kb.embed.minilm import LazyEmbedder, MiniLMEmbedder
from kb.embed.onnx_encoder import mean_pool
from kb.embed.routing import LazyOnnxEmbedder, summary, wants_onnx
from kb.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
HEAVY = ("torch", "sentence_transformers", "transformers", "sklearn")


def test_mean_pool_ignores_padding_and_normalises() -> None:
    hidden = np.array([[[1.0, 0.0], [3.0, 4.0], [100.0, 100.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    pooled = mean_pool(hidden, mask)
    assert np.allclose(pooled, [[2.0, 2.0]] / np.linalg.norm([2.0, 2.0]))


def test_factory_picks_the_backend() -> None:
    def inner(encoder: str) -> object:
        return open_embedder(Settings.of(query_encoder=encoder).embed).inner  # type: ignore[attr-defined]

    assert isinstance(inner("torch"), LazyEmbedder)
    assert isinstance(inner("onnx"), LazyOnnxEmbedder)
    assert wants_onnx(Settings.of(query_encoder="auto").embed)  # onnxruntime is a dependency
    with pytest.raises(ConfigError):
        wants_onnx(Settings.of(query_encoder="tensorflow").embed)


def test_without_an_export_auto_falls_back_to_torch_and_onnx_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    class Torch:  # stands in for the torch encoder, which would take seconds to load
        name = "torch"

    empty = tmp_path / "no-model"
    empty.mkdir()
    auto = Settings.of(model_path=str(empty), model_cache=tmp_path / "c", query_encoder="auto")
    fallback = Torch()
    assert LazyOnnxEmbedder(auto.embed, fallback).model is fallback  # type: ignore[arg-type]
    assert "using torch" in capsys.readouterr().err
    strict = auto.with_(query_encoder="onnx")
    with pytest.raises(ConfigError, match="ONNX query encoder is unavailable"):
        _ = LazyOnnxEmbedder(strict.embed, fallback).model  # type: ignore[arg-type]


def test_stats_summary_loads_nothing(tmp_path: Path) -> None:
    settings = Settings.of(model_cache=tmp_path, precision="auto").embed
    got = summary(settings)
    assert got["questions"].startswith("onnx auto (not measured")
    assert got["passages"].startswith("auto (torch or onnx fp32, not measured")
    assert summary(Settings.of(precision="bf16", query_encoder="torch").embed) == {
        "questions": "torch bf16",
        "passages": "torch bf16",
    }


# --------------------------------------------------------------------------- real model


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache whose export and precision probe were made by first use, here."""
    from kb.embed.onnx_encoder import open_onnx
    from kb.embed.onnx_export import export_path

    cache = tmp_path_factory.mktemp("model-cache")
    settings = Settings.of(model_cache=cache, precision="auto").embed
    assert not export_path(settings).exists()
    encoder = open_onnx(settings)
    assert export_path(settings).is_file()
    assert encoder.precision == "fp32"  # int8 moves vectors below cosine 0.999
    return cache


def _real_texts() -> list[str]:
    """Real questions (the eval sets) and real passages (a real review's text)."""
    from kb.parse import parse_file
    from kb.text.sentences import sentence_texts

    questions = []
    sets = [*(SHARED / "eval").glob("*.jsonl"), *(ROOT / "bench" / "questions").glob("*.jsonl")]
    for path in sets:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                questions.append(json.loads(line)["question"])
    doc = parse_file(SHARED / "corpus" / "real" / "London-Rapid-Reviews-Analysis-Report.pdf")
    sentences = [s for page in doc.pages for s in sentence_texts(page.text) if len(s) > 20]
    passages = [" ".join(sentences[i : i + 4]) for i in range(0, 4 * 150, 4)]
    return questions + passages


@pytest.mark.slow
@pytest.mark.real
def test_onnx_vectors_match_the_torch_encoder(
    onnx_cache: Path, real_embedder: MiniLMEmbedder
) -> None:
    if not (SHARED / "corpus" / "real").is_dir():
        pytest.skip("../shared not present")
    from kb.embed.onnx_encoder import open_onnx

    texts = _real_texts()
    assert len(texts) >= 200
    onnx = open_onnx(Settings.of(model_cache=onnx_cache).embed)
    cosine = np.sum(onnx.embed_documents(texts) * real_embedder.embed_documents(texts), axis=1)
    assert cosine.min() >= 0.999, float(cosine.min())
    assert np.allclose(np.linalg.norm(onnx.embed_documents(texts[:5]), axis=1), 1.0, atol=1e-5)
    assert onnx.count_tokens(texts) == real_embedder.count_tokens(texts)


QUESTION_PATH = """
import sys
from kb.cli import cli
import kb.web.ask, kb.web.state  # what the app's question page imports
from kb.config import Settings
from kb.library import Library
for args in (["search", "neglect at home"], ["ask", "Who should the school tell?"]):
    try:
        cli.main(args, prog_name="kb", standalone_mode=False)
    except SystemExit:
        pass
Library(Settings.from_env()).ask("How do agencies share information?")
print("HEAVY", [m for m in sys.argv[1:] if m in sys.modules])
"""


@pytest.mark.slow
@pytest.mark.real
def test_question_path_never_imports_torch(onnx_cache: Path, tmp_path: Path, make_pdf) -> None:  # type: ignore[no-untyped-def]
    from kb.library import Library

    store = tmp_path / ".kb"
    pdf = make_pdf(["The school did not share its concerns about neglect at home."], "review.pdf")
    # The index's vectors do not matter here, only what a question imports.
    Library(Settings.of(store_dir=store, embedder="hash", ocr=False)).ingest([pdf])
    env = {"KB_STORE_DIR": str(store), "KB_QUERY_ENCODER": "auto"}
    out = _heavy_free(QUESTION_PATH, [], onnx_cache, **env)
    assert "HEAVY []" in out, out


def _heavy_free(script: str, args: list[str], cache: Path, **env: str) -> str:
    """``script`` run in a fresh process on the real model; its output once it
    exits 0. It is given ``args``, then the names of the heavy modules."""
    full = {
        **os.environ,
        "KB_EMBEDDER": "minilm",
        "KB_MODEL_CACHE": str(cache),
        "PYTHONPATH": str(ROOT / "src"),
        "HF_HUB_OFFLINE": "1",
        **env,
    }
    out = subprocess.run(
        [sys.executable, "-c", script, *args, *HEAVY],
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout + out.stderr


def _headed_passages(n: int) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Real passages behind a context header, with their sentence spans, as ingest makes them."""
    from kb.text.sentences import sentence_spans

    header = "London Rapid Reviews Analysis Report | 4 Findings"
    texts, spans = [], []
    for passage in _real_texts()[-n:]:
        texts.append(f"{header}\n{passage}")
        shift = len(header) + 1
        spans.append([(a + shift, b + shift) for a, b in sentence_spans(passage)])
    return texts, spans


@pytest.mark.slow
@pytest.mark.real
def test_onnx_packed_pass_gives_the_torch_vectors(
    onnx_cache: Path, real_embedder: MiniLMEmbedder
) -> None:
    if not (SHARED / "corpus" / "real").is_dir():
        pytest.skip("../shared not present")
    from kb.embed.onnx_encoder import open_onnx

    texts, spans = _headed_passages(40)
    onnx = open_onnx(Settings.of(model_cache=onnx_cache).embed)
    dense, own = onnx.embed_passages(texts, spans)
    want_dense, want_own = real_embedder.embed_passages(texts, spans)
    assert float(np.min(np.sum(dense * want_dense, axis=1))) >= 0.9999
    for got, want, text_spans in zip(own, want_own, spans, strict=True):
        assert got.shape == want.shape == (len(text_spans), onnx.dim)
        if len(text_spans):
            assert float(np.min(np.sum(got * want, axis=1))) >= 0.9999
    with pytest.raises(ValueError):
        onnx.embed_passages(texts, spans[:-1])


@pytest.mark.slow
@pytest.mark.real
def test_passages_go_where_the_settings_or_the_probe_say(
    onnx_cache: Path, tmp_path: Path, real_embedder: MiniLMEmbedder
) -> None:
    import shutil

    from kb.embed.precision import cached_choice
    from kb.embed.routing import passages_key

    calls: list[str] = []

    class Torch:  # the real torch encoder, counted
        name = "torch"

        def embed_passages(self, texts, spans):  # type: ignore[no-untyped-def]
            calls.append("torch")
            return real_embedder.embed_passages(texts, spans)

    texts, spans = _headed_passages(2)
    cache = tmp_path / "cache"
    shutil.copytree(onnx_cache, cache)  # the export, without a passage choice yet
    for wanted in ("torch", "onnx"):
        settings = Settings.of(model_cache=cache, passage_encoder=wanted).embed
        calls.clear()
        LazyOnnxEmbedder(settings, Torch()).embed_passages(texts, spans)  # type: ignore[arg-type]
        assert calls == (["torch"] if wanted == "torch" else [])
    auto = Settings.of(model_cache=cache, passage_encoder="auto").embed
    assert "not measured" in summary(auto)["passages"]
    dense, _ = LazyOnnxEmbedder(auto, Torch()).embed_passages(texts, spans)  # type: ignore[arg-type]
    entry = cached_choice(auto, passages_key(auto))
    assert entry is not None and set(entry["seconds"]) == {"torch", "onnx"}
    assert entry["min_cosine"]["onnx"] >= 0.999
    shown = summary(auto)["passages"]
    assert shown.startswith("onnx fp32 (packed)" if entry["chosen"] == "onnx" else "torch")
    want = real_embedder.embed_passages(texts, spans)[0]
    assert float(np.min(np.sum(dense * want, axis=1))) > 0.9999
    gpu = Settings.of(model_cache=cache, passage_encoder="gpu").embed
    with pytest.raises(ConfigError, match="KB_PASSAGE_ENCODER"):
        LazyOnnxEmbedder(gpu, Torch()).embed_passages(texts, spans)  # type: ignore[arg-type]


INGEST_PATH = """
import sys
from pathlib import Path
from kb.config import Settings
from kb.library import Library
report = Library(Settings.from_env()).ingest([Path(sys.argv[1])])
print("CHUNKS", report.chunks, "FAILED", len(report.failed))
print("HEAVY", [m for m in sys.argv[2:] if m in sys.modules])
"""


@pytest.mark.slow
@pytest.mark.real
def test_ingest_on_onnx_never_imports_torch(onnx_cache: Path, tmp_path: Path, make_pdf) -> None:  # type: ignore[no-untyped-def]
    pdf = make_pdf(["The school did not share its concerns about neglect at home."], "review.pdf")
    env = {"KB_STORE_DIR": str(tmp_path / ".kb"), "KB_PASSAGE_ENCODER": "onnx", "KB_OCR": "false"}
    out = _heavy_free(INGEST_PATH, [str(pdf)], onnx_cache, **env)
    assert "HEAVY []" in out, out
    assert "CHUNKS 1 FAILED 0" in out, out
