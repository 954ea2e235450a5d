"""The layers run one way: nothing in ballistics_core imports the service, and the
service's intelligence modules form no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-local imports included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_ballistics_core_imports_nothing_from_service():
    files = sorted((REPO / "ballistics_core").rglob("*.py"))
    assert len(files) > 20
    offenders = {
        str(f.relative_to(REPO)): sorted(n for n in _imports(f) if n == "service" or n.startswith("service."))
        for f in files
    }
    offenders = {f: names for f, names in offenders.items() if names}
    assert offenders == {}


def _module_graph(package: str) -> dict[str, set[str]]:
    root = REPO / package.replace(".", "/")
    mods = {f"{package}.{f.stem}": f for f in root.glob("*.py") if f.stem != "__init__"}
    return {m: {n for n in _imports(f) if n in mods and n != m} for m, f in mods.items()}


def test_service_intel_has_no_import_cycle():
    graph = _module_graph("service.intel")
    assert "service.intel.timeline" in graph and "service.intel.graph" in graph
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m: str, path: list[str]) -> bool:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle.extend(path + [m, n])
                return True
            if n not in state and visit(n, path + [m]):
                return True
        state[m] = 2
        return False

    for m in sorted(graph):
        if m not in state and visit(m, []):
            break
    assert cycle == []


def test_the_one_ballistics_command_has_engine_and_service_commands():
    from typer.main import get_command

    from service.cli import app

    names = set(get_command(app).commands)
    assert {"info", "compare", "compare-all", "store", "bench", "demo", "serve", "audit-verify", "report", "version",
            "registry", "people", "backup", "restore", "worker", "admin"} <= names
