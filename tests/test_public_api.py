"""The public surface: explicit, sorted, typed, and what the examples use."""

from __future__ import annotations

import ast
from pathlib import Path

import ticker

ROOT = Path(__file__).parents[1]


def test_all_is_sorted_and_complete():
    """__all__ is sorted, every name in it resolves, and nothing public is left out of it."""
    assert ticker.__all__ == sorted(ticker.__all__)
    for name in ticker.__all__:
        assert getattr(ticker, name) is not None, name
    public = {name for name in dir(ticker) if not name.startswith("_")}
    public -= {"sources"}  # the adapter contract's module, imported by its full name
    assert set(ticker.__all__) - {"__version__"} == public


def test_package_is_typed():
    """py.typed ships, so users' type checkers read our hints."""
    assert (ROOT / "ticker" / "py.typed").is_file()
    assert (ROOT / "ticker_adapters" / "py.typed").is_file()


def test_examples_use_public_names_only():
    """Examples import from ticker itself, never from a private module."""
    for script in (ROOT / "examples").glob("*.py"):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ticker"):
                assert node.module == "ticker", f"{script.name} imports {node.module}"
                assert all(alias.name in ticker.__all__ for alias in node.names)


def test_core_never_imports_a_concrete_adapter():
    """The core knows adapters only through the entry-point registry."""
    for module in (ROOT / "ticker").glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            assert not any(n.split(".")[0] == "ticker_adapters" for n in names), module.name
