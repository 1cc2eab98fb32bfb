"""``-f DIR``: every entry named like a tasks file is read or refused by name, never skipped."""

from __future__ import annotations

import os

import pytest

from tests.spec.conftest import Project

TASK = "version: 1\ntasks:\n  {key}:\n    repo: octo/app\n    prompt: Do {key}.\n"


def test_a_dangling_symlink_is_an_error_naming_it(project: Project) -> None:
    project.write({"conf/a.yaml": TASK.format(key="a")})
    os.symlink("gone.yaml", project.root / "conf" / "b.yaml")
    outcome = project.run("validate", "-f", "conf")
    assert (outcome.code, outcome.problems()) == (
        1,
        ["conf/b.yaml: broken symbolic link: gone.yaml does not exist"],
    )


def test_a_symlink_loop_is_an_error_naming_it(project: Project) -> None:
    project.write({"conf/a.yaml": TASK.format(key="a")})
    os.symlink("b.yaml", project.root / "conf" / "b.yaml")
    outcome = project.run("validate", "-f", "conf")
    assert outcome.code == 1
    assert outcome.problems() == ["conf/b.yaml: cannot read: Too many levels of symbolic links"]


def test_a_directory_named_like_a_tasks_file_is_an_error(project: Project) -> None:
    project.write({"conf/a.yaml": TASK.format(key="a")})
    (project.root / "conf" / "b.yml").mkdir()
    outcome = project.run("validate", "-f", "conf")
    assert (outcome.code, outcome.problems()) == (
        1,
        ["conf/b.yml: is a directory, not a tasks file"],
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_entry_is_an_error_naming_it(project: Project) -> None:
    project.write({"conf/a.yaml": TASK.format(key="a"), "conf/b.yaml": TASK.format(key="b")})
    (project.root / "conf" / "b.yaml").chmod(0)
    outcome = project.run("validate", "-f", "conf")
    assert (outcome.code, outcome.problems()) == (
        1,
        ["conf/b.yaml: cannot read: Permission denied"],
    )


@pytest.mark.parametrize("name", ["b.YAML", "b.Yml", "b.YML", "b.yAmL"])
def test_other_letter_cases_are_read(project: Project, name: str) -> None:
    project.write({"conf/a.yaml": TASK.format(key="a"), f"conf/{name}": TASK.format(key="b")})
    outcome = project.run("validate", "-f", "conf")
    assert outcome.code == 0, outcome.err
    assert "2 tasks" in outcome.out


def test_an_upper_case_file_with_an_error_is_reported(project: Project) -> None:
    project.write({"conf/A.YAML": "version: 2\ntasks: {}\n"})
    outcome = project.run("validate", "-f", "conf")
    assert outcome.code == 1
    assert outcome.problems()[0].startswith("conf/A.YAML:")


def test_a_directory_with_only_other_files_still_says_so(project: Project) -> None:
    project.write({"conf/notes.txt": "hello\n"})
    outcome = project.run("validate", "-f", "conf")
    assert (outcome.code, outcome.problems()) == (1, ["conf: no *.yaml or *.yml files here"])


def test_apply_refuses_too_and_keeps_the_state(project: Project) -> None:
    project.write({"conf/a.yaml": TASK.format(key="a"), "conf/b.yaml": TASK.format(key="b")})
    sandbox = ("--api-url", "sandbox:sandbox.json?speed=1000")
    assert project.run(*sandbox, "apply", "--yes", "--min-interval", "0", "-f", "conf").code == 0
    state = project.root / "conf" / "agenttasks.state.json"
    before = state.read_bytes()
    (project.root / "conf" / "b.yaml").rename(project.root / "b.yaml")
    os.symlink("../b.yaml.gone", project.root / "conf" / "b.yaml")
    outcome = project.run(*sandbox, "apply", "--yes", "-f", "conf")
    assert (outcome.code, outcome.problems()) == (
        1,
        ["conf/b.yaml: broken symbolic link: ../b.yaml.gone does not exist"],
    )
    assert state.read_bytes() == before
