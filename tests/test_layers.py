"""The architecture: layers and contracts hold, no import circle, and the client stays light."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).parents[1]


def _cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), i.e. import circles."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in modules:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_import_circle_anywhere():
    """No module of ticker imports, even indirectly, a module that imports it back."""
    graph = grimp.build_graph("ticker", "ticker_adapters")
    # The package's own __init__ names everything lazily (PEP 562) and imports nothing.
    graph.remove_module("ticker")
    assert _cycles(graph, "ticker") == []


def test_import_linter_contracts_are_kept():
    """`lint-imports` keeps every contract declared in pyproject.toml."""
    code = (
        "import sys; from importlinter.cli import lint_imports;"
        " sys.exit(lint_imports(no_cache=True))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 broken" in run.stdout


def test_only_the_serving_layer_imports_the_web_server():
    """aiohttp.web appears in ticker._serving alone (and in the command that starts it)."""
    for module in (ROOT / "ticker").rglob("*.py"):
        relative = module.relative_to(ROOT).as_posix()
        if relative.startswith("ticker/_serving/"):
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "aiohttp":
                assert "web" not in {alias.name for alias in node.names}, relative
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                names += [alias.name for alias in getattr(node, "names", [])]
                assert "aiohttp.web" not in names, relative


def test_the_client_imports_no_server_part():
    """`from ticker import TickerClient` loads no scheduler, cache, locale, metrics or server."""
    code = (
        "import json, sys\n"
        "from ticker import TickerClient, SyncTickerClient, Strip\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = set(json.loads(run.stdout))
    heavy = {"apscheduler", "diskcache", "babel", "prometheus_client", "redis", "yaml"}
    assert heavy.isdisjoint(loaded), heavy & loaded
    assert "aiohttp.web" not in loaded
    ours = {m for m in loaded if m.startswith("ticker.")}
    assert ours <= {
        "ticker._client", "ticker._exceptions", "ticker._models", "ticker._text",
        "ticker._version", "ticker._wire",
    }, ours  # fmt: skip
