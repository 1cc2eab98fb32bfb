"""``plan --out FILE``: never over anything but a saved plan, atomically, 0600, and a target that
cannot be written to is refused before planning (no token, no API call)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from tests.inprocess import run_main

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghp_" + "T0kenThatMustNeverLeak" * 2


UNREACHABLE = "http://127.0.0.1:9"  # the discard port: any request would fail as a transport error


def run(cwd: Path, *args: str, offline: bool = False) -> tuple[int, str, str]:
    """Run the CLI on the sandbox; ``offline``: on an API nothing answers, so only a refusal
    made before any request can give its own message."""
    env = {**os.environ, "CI": "true"}
    env.pop("NO_COLOR", None)
    env.pop("GH_TOKEN", None)
    env.pop("GITHUB_TOKEN", None)
    env.pop("AGENTTASKS_TOKEN", None)
    env["AGENTTASKS_TOKEN"] = TOKEN
    url = UNREACHABLE if offline else "sandbox:sandbox.json?speed=1000"
    result = run_main(["--api-url", url, *args], cwd=cwd, env=env)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "tasks.yaml.example", tmp_path / "tasks.yaml")
    shutil.copytree(ROOT / "prompts", tmp_path / "prompts")
    return tmp_path


def _state(project: Path) -> bytes:
    """A state file, saved once through apply."""
    code, _, err = run(project, "apply", "--yes", "--min-interval", "0")
    assert code == 0, err
    return (project / "agenttasks.state.json").read_bytes()


@pytest.mark.parametrize("name", ["agenttasks.state.json", "agenttasks.state.json.backup"])
def test_the_state_and_its_backup_are_never_overwritten(project: Path, name: str) -> None:
    _state(project)
    (project / "tasks.yaml").write_text(
        (project / "tasks.yaml").read_text().replace("Add a regression test.", "Add two tests.")
    )
    assert (
        run(project, "apply", "--yes", "--min-interval", "0")[0] == 0
    )  # a second save: the backup
    before = (project / name).read_bytes()
    code, out, err = run(project, "plan", "--out", name)
    assert (code, out, err) == (
        1,
        "",
        f"Error: --out {name}: refusing to overwrite a file that is not a saved plan;"
        " remove it or choose another name\n",
    )
    assert (project / name).read_bytes() == before


def test_the_tasks_file_is_never_overwritten(project: Path) -> None:
    before = (project / "tasks.yaml").read_bytes()
    code, _, err = run(project, "plan", "--out", "tasks.yaml", offline=True)
    assert (code, err) == (
        1,
        "Error: --out tasks.yaml: refusing to overwrite a file that is not a saved plan;"
        " remove it or choose another name\n",
    )
    assert (project / "tasks.yaml").read_bytes() == before


def test_a_dangling_symlink_is_not_a_saved_plan(project: Path) -> None:
    os.symlink("elsewhere.json", project / "p.json")
    code, _, err = run(project, "plan", "--out", "p.json", offline=True)
    assert code == 1
    assert "refusing to overwrite a file that is not a saved plan" in err
    assert os.path.islink(project / "p.json")


def test_a_saved_plan_is_overwritten_atomically_and_made_private(project: Path) -> None:
    assert run(project, "plan", "--out", "p.json")[0] == 0
    target = project / "p.json"
    target.chmod(0o644)
    inode = target.stat().st_ino
    code, _, err = run(project, "plan", "--out", "p.json")
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.stat().st_ino != inode  # a new file renamed into place, not truncated
    assert json.loads(target.read_text())["format"] == 1
    assert [p.name for p in project.iterdir() if p.name.endswith(".tmp")] == []


def test_a_new_file_is_private(project: Path) -> None:
    assert run(project, "plan", "--out", "new.json")[0] == 0
    assert stat.S_IMODE((project / "new.json").stat().st_mode) == 0o600


def test_a_directory_is_refused_before_planning(project: Path) -> None:
    (project / "plans").mkdir()
    code, out, err = run(project, "plan", "--out", "plans", offline=True)
    assert (code, out, err) == (
        1,
        "",
        "Error: --out plans: is a directory; name a file to save the plan in\n",
    )


def test_a_missing_directory_is_refused_before_planning(project: Path) -> None:
    code, out, err = run(project, "plan", "--out", "nowhere/p.json", offline=True)
    assert (code, out, err) == (
        1,
        "",
        "Error: --out nowhere/p.json: directory nowhere does not exist\n",
    )


def test_a_file_as_the_directory_is_refused_before_planning(project: Path) -> None:
    code, _, err = run(project, "plan", "--out", "tasks.yaml/p.json", offline=True)
    assert (code, err) == (1, "Error: --out tasks.yaml/p.json: tasks.yaml is not a directory\n")
