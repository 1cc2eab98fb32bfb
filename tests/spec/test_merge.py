"""Several tasks files merge into one set; defaults stay within their own file."""

from __future__ import annotations

from pathlib import Path

from reconciler.spec.load import load
from tests.spec.conftest import Project

WEB = """\
version: 1
defaults:
  repo: octo/web
  base_ref: main
tasks:
  a:
    prompt: A
"""
API = """\
version: 1
defaults:
  repo: octo/api
tasks:
  b:
    prompt: B
  c:
    repo: octo/infra
    prompt: C
"""


def test_files_given_twice_merge(project: Project) -> None:
    project.write({"web.yaml": WEB, "api.yaml": API})
    outcome = project.run("validate", "-f", "web.yaml", "-f", "api.yaml")
    assert (outcome.code, outcome.out, outcome.err) == (
        0,
        "3 tasks in 3 repositories: valid.\n",
        "",
    )


def test_defaults_apply_within_their_own_file(project: Project) -> None:
    project.write({"web.yaml": WEB, "api.yaml": API})
    desired = load([project.root / "web.yaml", project.root / "api.yaml"])
    assert {k: (t.repo, t.body.base_ref) for k, t in desired.tasks.items()} == {
        "a": ("octo/web", "main"),
        "b": ("octo/api", None),
        "c": ("octo/infra", None),
    }


def test_a_directory_reads_yaml_and_yml_sorted(project: Project) -> None:
    project.write(
        {
            "tasks/2-api.yml": API,
            "tasks/1-web.yaml": WEB,
            "tasks/notes.txt": "not a tasks file",
            "tasks/0-dup.yaml": WEB.replace("  a:", "  b:").replace("prompt: A", "prompt: Z"),
        }
    )
    outcome = project.run("validate", "-f", "tasks")
    # The sort order decides which place is "first": 0-dup.yaml comes before 2-api.yml.
    assert (outcome.code, outcome.problems()) == (
        1,
        ["tasks/2-api.yml:5:3: task 'b' is already defined at tasks/0-dup.yaml:6:3"],
    )


def test_directory_files_are_read_in_name_order(project: Project) -> None:
    project.write({"t/b.yml": API, "t/a.yaml": WEB})
    desired = load([project.root / "t"])
    assert [Path(f).name for f in desired.files] == ["a.yaml", "b.yml"]


def test_a_key_in_two_files_is_one_error_naming_both(project: Project) -> None:
    project.write({"one.yaml": WEB, "two.yaml": WEB.replace("prompt: A", "prompt: other")})
    outcome = project.run("validate", "-f", "one.yaml", "-f", "two.yaml")
    assert outcome.problems() == ["two.yaml:6:3: task 'a' is already defined at one.yaml:6:3"]


def test_problems_of_several_files_all_at_once(project: Project) -> None:
    project.write({"one.yaml": "version: 3\ntasks: {}\n", "two.yaml": "- x\n"})
    outcome = project.run("validate", "-f", "one.yaml", "-f", "two.yaml", "-f", "three.yaml")
    assert outcome.problems() == [
        "one.yaml:1:10: unsupported version; this agenttasks reads 'version: 1'",
        "three.yaml: no such file",
        "two.yaml:1:1: top level must be a mapping, not a list",
    ]
