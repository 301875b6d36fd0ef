"""An installed kb, not the checkout, gives the same figures as the checkout.

Builds a wheel of this checkout, installs it (not editable) into a fresh venv
that cannot see the source tree, and from a temporary working directory runs
the installed ``kb ingest`` on the fictional samples and ``kb eval --json`` on
two question sets: questions made from the samples' labelled findings (always
here, and they score above zero) and ``../shared/eval/dev_questions.jsonl``
(skipped when absent), and one ``kb search --json``. The checkout's ``kb`` does
the same into its own index; every figure and hit must be equal.

The fresh venv borrows the heavy dependencies (torch, the models, qdrant) from
this interpreter's site-packages through a ``.pth`` line. A path added that way
is not a site directory, so the editable install's own ``.pth`` in there, which
points at a checkout's ``src``, is not read: the only ``kb`` the venv can import
is the wheel's, which the test asserts before trusting any figure.

Last, from a checkout ``python -m ingest`` must still be the ``kb ingest`` job.
"""

from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "corpus" / "fictional"
ROLES = ROOT / "tests" / "data" / "fictional_roles.jsonl"
DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"
# Its hits carry what the data files decide (document type, publisher, themes)
# as well as scores, so equal hits say more than equal, saturated metrics.
SEARCH = "missed chances to hear what the child was saying"
# Room for two ingests of the samples with the real model on a loaded machine.
TIMEOUT = 900


@dataclass(frozen=True)
class Run:
    """The figures one kb (installed or checkout) gave."""

    ingest: dict[str, Any]
    evals: dict[str, dict[str, Any]]
    search: list[dict[str, Any]]
    # Which encoder embedded a question, and whether torch came along.
    question_path: dict[str, Any]


def _base_env() -> dict[str, str]:
    # Neither side may be steered by the caller's KB_* settings or PYTHONPATH
    # (the preamble's way of testing a worktree would leak src into the venv).
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE"):
        env.pop(name, None)
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONNOUSERSITE="1")
    env["UNSTRUCTURED_DISABLE_NOTICE"] = "1"
    return env


def _run(args: list[str], *, env: dict[str, str], cwd: Path, ok: tuple[int, ...] = (0,)) -> str:
    proc = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert proc.returncode in ok, _told(args, proc)
    return proc.stdout


def _json(args: list[str], *, env: dict[str, str], cwd: Path, ok: tuple[int, ...] = (0,)) -> Any:
    """What a ``--json`` command printed; its stderr in the failure when it printed no JSON."""
    proc = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert proc.returncode in ok, _told(args, proc)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"no JSON from {_told(args, proc)}") from None


def _told(args: list[str], proc: subprocess.CompletedProcess[str]) -> str:
    return (
        f"{' '.join(args)} exited {proc.returncode}\n"
        f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-4000:]}"
    )


def build_wheel(out: Path) -> Path:
    """A wheel of the checkout, built the way ``pip install .`` builds it."""
    args = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out)]
    try:
        import hatchling  # noqa: F401

        # The backend is here already: no download, no isolated build env.
        args.append("--no-build-isolation")
    except ImportError:
        pass  # pip fetches hatchling into an isolated build env from the index
    _run([*args, str(ROOT)], env=_base_env(), cwd=out)
    (wheel,) = out.glob("kb-*.whl")
    return wheel


def package_files() -> set[str]:
    """Every file of the kb package in the checkout, as its path in a wheel."""
    src = ROOT / "src"
    return {
        p.relative_to(src).as_posix()
        for p in (src / "kb").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def fresh_venv(where: Path, wheel: Path) -> Path:
    """A venv holding only the wheel's kb, borrowing this interpreter's dependencies."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(where)
    python = where / "bin" / "python"
    # Install before the .pth exists, so pip sees an empty venv and never
    # touches the editable kb in the borrowed site-packages.
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        env=_base_env(),
        cwd=where,
    )
    own = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            env=_base_env(),
            cwd=where,
        ).strip()
    )
    borrowed = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (own / "_borrowed_dependencies.pth").write_text("\n".join(borrowed) + "\n", encoding="utf-8")
    return python


WHERE_IS_KB = """
import importlib.metadata as md, json, pathlib, sys
import kb
dist = md.distribution("kb")
direct = dist.read_text("direct_url.json") or "{}"
print(json.dumps({
    "file": kb.__file__,
    "editable": json.loads(direct).get("dir_info", {}).get("editable", False),
    "others": [p for p in sys.path if (pathlib.Path(p or ".") / "kb" / "__init__.py").exists()],
}))
"""


def assert_isolated(python: Path, env: dict[str, str], cwd: Path) -> None:
    """The fresh venv imports the wheel's kb and cannot reach any checkout's src."""
    venv_dir = python.parent.parent.resolve()
    where = _json([str(python), "-c", WHERE_IS_KB], env=env, cwd=cwd)
    assert Path(where["file"]).resolve().is_relative_to(venv_dir), where
    assert not where["editable"], where
    assert all(Path(p).resolve().is_relative_to(venv_dir) for p in where["others"]), where


def assert_checkout(env: dict[str, str], cwd: Path) -> None:
    """The comparison side runs this checkout's src, not whatever kb the venv has."""
    where = _json([sys.executable, "-c", WHERE_IS_KB], env=env, cwd=cwd)
    assert Path(where["file"]).resolve().is_relative_to((ROOT / "src").resolve()), where


def fictional_questions(path: Path) -> Path:
    """The samples' labelled findings as questions, each relevant to its own page."""
    rows = [json.loads(line) for line in ROLES.read_text(encoding="utf-8").splitlines() if line]
    findings = [r for r in rows if r["role"] == "finding"][::2]
    with path.open("w", encoding="utf-8") as fh:
        for n, r in enumerate(findings, 1):
            question = re.sub(r"^Finding \d+:\s*", "", r["text"])
            relevant = [{"doc": r["doc"], "pages": [r["page"]]}]
            fh.write(
                json.dumps(
                    {
                        "id": f"f{n:02d}",
                        "question": question,
                        "relevant": relevant,
                        "kind": "finding",
                    }
                )
                + "\n"
            )
    return path


QUESTION_PATH = """
import json, sys
from kb.config import Settings
from kb.library import Library
library = Library(Settings.from_env())
library.search("missed chances to hear the child")
print(json.dumps({
    "encoder": type(library.embedder.inner.model).__name__,
    "torch": "torch" in sys.modules,
}))
"""


def run_kb(
    command: list[str], python: str, env: dict[str, str], cwd: Path, questions: dict[str, Path]
) -> Run:
    # 0 or 1: a sample that fails to parse must show up in the compared report,
    # not stop the comparison.
    ingest = [*command, "ingest", "--json", "--quiet", str(SAMPLES)]
    report = _json(ingest, env=env, cwd=cwd, ok=(0, 1))
    report.pop("seconds")
    evals = {
        name: _json([*command, "eval", "--json", str(path)], env=env, cwd=cwd)
        for name, path in questions.items()
    }
    search = _json([*command, "search", "--json", "--top-k", "10", SEARCH], env=env, cwd=cwd)
    return Run(report, evals, search, _json([python, "-c", QUESTION_PATH], env=env, cwd=cwd))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def runs(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    tmp = tmp_path_factory.mktemp("install")
    python = fresh_venv(tmp / "venv", wheel)
    work = tmp_path_factory.mktemp("cwd")  # not the checkout: relative paths find nothing
    questions = {"fictional": fictional_questions(tmp / "fictional_questions.jsonl")}
    if DEV_QUESTIONS.is_file():
        questions["dev"] = DEV_QUESTIONS

    installed_env = {**_base_env(), "KB_STORE_DIR": str(tmp / "store-installed")}
    assert_isolated(python, installed_env, work)
    installed = run_kb([str(python.parent / "kb")], str(python), installed_env, work, questions)

    checkout_env = {
        **_base_env(),
        "KB_STORE_DIR": str(tmp / "store-checkout"),
        "PYTHONPATH": str(ROOT / "src"),
    }
    assert_checkout(checkout_env, work)
    checkout_kb = [sys.executable, "-m", "kb.cli"]
    checkout = run_kb(checkout_kb, sys.executable, checkout_env, work, questions)
    return installed, checkout


def test_wheel_holds_every_package_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
    missing = sorted(package_files() - names)
    assert not missing, f"not in the wheel: {missing}"
    # The data kb reads at run time, by name, so a packaging rule cannot drop it unseen.
    for data in (
        "kb/data/glossary.yaml",
        "kb/data/taxonomy.yaml",
        "kb/data/theme_calibration.yaml",
        "kb/web/book.svg",
    ):
        assert data in names
    assert any(n.startswith("kb/data/describe/") for n in names)


def test_installed_ingest_equals_checkout(runs: tuple[Run, Run]) -> None:
    installed, checkout = runs
    assert installed.ingest["chunks"] > 0 and not installed.ingest["failed"]
    assert len(installed.ingest["added"]) == len(list(SAMPLES.glob("*.pdf")))
    assert installed.ingest == checkout.ingest


def test_installed_eval_equals_checkout_on_fictional_questions(
    runs: tuple[Run, Run],
) -> None:
    installed, checkout = runs
    # Above zero: both indexes found the pages asked about, not two empty results
    # (test_installed_search_equals_checkout compares rankings hit by hit).
    assert installed.evals["fictional"]["overall"]["hit@10"] > 0.5
    assert installed.evals["fictional"] == checkout.evals["fictional"]


def test_installed_search_equals_checkout(runs: tuple[Run, Run]) -> None:
    installed, checkout = runs
    hits = installed.search
    assert len(hits) == 10
    assert all(h["doc_type"] and h["publisher"] for h in hits)
    assert any(h["themes"] for h in hits)
    assert installed.search == checkout.search


def test_installed_questions_run_on_onnx_without_torch(runs: tuple[Run, Run]) -> None:
    installed, checkout = runs
    assert installed.question_path == {"encoder": "OnnxEmbedder", "torch": False}
    assert checkout.question_path == installed.question_path


def test_installed_eval_equals_checkout_on_dev_questions(runs: tuple[Run, Run]) -> None:
    installed, checkout = runs
    if "dev" not in installed.evals:
        pytest.skip(f"{DEV_QUESTIONS} not present")
    assert installed.evals["dev"]["counts"]["overall"] > 0
    assert installed.evals["dev"] == checkout.evals["dev"]


def test_python_m_ingest_is_kb_ingest() -> None:
    """From a checkout, ``python -m ingest`` is the ``kb ingest`` job: same command, same help."""
    env = {**_base_env(), "PYTHONPATH": str(ROOT / "src")}
    by_module = _run([sys.executable, "-m", "ingest", "--help"], env=env, cwd=ROOT)
    by_kb = _run([sys.executable, "-m", "kb.cli", "ingest", "--help"], env=env, cwd=ROOT)
    assert by_module.splitlines()[0].startswith("Usage: python -m ingest ")
    assert by_module.splitlines()[1:] == by_kb.splitlines()[1:]
    assert "--prune" in by_kb
