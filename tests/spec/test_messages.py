"""Bad tasks files: exit 1, one ``FILE:LINE:COL: message`` line per problem, asserted verbatim."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.spec.conftest import Project

# Each test runs on both YAML parse paths: libyaml, and the pure-Python fallback.
pytestmark = pytest.mark.usefixtures("parse_path")

HEAD = "version: 1\ntasks:\n"

CASES: dict[str, tuple[str, list[str]]] = {
    "yaml syntax error": (
        HEAD + "  a:\n    repo: o/r\n    prompt: [unclosed\n",
        ["tasks.yaml:6:1: YAML syntax error: expected ',' or ']', but got '<stream end>'"],
    ),
    "duplicate key at the top": (
        "version: 1\nversion: 1\ntasks: {}\n",
        ['tasks.yaml:2:1: duplicate key "version"'],
    ),
    "duplicate key deep inside": (
        HEAD + "  a:\n    repo: o/r\n    prompt: x\n    retry:\n      on: [failed]\n"
        "      on: [cancelled]\n",
        ['tasks.yaml:8:7: duplicate key "on"'],
    ),
    "duplicate task key": (
        HEAD + "  a:\n    repo: o/r\n    prompt: x\n  a:\n    repo: o/r\n    prompt: y\n",
        ['tasks.yaml:6:3: duplicate key "a"'],
    ),
    "unknown field with a suggestion": (
        HEAD + "  a:\n    repo: o/r\n    promt: x\n",
        ["tasks.yaml:5:5: tasks.a: unknown field 'promt'; did you mean 'prompt'?"],
    ),
    "unknown top-level field": (
        "version: 1\nsetings: {}\ntasks: {}\n",
        ["tasks.yaml:2:1: unknown field 'setings'; did you mean 'settings'?"],
    ),
    "wrong type": (
        HEAD + "  a:\n    repo: o/r\n    prompt: x\n    create_pull_request: yes\n",
        ["tasks.yaml:6:26: tasks.a.create_pull_request: must be a boolean (true or false)"],
    ),
    "missing version": (
        "tasks: {}\n",
        ["tasks.yaml:1:1: missing required field 'version' (add 'version: 1')"],
    ),
    "unsupported version": (
        "version: 2\ntasks: {}\n",
        ["tasks.yaml:1:10: unsupported version; this agenttasks reads 'version: 1'"],
    ),
    "neither prompt nor prompt_file": (
        HEAD + "  a:\n    repo: o/r\n",
        ["tasks.yaml:3:3: tasks.a: task needs one of 'prompt' or 'prompt_file'"],
    ),
    "both prompt and prompt_file": (
        HEAD + "  a:\n    repo: o/r\n    prompt: x\n    prompt_file: p.md\n",
        ["tasks.yaml:3:3: tasks.a: task has both 'prompt' and 'prompt_file'; keep one"],
    ),
    "empty value followed by a comment": (
        HEAD + "  a:\n    repo: o/r\n    prompt: x\n    retry:\n      on:  # later\n\n"
        "      max_attempts: 2\n",
        ["tasks.yaml:7:10: tasks.a.retry.on: must be a list"],
    ),
    "empty value": (
        HEAD + "  a:\n    repo: o/r\n    prompt: x\n    retry:\n      on:\n\n"
        "      max_attempts: 2\n",
        ["tasks.yaml:7:10: tasks.a.retry.on: must be a list"],
    ),
    "empty prompt": (
        HEAD + "  a:\n    repo: o/r\n    prompt: '  '\n",
        ["tasks.yaml:5:13: tasks.a.prompt: prompt is empty"],
    ),
    "retry on a state that is not an end state": (
        HEAD + "  a:\n    repo: o/r\n    prompt: x\n    retry:\n      on: [failed, completed]\n",
        [
            "tasks.yaml:7:20: tasks.a.retry.on[1]: must be one of 'failed', 'timed_out' or"
            " 'cancelled'"
        ],
    ),
    "invalid task key": (
        HEAD + "  Fix_Login:\n    repo: o/r\n    prompt: x\n",
        [
            "tasks.yaml:3:3: tasks.Fix_Login: task key must be 1-63 lower-case letters, digits,"
            " '.', '_' or '-', starting with a letter or digit (^[a-z0-9][a-z0-9._-]{0,62}$)"
        ],
    ),
    "top level is a list": (
        "- version: 1\n",
        ["tasks.yaml:1:1: top level must be a mapping, not a list"],
    ),
    "top level is a scalar": (
        "just words\n",
        ["tasks.yaml:1:1: top level must be a mapping, not a single value"],
    ),
    "empty file": ("", ["tasks.yaml:1:1: file is empty; expected 'version: 1' and 'tasks'"]),
    "missing repository": (
        HEAD + "  a:\n    prompt: x\n",
        ["tasks.yaml:3:3: tasks.a: missing 'repo' (set it here or in defaults)"],
    ),
    "two tasks that cannot be told apart": (
        "version: 1\ndefaults:\n  repo: o/r\ntasks:\n  a:\n    prompt: same\n"
        "  b:\n    repo: O/R\n    prompt: same  \n    model: m\n",
        [
            "tasks.yaml:7:3: task 'b' cannot be told apart from 'a' (tasks.yaml:5:3): same"
            " repository and prompt, and no field both set (base_ref, head_ref, model,"
            " custom_agent) differs"
        ],
    ),
    "empty or blank fields the server would fill in (recovery could never match them)": (
        "version: 1\ndefaults:\n  head_ref: ' '\ntasks:\n  a:\n    repo: o/r\n    prompt: x\n"
        "    base_ref: ''\n    model: \"\\t\"\n    custom_agent: ''\n",
        [
            f"tasks.yaml:{where}: {field}: is empty; leave the field out to let GitHub choose"
            " its default"
            for where, field in [
                ("3:13", "defaults.head_ref"),
                ("8:15", "tasks.a.base_ref"),
                ("9:12", "tasks.a.model"),
                ("10:19", "tasks.a.custom_agent"),
            ]
        ],
    ),
    "every problem of a file at once": (
        "version: 1\ndefaults:\n  repo: a/b/c\ntasks:\n  a:\n    prompt: ''\n"
        "  b:\n    repo: o/r\n    prompt: x\n    base_ref: 3\n",
        [
            "tasks.yaml:3:9: defaults.repo: repository must be owner/name with exactly one '/'",
            "tasks.yaml:6:13: tasks.a.prompt: prompt is empty",
            "tasks.yaml:10:15: tasks.b.base_ref: must be a string",
        ],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_tasks_file(project: Project, case: str) -> None:
    yaml, expected = CASES[case]
    outcome = project.validate(yaml)
    assert (outcome.code, outcome.out, outcome.problems()) == (1, "", expected)


def test_two_distinct_tasks_in_one_repository_are_valid(project: Project) -> None:
    yaml = HEAD + "  a:\n    repo: o/r\n    prompt: same\n    base_ref: main\n"
    yaml += "  b:\n    repo: o/r\n    prompt: same\n    base_ref: dev\n"
    outcome = project.validate(yaml)
    assert (outcome.code, outcome.out, outcome.err) == (0, "2 tasks in 1 repository: valid.\n", "")


@pytest.mark.parametrize(
    ("first", "second", "lookalike"),
    [
        ("base_ref: main", "base_ref: refs/heads/main", True),
        ("model: gpt-5", "model: gpt-5-2025-08-07", True),
        ("model: gpt-5", "model: gpt-5-mini", False),
        ("model: claude-sonnet-4", "model: claude-sonnet-4-5", False),
        ("head_ref: a", "model: m", True),
    ],
)
def test_tasks_recovery_could_not_tell_apart_by_the_tolerant_rule(
    project: Project, first: str, second: str, lookalike: bool
) -> None:
    """An answer GitHub may normalise (DESIGN §4) could be either task: refused, like equal ones."""
    yaml = HEAD + f"  a:\n    repo: o/r\n    prompt: same\n    {first}\n"
    yaml += f"  b:\n    repo: o/r\n    prompt: same\n    {second}\n"
    outcome = project.validate(yaml)
    assert outcome.code == (1 if lookalike else 0)
    assert ("task 'b' cannot be told apart from 'a'" in outcome.err) is lookalike


def test_three_lookalikes_name_the_first_each_time(project: Project) -> None:
    yaml = HEAD + "".join(f"  {k}:\n    repo: o/r\n    prompt: same\n" for k in "abc")
    assert project.validate(yaml).problems() == [
        f"tasks.yaml:{line}:3: task '{k}' cannot be told apart from 'a' (tasks.yaml:3:3): same"
        " repository and prompt, and no field both set (base_ref, head_ref, model,"
        " custom_agent) differs"
        for line, k in [(6, "b"), (9, "c")]
    ]


PROMPT_FILE = HEAD + "  a:\n    repo: o/r\n    prompt_file: {}\n"


def test_prompt_file_missing(project: Project) -> None:
    outcome = project.validate(PROMPT_FILE.format("prompts/a.md"))
    assert outcome.problems() == [
        "tasks.yaml:5:18: tasks.a.prompt_file: file not found: prompts/a.md"
    ]


def test_prompt_file_not_utf8(project: Project) -> None:
    outcome = project.validate(PROMPT_FILE.format("a.md"), **{"a.md": b"ok\nbad \xff\n"})
    assert outcome.problems() == ["a.md:2:5: file is not valid UTF-8"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../../etc/passwd", "may not leave the tasks file's directory tree"),
        ("/etc/passwd", "must be a path relative to the tasks file"),
        ("escape.md", "may not leave the tasks file's directory tree"),
    ],
)
def test_prompt_file_outside_the_tree(project: Project, path: str, message: str) -> None:
    outside = project.root.parent / f"{project.root.name}-outside.md"
    outside.write_text("secret plans\n")
    (project.root / "escape.md").symlink_to(outside)
    outcome = project.validate(PROMPT_FILE.format(path))
    assert outcome.problems() == [f"tasks.yaml:5:18: tasks.a.prompt_file: {message}"]
    assert "secret plans" not in outcome.err


def test_prompt_file_is_a_directory(project: Project) -> None:
    (project.root / "prompts").mkdir()
    outcome = project.validate(PROMPT_FILE.format("prompts"))
    assert outcome.problems() == [
        "tasks.yaml:5:18: tasks.a.prompt_file: is a directory, not a file: prompts"
    ]


def test_prompt_file_inside_a_subdirectory_is_read(project: Project) -> None:
    outcome = project.validate(
        PROMPT_FILE.format("prompts/../prompts/a.md"), **{"prompts/a.md": "Do it.\n"}
    )
    assert (outcome.code, outcome.out) == (0, "1 task in 1 repository: valid.\n")


def test_settings_in_two_files(project: Project) -> None:
    one = "version: 1\nsettings:\n  max_creates: 5\ntasks:\n  a:\n    repo: o/r\n    prompt: x\n"
    two = "version: 1\nsettings: {}\ntasks:\n  b:\n    repo: o/r\n    prompt: y\n"
    project.write({"a.yaml": one, "b.yaml": two})
    outcome = project.run("validate", "-f", "a.yaml", "-f", "b.yaml")
    assert outcome.problems() == [
        "b.yaml:2:1: settings are already given at a.yaml:2:1; keep them in one file"
    ]


@pytest.mark.parametrize(
    ("junk", "where"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "1:1"),
        # bytes 0-127 are ASCII (with a newline at 10); the first non-UTF-8 byte is 128
        (bytes(range(256)) * 4, "2:118"),
    ],
)
def test_binary_junk(project: Project, junk: bytes, where: str) -> None:
    project.write({"tasks.yaml": junk})
    outcome = project.run("validate")
    assert (outcome.code, outcome.problems()) == (
        1,
        [f"tasks.yaml:{where}: file is not valid UTF-8"],
    )


def test_control_characters(project: Project) -> None:
    outcome = project.validate("version: 1\ntasks:\x00\n")
    assert outcome.problems() == ["tasks.yaml:2:7: control character #x0000 is not allowed"]


def test_missing_file(project: Project) -> None:
    outcome = project.run("validate", "-f", "nope.yaml")
    assert (outcome.code, outcome.problems()) == (1, ["nope.yaml: no such file"])


def test_default_file_missing(project: Project) -> None:
    outcome = project.run("validate")
    assert (outcome.code, outcome.problems()) == (1, ["tasks.yaml: no such file"])


def test_directory_without_tasks_files(project: Project) -> None:
    (project.root / "conf").mkdir()
    outcome = project.run("validate", "-f", "conf")
    assert (outcome.code, outcome.problems()) == (1, ["conf: no *.yaml or *.yml files here"])


def test_unreadable_file_as_directory_entry(project: Project, tmp_path: Path) -> None:
    (project.root / "conf" / "tasks.yaml").mkdir(parents=True)
    outcome = project.run("validate", "-f", "conf/tasks.yaml/")
    assert (outcome.code, outcome.problems()) == (
        1,
        ["conf/tasks.yaml: no *.yaml or *.yml files here"],
    )
