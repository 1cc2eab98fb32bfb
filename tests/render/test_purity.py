"""Every render module is core: no I/O, clock, environment or terminal (STYLE.md §6, rule 1).

tests/test_architecture.py checks ``render.py``; the modules it delegates to are checked here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "reconciler"
MODULES = sorted(p.name for p in PACKAGE.glob("render*.py"))
FORBIDDEN = {"httpx", "click", "os", "time", "subprocess", "socket", "aiohttp", "shutil", "sys"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _calls(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    } | {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


def test_the_render_modules_are_found() -> None:
    assert {"render.py", "render_text.py", "render_json.py", "render_markdown.py"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_a_render_module_does_no_io(module: str) -> None:
    assert _imports(PACKAGE / module) & FORBIDDEN == set()
    assert _calls(PACKAGE / module) & {"open", "print", "now", "utcnow", "today", "input"} == set()


@pytest.mark.parametrize("module", MODULES)
def test_a_render_module_stays_small(module: str) -> None:
    assert len((PACKAGE / module).read_text(encoding="utf-8").splitlines()) <= 300
