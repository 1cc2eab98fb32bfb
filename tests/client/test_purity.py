"""House rule 1: the client's core modules do no I/O; checked on their imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reconciler

CORE = ("api", "urls", "ratelimit", "diagnose")
BANNED = {"httpx", "click", "os", "time", "subprocess", "socket", "random", "threading"}


@pytest.mark.parametrize("module", CORE)
def test_core_modules_import_nothing_that_does_io(module: str) -> None:
    source = Path(reconciler.__file__).with_name(f"{module}.py").read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported & BANNED == set()
    assert "reconciler.github.client" not in source
