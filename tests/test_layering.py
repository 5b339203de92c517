"""The product does not lean on its test suite (issue 14): no module of a shipped package
— nor a benchmark, which a user runs from a clone — imports ``tests``. Read with ``ast``
from the source, so a lazy import inside a function is caught too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("shared", "client", "server", "kiosk", "organiser", "audit", "simsa", "witness", "bench")


def _imported(tree: ast.AST) -> list[str]:
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append(node.module)
    return out


def test_the_reader_finds_a_lazy_import() -> None:
    tree = ast.parse("def f():\n    from tests.support.live import start_server\n    import tests\n")
    assert _imported(tree) == ["tests.support.live", "tests"]


@pytest.mark.parametrize("package", PRODUCT)
def test_no_product_module_imports_tests(package: str) -> None:
    bad = []
    for path in sorted((REPO / package).rglob("*.py")):
        names = _imported(ast.parse(path.read_text(encoding="utf-8")))
        bad += [f"{path.relative_to(REPO)}: {n}" for n in names if n == "tests" or n.startswith("tests.")]
    assert bad == [], "the product imports the test suite:\n" + "\n".join(bad)
