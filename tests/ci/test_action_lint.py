"""``action.yml`` and every workflow the docs offer pass zizmor (offline, pedantic) and GitHub's
schemas (check-jsonschema's vendored ones), and no input reaches a script but through ``env:``."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "docs" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is a test dependency (pip install -e '.[test]')"
    return found


def test_there_are_workflows_to_check() -> None:
    assert [p.name for p in WORKFLOWS] == [
        "tasks-apply.yml",
        "tasks-plan.yml",
        "tasks-status.yml",
    ]


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_zizmor_finds_nothing_even_pedantic(path: Path) -> None:
    result = subprocess.run(
        [_tool("zizmor"), "--offline", "--persona", "pedantic", "--no-progress", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("path", "schema"),
    [(ACTION, "vendor.github-actions"), *((w, "vendor.github-workflows") for w in WORKFLOWS)],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_github_schema_accepts_it(path: Path, schema: str) -> None:
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _runs(document: object) -> list[str]:
    """Every ``run:`` script anywhere in a parsed workflow or action."""
    if isinstance(document, dict):
        found = [v for k, v in document.items() if k == "run" and isinstance(v, str)]
        return found + [r for v in document.values() for r in _runs(v)]
    if isinstance(document, list):
        return [r for v in document for r in _runs(v)]
    return []


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_no_expression_inside_a_script(path: Path) -> None:
    """``${{ }}`` in a script is pasted in before bash reads it: script injection."""
    document = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    for script in _runs(document):
        assert "${{" not in script, script


def test_every_action_input_reaches_the_scripts_through_env() -> None:
    action = YAML(typ="safe").load(ACTION.read_text(encoding="utf-8"))
    passed = {
        m.group(1)
        for step in action["runs"]["steps"]
        for value in (step.get("env") or {}).values()
        if (m := re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", str(value)))
    }
    assert passed == set(action["inputs"])


def test_the_docs_copy_no_workflow_by_hand() -> None:
    """A workflow in the docs is one of the linted files, included, never pasted."""
    for page in (ROOT / "docs").glob("*.md"):
        for block in re.findall(r"```ya?ml\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            assert "\njobs:" not in "\n" + block, f"{page.name}: include docs/workflows/ instead"
