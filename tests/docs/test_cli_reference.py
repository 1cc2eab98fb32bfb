"""docs/cli.md is every command's --help; this test regenerates it in memory and compares.

Refresh it with: UPDATE_GOLDEN=1 pytest tests/docs/test_cli_reference.py
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.testing import CliRunner

from reconciler.cli.main import cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def reference() -> str:
    parts = [
        "# Command-line reference\n",
        "Generated from each command's `--help` by `tests/docs/test_cli_reference.py`.\n",
    ]
    for path in _commands(cli):
        result = CliRunner().invoke(
            cli, [*path, "--help"], prog_name="agenttasks", terminal_width=100
        )
        assert result.exit_code == 0, result.output
        title = " ".join(("agenttasks", *path))
        parts.append(f"## `{title}`\n\n```\n{result.output.rstrip()}\n```\n")
    return "\n".join(parts)


def test_cli_reference_is_current() -> None:
    text = reference()
    if os.environ.get("UPDATE_GOLDEN"):
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, "run: UPDATE_GOLDEN=1 pytest tests/docs"
