"""Secrets outside the prompt: every sent field is scanned by the prompt's rule, and no message
echoes a token-shaped key or field name beyond its first four characters (issue 11)."""

from __future__ import annotations

import pytest

from tests.spec.conftest import Project

# Built by concatenation so the repository's own secret scanners leave this file alone.
GH = "gh" + "p_" + "a1B2" * 9
LOWER = "gh" + "s_" + "ab12" * 9  # a token shape that is also a valid task key
PAT = "github" + "_pat_" + "11ABCDEFG0" * 6
AWS = "AK" + "IA" + "IOSFODNN7EXAMPLE"
SENT = "value contains what looks like {} ('{}…'); remove it: it is sent to GitHub with the task"


@pytest.mark.parametrize("field", ["model", "base_ref", "head_ref", "custom_agent"])
@pytest.mark.parametrize("where", ["task", "defaults"])
def test_a_token_in_a_sent_field_is_refused(project: Project, field: str, where: str) -> None:
    token = {"model": GH, "base_ref": PAT, "head_ref": AWS, "custom_agent": GH}[field]
    if where == "task":
        yaml = f"version: 1\ntasks:\n  a:\n    repo: o/r\n    prompt: x\n    {field}: {token}\n"
        expected = f"tasks.yaml:6:{len(field) + 7}: tasks.a.{field}: "
    else:
        yaml = f"version: 1\ndefaults:\n  {field}: {token}\ntasks:\n  a:\n    repo: o/r\n"
        yaml += "    prompt: x\n"
        expected = f"tasks.yaml:3:{len(field) + 5}: defaults.{field}: "
    outcome = project.validate(yaml)
    kind = "an AWS access key id" if token == AWS else "a GitHub token"
    assert outcome.problems() == [expected + SENT.format(kind, token[:4])]
    assert token[:5] not in outcome.err


def test_a_token_in_a_repository_name_is_refused(project: Project) -> None:
    outcome = project.validate(f"version: 1\ntasks:\n  a:\n    repo: o/{GH}\n    prompt: x\n")
    assert outcome.problems() == [
        "tasks.yaml:4:11: tasks.a.repo: " + SENT.format("a GitHub token", GH[:4])
    ]


def test_a_token_shaped_key_is_shown_as_its_first_four_characters(project: Project) -> None:
    outcome = project.validate(f"version: 1\ntasks:\n  {GH}:\n    repo: o/r\n    prompt: x\n")
    [line] = outcome.problems()
    assert line.startswith("tasks.yaml:3:3: tasks.ghp_…: task key must be ")
    assert GH[:5] not in outcome.err


def test_a_token_shaped_field_name_is_shown_as_its_first_four_characters(project: Project) -> None:
    outcome = project.validate(f"version: 1\ntasks:\n  a:\n    repo: o/r\n    {PAT}: x\n")
    lines = outcome.problems()
    assert "tasks.yaml:5:5: tasks.a: unknown field 'gith…'; known fields: repo," in lines[0]
    assert PAT[:5] not in outcome.err


def test_a_duplicate_token_shaped_key_is_shown_as_its_first_four_characters(
    project: Project,
) -> None:
    task = f"  {LOWER}:\n    repo: o/r\n    prompt: x\n"
    outcome = project.validate("version: 1\ntasks:\n" + task + task)
    assert outcome.problems() == ['tasks.yaml:6:3: duplicate key "ghs_…"']


def test_a_token_shaped_key_in_two_files_is_shown_as_its_first_four_characters(
    project: Project,
) -> None:
    task = f"version: 1\ntasks:\n  {LOWER}:\n    repo: o/r\n    prompt: x\n"
    project.write({"a.yaml": task, "b.yaml": task})
    outcome = project.run("validate", "-f", "a.yaml", "-f", "b.yaml")
    assert outcome.problems() == ["b.yaml:3:3: task 'ghs_…' is already defined at a.yaml:3:3"]


def test_a_token_shaped_key_missing_its_repository(project: Project) -> None:
    outcome = project.validate(f"version: 1\ntasks:\n  {LOWER}:\n    prompt: x\n")
    assert outcome.problems() == [
        "tasks.yaml:3:3: tasks.ghs_…: missing 'repo' (set it here or in defaults)"
    ]
