"""Docs that fail the build when they go stale (sqlite-utils' test_docs.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import jsonschema
import pytest
from pydantic import BaseModel
from ruamel.yaml import YAML

from reconciler.cli.main import cli
from reconciler.spec.schema import FIELDS, json_schema

ROOT = Path(__file__).resolve().parents[2]
TASKS_DOC = (ROOT / "docs" / "tasks-file.md").read_text(encoding="utf-8")


def _fields() -> list[tuple[str, str]]:
    return sorted({(name, field) for name, model in FIELDS.items() for field in _names(model)})


def _names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


@pytest.mark.parametrize(("model", "field"), _fields())
def test_every_field_of_the_tasks_file_is_documented(model: str, field: str) -> None:
    assert re.search(rf"^\| `{re.escape(field)}` \|", TASKS_DOC, re.MULTILINE), (
        f"docs/tasks-file.md has no table row for `{field}` ({model or 'top level'})"
    )


def test_every_field_has_a_description_in_the_schema() -> None:
    schema = json_schema()
    missing = [
        f"{owner}.{name}"
        for owner, definition in [("", schema), *schema["$defs"].items()]
        for name, prop in definition.get("properties", {}).items()
        if "description" not in prop
    ]
    assert missing == []


def test_the_schema_file_in_docs_is_current() -> None:
    on_disk = json.loads((ROOT / "docs" / "tasks.schema.json").read_text(encoding="utf-8"))
    assert on_disk == json_schema(), "run: agenttasks schema > docs/tasks.schema.json"


def test_the_example_validates(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", "-f", "tasks.yaml.example"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "6 tasks in 3 repositories: valid.\n",
        "",
    )


def test_the_schema_validates_the_example() -> None:
    document = YAML(typ="safe", pure=True).load((ROOT / "tasks.yaml.example").read_text())
    jsonschema.Draft202012Validator(json_schema()).validate(document)


@pytest.mark.parametrize(
    "bad",
    [
        {"version": 1, "tasks": {"a": {"prompt": "x", "promt": "y"}}},
        {"version": 1, "tasks": {"a": {"repo": "o/r"}}},
        {"version": 1, "tasks": {"Bad": {"prompt": "x"}}},
        {"version": 1, "tasks": {"a": {"prompt": "x", "retry": {"on": ["completed"]}}}},
    ],
)
def test_the_schema_refuses_what_validate_refuses(bad: dict[str, object]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(json_schema()).validate(bad)


def _commands() -> list[str]:
    names = []
    for name, command in cli.commands.items():
        names.append(name)
        names += [f"{name} {sub}" for sub in getattr(command, "commands", {})]
    return sorted(names)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command: str) -> None:
    found: click.Command = cli
    for part in command.split():
        assert isinstance(found, click.Group)
        found = found.commands[part]
    assert (found.help or "").strip(), f"agenttasks {command} has no help text"


def test_readme_commands_are_the_two_documented_ones() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:console|sh|bash)\n(.*?)```", readme, re.DOTALL)
    assert len(blocks) >= 2
    assert "scripts/check" in readme
    assert os.access(ROOT / "scripts" / "check", os.X_OK)
