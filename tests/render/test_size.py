"""The render modules stay small (STYLE.md §6, rule 12); their purity is the architecture
contract's (tests/test_architecture.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "reconciler" / "render"
MODULES = sorted(p.name for p in PACKAGE.glob("*.py"))


def test_the_render_modules_are_found() -> None:
    assert {"common.py", "text.py", "json.py", "markdown.py"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_a_render_module_stays_small(module: str) -> None:
    assert len((PACKAGE / module).read_text(encoding="utf-8").splitlines()) <= 300
