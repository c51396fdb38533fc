"""The house rules DESIGN.md states that import-linter cannot see: no module imports Plantão
code through importlib or ``__import__``, and no module grows past 500 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src" / "plantao"
MAX_LINES = 500


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def _dynamic_imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name in {"import_module", "__import__", "find_spec", "spec_from_file_location"}:
            found.append(f"line {node.lineno}: {name}()")
    return found


def test_the_tree_is_found() -> None:
    """The checks below read the real source tree (a wrong path would make them vacuous)."""
    assert len(_modules()) > 100
    assert (SRC / "incidents" / "lifecycle.py").exists()


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_import_through_importlib(path: Path) -> None:
    """Imports are statements import-linter can see: no importlib, no __import__."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert _dynamic_imports(tree) == []


def test_the_importlib_check_catches_a_hidden_import() -> None:
    """The check flags the pattern it exists for."""
    tree = ast.parse("import importlib\nm = importlib.import_module('plantao.oncall.service')\n")
    assert _dynamic_imports(tree) == ["line 2: import_module()"]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_over_500_lines(path: Path) -> None:
    """Small modules: a module past 500 lines is doing more than one job."""
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines"
