"""Tasks files that once crashed (exit 70): each is now one ``FILE:LINE:COL: message``, exit 1."""

from __future__ import annotations

import os

import pytest

from tests.spec.conftest import Project

# Each test runs on both YAML parse paths: libyaml, and the pure-Python fallback.
pytestmark = pytest.mark.usefixtures("parse_path")

HEAD = "version: 1\ntasks:\n"
NONE = "write 'tasks: {}' to declare none"

CASES: dict[str, tuple[str, list[str]]] = {
    "tasks with no value (every task commented out)": (
        "version: 1\ntasks:\n#  a:\n#    repo: o/r\n#    prompt: x\n",
        [f"tasks.yaml:2:7: tasks: must be a mapping of task keys to tasks; {NONE}"],
    ),
    "tasks is a list": (
        "version: 1\ntasks:\n  - a\n",
        [f"tasks.yaml:2:1: tasks: must be a mapping of task keys to tasks; {NONE}"],
    ),
    "tasks is a number": (
        "version: 1\ntasks: 3\n",
        [f"tasks.yaml:2:8: tasks: must be a mapping of task keys to tasks; {NONE}"],
    ),
    "tasks missing": (
        "version: 1\ndefaults:\n",
        [f"tasks.yaml:1:1: missing required field 'tasks' ({NONE})"],
    ),
    "merge key slipping a duplicate past the check": (
        HEAD + "  a:\n    repo: o/r\n    <<: {prompt: x}\n    prompt: y\n",
        ["tasks.yaml:5:5: YAML merge keys (<<) are not allowed"],
    ),
    "a date that names no real day (found by the parse-path comparison)": (
        HEAD + "  a:\n    repo: o/r\n    prompt: 2024-02-31 10:00:00\n",
        [
            "tasks.yaml:5:13: not a valid date or time (YAML reads this as one); quote it to keep"
            " it as text"
        ],
    ),
    "merge key at the top": (
        "<<: {version: 1}\ntasks: {}\n",
        ["tasks.yaml:1:1: YAML merge keys (<<) are not allowed"],
    ),
    "a mapping holding a mapping as a key": (
        HEAD + "  ? {a: {b: c}}\n  : x\n",
        ["tasks.yaml:3:5: a list or mapping as a key is not allowed"],
    ),
    "a flow list as a key": (
        "version: 1\n[[a]]: x\n",
        ["tasks.yaml:2:1: a list or mapping as a key is not allowed"],
    ),
    "escaped lone surrogate in a prompt": (
        HEAD + '  a:\n    repo: o/r\n    prompt: "\\ud800"\n',
        [
            "tasks.yaml:5:13: escaped surrogate \\ud800 is not a character;"
            " write the character itself, or \\U and 8 hex digits"
        ],
    ),
    "escaped surrogate pair in a key": (
        HEAD + '  "\\ud83d\\ude00":\n    repo: o/r\n    prompt: x\n',
        [
            "tasks.yaml:3:3: escaped surrogate \\ud83d is not a character;"
            " write the character itself, or \\U and 8 hex digits"
        ],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_once_crashed(project: Project, case: str) -> None:
    yaml, expected = CASES[case]
    outcome = project.validate(yaml)
    assert (outcome.code, outcome.out, outcome.problems()) == (1, "", expected)


def test_quoted_merge_key_is_an_ordinary_unknown_field(project: Project) -> None:
    outcome = project.validate(HEAD + "  a:\n    repo: o/r\n    prompt: x\n    '<<': 1\n")
    assert outcome.problems() == [
        "tasks.yaml:6:5: tasks.a: unknown field '<<'; known fields: repo, base_ref, head_ref,"
        " model, custom_agent, create_pull_request, on_change, retry, prompt, prompt_file"
    ]


PROMPT_FILE = HEAD + "  a:\n    repo: o/r\n    prompt_file: {}\n"


def test_prompt_file_symlink_loop(project: Project) -> None:
    os.symlink("loop.md", project.root / "loop.md")
    outcome = project.validate(PROMPT_FILE.format("loop.md"))
    assert (outcome.code, outcome.problems()) == (
        1,
        ["tasks.yaml:5:18: tasks.a.prompt_file: symbolic link loop: loop.md"],
    )


def test_prompt_file_symlink_cycle_of_two(project: Project) -> None:
    (project.root / "p").mkdir()
    os.symlink("b.md", project.root / "p" / "a.md")
    os.symlink("a.md", project.root / "p" / "b.md")
    outcome = project.validate(PROMPT_FILE.format("p/a.md"))
    assert (outcome.code, outcome.problems()) == (
        1,
        ["tasks.yaml:5:18: tasks.a.prompt_file: symbolic link loop: p/a.md"],
    )


@pytest.mark.parametrize("key", ["true", "2024-01-01", "1.5", "null"])
def test_a_key_that_is_not_a_string_with_a_value_that_is_not_a_task(
    project: Project, key: str
) -> None:
    # pydantic names a `true` key 1 and a date by its repr: the task is skipped by its type.
    outcome = project.validate(HEAD + f"  {key}: failed\n  ok:\n    repo: o/r\n    prompt: x\n")
    assert (outcome.code, outcome.out) == (1, "")
    problems = outcome.problems()
    assert len(problems) == 2, problems
    assert all(p.startswith("tasks.yaml:3:") for p in problems), problems
    assert any(p.endswith(": must be a string") for p in problems), problems
