"""The architecture as a test: every module's imports read with `ast`, checked against the one order.

webui -> workflows -> engine, and inside the engine (see engine/__init__.py):

    foundation < scripting, draw < bpmn, notify < cases < context < schedule < bench

An import that runs backwards, one between two rooms of the same layer, or a circle between any two
modules fails here, naming the file and the line. Imports under `if TYPE_CHECKING:` are type hints, not
dependencies: they are left out. Imports inside functions count (a lazy import hides a circle, it does
not remove it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "workflows", "webui")

FOUNDATION = {"errors", "clock", "config", "store", "identity", "workdays", "bounds", "migrate", "migrations"}
# each room of the engine and its layer: a room may import rooms of lower layers only
ENGINE_LAYERS = {"foundation": 0, "scripting": 1, "draw": 1, "bpmn": 2, "notify": 2, "cases": 3,
                 "context": 4, "schedule": 5, "bench": 6}
FLASK = ("flask", "flask_babel", "flask_login", "flask_wtf", "werkzeug", "jinja2", "waitress")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for each import that runs: `from x import y` gives x.y when x.y is a module."""
    tree = ast.parse(path.read_text(), str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.orelse:
                    visit(stmt)
                continue
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                for alias in child.names:
                    candidate = f"{target}.{alias.name}"
                    found.append((child.lineno, candidate if _is_module(candidate) else target))
            visit(child)

    visit(tree)
    return found


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))
            if "migrations/versions" not in p.as_posix()}


def engine_room(module: str) -> str:
    """The room of an engine module: its subpackage, `context`, or `foundation` for the other top-level ones."""
    parts = module.split(".")
    if len(parts) == 1:
        return "foundation"
    room = parts[1]
    return room if room in ENGINE_LAYERS else "foundation" if room in FOUNDATION else room


def test_every_engine_module_lives_in_a_known_room():
    strays = [m for m in modules() if m.startswith("engine.") and engine_room(m) not in ENGINE_LAYERS]
    assert not strays, f"modules outside the rooms of engine/__init__.py: {strays}"


def test_imports_run_one_way():
    wrong = []
    for module, path in modules().items():
        top = module.split(".")[0]
        for line, target in imports(path):
            target_top = target.split(".")[0]
            where = f"{path.relative_to(ROOT)}:{line}: {module} imports {target}"
            if top == "engine" and target_top in ("workflows", "webui", *FLASK):
                wrong.append(where + " (the engine knows no domain and no web)")
            elif top == "workflows" and target_top in ("webui", *FLASK):
                wrong.append(where + " (the domain knows no web)")
            elif top == "engine" and target_top == "engine" and target != "engine":
                mine, theirs = engine_room(module), engine_room(target)
                if mine != theirs and ENGINE_LAYERS[theirs] >= ENGINE_LAYERS[mine]:
                    wrong.append(where + f" ({mine} may not import {theirs})")
    assert not wrong, "\n".join(wrong)


def test_no_import_circles():
    known = modules()
    graph = {m: {t for _line, t in imports(p) if t in known and t != m} for m, p in known.items()}
    circles = _strongly_connected(graph)
    assert not circles, "import circles: " + "; ".join(" <-> ".join(sorted(c)) for c in circles)


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the groups of modules that reach each other (a circle), larger than one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in graph:
        if node not in index:
            connect(node)
    return groups


@pytest.mark.parametrize("source, expected", [
    ("from engine.cases import runtime\n", "cases may not import"),
    ("from webui import app\n", "the engine knows no domain and no web"),
])
def test_a_backward_import_is_caught(tmp_path, monkeypatch, source, expected):
    """The check itself can fail: a scripting module importing the runtime, or the web, is named."""
    fake_root = tmp_path
    (fake_root / "engine" / "scripting").mkdir(parents=True)
    for package in ("engine", "engine/scripting", "engine/cases", "webui"):
        (fake_root / package).mkdir(parents=True, exist_ok=True)
        (fake_root / package / "__init__.py").write_text("")
    (fake_root / "engine" / "cases" / "runtime.py").write_text("")
    (fake_root / "webui" / "app.py").write_text("")
    (fake_root / "workflows").mkdir()
    (fake_root / "engine" / "scripting" / "bad.py").write_text(source)
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", fake_root)
    with pytest.raises(AssertionError) as failure:
        test_imports_run_one_way()
    assert "engine/scripting/bad.py:1" in str(failure.value)
    assert (expected if "runtime" not in source else "scripting may not import cases") in str(failure.value)


def test_a_circle_is_caught(tmp_path, monkeypatch):
    (tmp_path / "webui").mkdir()
    (tmp_path / "engine").mkdir()
    (tmp_path / "workflows").mkdir()
    (tmp_path / "webui" / "__init__.py").write_text("")
    (tmp_path / "webui" / "app.py").write_text("def f():\n    from .auth import x\n")
    (tmp_path / "webui" / "auth.py").write_text("from .app import f\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    with pytest.raises(AssertionError, match="webui.app <-> webui.auth"):
        test_no_import_circles()
