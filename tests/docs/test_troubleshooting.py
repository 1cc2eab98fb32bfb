"""Every error a user can meet has an entry: each ``AgentTasksError`` subclass (in
``reconciler.errors`` or anywhere else in the package) a heading of Troubleshooting, each exit
code a heading of Exit codes, so a new error class or code fails here until it is documented."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import reconciler
from reconciler.errors import AgentTasksError, ExitCode

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _every_module() -> None:
    for module in pkgutil.walk_packages(reconciler.__path__, "reconciler."):
        if module.name != "reconciler.__main__":
            importlib.import_module(module.name)


def _subclasses(cls: type[AgentTasksError]) -> set[type[AgentTasksError]]:
    found = {cls}
    for sub in cls.__subclasses__():
        found |= _subclasses(sub)
    return found


def _headings(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(r"^#{2,4} (.+)$", text, re.MULTILINE)


_every_module()
ERRORS = sorted(c.__name__ for c in _subclasses(AgentTasksError))


def test_the_package_s_own_subclasses_are_found() -> None:
    assert {"NotReviewed", "NoReview", "CreateUnconfirmed"} <= set(ERRORS)


@pytest.mark.parametrize("name", ERRORS)
def test_every_error_class_has_a_troubleshooting_entry(name: str) -> None:
    assert name in _headings("troubleshooting.md"), f"docs/troubleshooting.md: add '## {name}'"


@pytest.mark.parametrize("code", list(ExitCode), ids=lambda c: str(int(c)))
def test_every_exit_code_has_an_entry(code: ExitCode) -> None:
    headings = _headings("exit-codes.md")
    assert any(h.split()[0] == str(int(code)) for h in headings), (
        f"docs/exit-codes.md: add '## {int(code)} …'"
    )
