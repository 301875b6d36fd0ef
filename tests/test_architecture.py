"""The layer rules of docs/architecture.md, checked against the code's own imports.

The table in the doc is the source of truth: this test parses it, maps every
module of ``src/kb``, ``app.py`` and ``ingest/`` to a layer, and reads each
``import`` with ``ast``. A layer may import its own package and the layers it
lists; anything else is reported with the line it is on.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MAX_APP_KB_MODULES = 4


@dataclass(frozen=True)
class Layer:
    name: str
    packages: tuple[str, ...]
    may_import: tuple[str, ...]


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def package(self) -> str:
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]


def parse_layers(markdown: str) -> list[Layer]:
    """The rows of the table whose header starts ``| layer | packages | may import``."""
    lines = markdown.splitlines()
    start = next(
        i for i, line in enumerate(lines) if re.match(r"\|\s*layer\s*\|\s*packages\s*\|", line)
    )
    layers = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        packages = tuple(re.findall(r"`([^`]+)`", cells[1]))
        allowed = tuple(a.strip() for a in cells[2].split(",") if a.strip())
        layers.append(Layer(cells[0], packages, allowed))
    return layers


def load_modules() -> dict[str, Module]:
    files = [(p, p.relative_to(ROOT / "src")) for p in (ROOT / "src" / "kb").rglob("*.py")]
    files += [(p, p.relative_to(ROOT)) for p in (ROOT / "ingest").rglob("*.py")]
    files.append((ROOT / "app.py", Path("app.py")))
    modules = {}
    for path, rel in files:
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = "app.py" if parts == ["app"] else ".".join(parts)
        modules[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8")))
    return modules


def imports_of(module: Module, known: Iterable[str]) -> list[tuple[str, int]]:
    """First-party modules ``module`` imports, with line numbers. ``from a import b``
    counts as importing ``a.b`` when that is a module, else ``a``."""
    known = set(known)
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = module.package.split(".")[: len(module.package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub if sub in known else base, node.lineno))
    return [(name, line) for name, line in found if _first_party(name)]


def _first_party(name: str) -> bool:
    top = name.split(".")[0]
    return top in {"kb", "ingest", "app"}


def layer_of(module: str, layers: Iterable[Layer]) -> Layer | None:
    """The layer whose package is the longest prefix of ``module``. ``kb`` itself
    (the face) matches only the package's ``__init__``."""
    best: tuple[int, Layer] | None = None
    for layer in layers:
        for package in layer.packages:
            inside = module == package or (package != "kb" and module.startswith(package + "."))
            if inside and (best is None or len(package) > best[0]):
                best = (len(package), layer)
    return best[1] if best else None


def violations(modules: Mapping[str, Module], layers: list[Layer]) -> list[str]:
    """Each import that leaves its layer for one the table does not allow."""
    out = []
    for name, module in sorted(modules.items()):
        own = layer_of(name, layers)
        if own is None:
            out.append(f"{name}: in no layer of docs/architecture.md")
            continue
        for target, line in sorted(set(imports_of(module, modules))):
            theirs = layer_of(target, layers)
            if theirs is None:
                out.append(f"{name}:{line} imports {target}, which is in no layer")
            elif theirs != own and theirs.name not in own.may_import:
                out.append(
                    f"{name}:{line} ({own.name}) imports {target} ({theirs.name}); "
                    f"{own.name} may import: {', '.join(own.may_import) or 'nothing'}"
                )
    return out


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


@pytest.fixture(scope="module")
def layers() -> list[Layer]:
    return parse_layers(DOC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return load_modules()


def test_the_table_lists_layers_bottom_up(layers: list[Layer]) -> None:
    assert len(layers) >= 10
    seen: set[str] = set()
    for layer in layers:
        upward = [a for a in layer.may_import if a not in seen]
        assert not upward, f"{layer.name} may import {upward}, which are not below it"
        seen.add(layer.name)


def test_every_import_follows_the_layer_table(
    modules: dict[str, Module], layers: list[Layer]
) -> None:
    assert violations(modules, layers) == []


def test_the_check_catches_an_upward_import(layers: list[Layer]) -> None:
    # A store module reaching up into the retrieve layer, and a web module
    # going around the facade to the store: both must be reported.
    fake = {
        "kb.store.x": Module("kb.store.x", Path("x.py"), ast.parse("import kb.retrieve.search")),
        "kb.web.y": Module("kb.web.y", Path("y.py"), ast.parse("from kb.store import edge")),
        "kb.retrieve.search": Module("kb.retrieve.search", Path("s.py"), ast.parse("")),
    }
    found = violations(fake, layers)
    assert len(found) == 2, found
    assert "kb.store.x:1 (store) imports kb.retrieve.search (retrieve)" in found[0]
    assert "kb.web.y:1 (interfaces) imports kb.store (store)" in found[1]


def test_no_import_cycle_among_kb_modules(modules: dict[str, Module]) -> None:
    graph = {
        name: {t for t, _ in imports_of(m, modules) if t in modules and t != name}
        for name, m in modules.items()
    }
    assert cycles(graph) == []
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_code_inside_kb_never_imports_the_face(modules: dict[str, Module]) -> None:
    # kb/__init__ resolves names lazily; importing it from inside kb would
    # pull the facade into the parse worker process.
    offenders = [
        f"{name}:{line}"
        for name, m in modules.items()
        if name.startswith("kb.")
        for target, line in imports_of(m, modules)
        if target == "kb"
    ]
    assert offenders == []


def test_modules_and_functions_stay_small(modules: dict[str, Module]) -> None:
    too_long = []
    for name, m in modules.items():
        lines = len(m.path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{name}: {lines} lines")
        for node in ast.walk(m.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}.{node.name}: {length} lines")
    assert too_long == []


def test_app_and_ingest_job_only_wire_kb(modules: dict[str, Module]) -> None:
    app = modules["app.py"]
    kb_modules = {t for t, _ in imports_of(app, modules)}
    assert len(kb_modules) <= MAX_APP_KB_MODULES, sorted(kb_modules)
    allowed_third_party = {"app.py": {"__future__", "streamlit"}, "ingest": {"sys"}}
    for name, m in modules.items():
        entry = "app.py" if name == "app.py" else "ingest" if name.startswith("ingest") else None
        if entry is None:
            continue
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                for target in names:
                    top = target.split(".")[0]
                    assert top == "kb" or top in allowed_third_party[entry], (name, target)
