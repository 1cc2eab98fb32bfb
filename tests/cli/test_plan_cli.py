"""``plan``, ``show``, ``status``, ``import`` and ``state`` as a user runs them: the command line
in-process (``tests.inprocess.run_main``: click, the command, the exit code through ``main``),
against the built-in sandbox (``--api-url sandbox:PATH``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox import open_sandbox_url
from tests.inprocess import run_main

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghp_" + "T0kenThatMustNeverLeak" * 2
ATLANTIS = re.compile(
    r"Plan: (?:(\d+) to import, )?(\d+) to add, (\d+) to change, (\d+) to destroy"
    r"(?:, (\d+) to forget)?\."
)


def run(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    url: str = "sandbox:sandbox.json?speed=1000",
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "AGENTTASKS_TOKEN": TOKEN, "CI": "true", **(env or {})}
    full_env.pop("NO_COLOR", None)
    return run_main(["--api-url", url, *args], cwd=cwd, env=full_env)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "tasks.yaml.example", tmp_path / "tasks.yaml")
    shutil.copytree(ROOT / "prompts", tmp_path / "prompts")
    return tmp_path


def test_plan_on_an_empty_state_creates_every_task(project: Path) -> None:
    result = run(project, "plan")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    match = ATLANTIS.search(result.stdout)
    assert match is not None
    assert match.groups() == (None, "6", "0", "0", None)
    assert "state: agenttasks.state.json" in result.stdout
    assert not (project / "agenttasks.state.json").exists()  # plan never writes the state


def test_detailed_exitcode(project: Path) -> None:
    assert run(project, "plan", "--detailed-exitcode").returncode == 2


def test_a_usage_error_exits_1_not_2(project: Path) -> None:
    result = run(project, "plan", "--detailed-exitcode", "--no-such-option")
    assert result.returncode == 1
    # click words it differently across versions; the option and an Error line are stable
    assert "Error: No such option" in result.stderr
    assert "--no-such-option" in result.stderr
    assert "Traceback" not in result.stderr


def test_saved_plan_is_private_has_no_token_and_says_how_to_apply_it(project: Path) -> None:
    result = run(project, "plan", "--out", "plan.json")
    assert result.returncode == 0, result.stderr
    saved = project / "plan.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert TOKEN not in saved.read_text()
    assert result.stderr.splitlines() == [
        "Saved the plan to plan.json. To apply exactly this plan, run:",
        "  agenttasks apply plan.json",
    ]


def test_show_re_renders_the_plan_byte_for_byte(project: Path) -> None:
    planned = run(project, "plan", "--out", "plan.json")
    for fmt in ("text", "json", "markdown"):
        shown = run(project, "show", "plan.json", "--format", fmt)
        assert shown.returncode == 0, shown.stderr
        if fmt == "text":
            assert shown.stdout == planned.stdout
        again = run(project, "show", "plan.json", "--format", fmt)
        assert again.stdout == shown.stdout


def test_the_same_inputs_give_the_same_plan_id(project: Path) -> None:
    run(project, "plan", "--out", "one.json")
    run(project, "plan", "--out", "two.json")
    one = json.loads((project / "one.json").read_text())
    two = json.loads((project / "two.json").read_text())
    assert one["plan_id"] == two["plan_id"]
    (project / "tasks.yaml").write_text(
        (project / "tasks.yaml").read_text().replace("Add a regression test.", "Add two tests.")
    )
    run(project, "plan", "--out", "three.json")
    assert json.loads((project / "three.json").read_text())["plan_id"] != one["plan_id"]


def test_target_limits_the_plan_with_a_banner(project: Path) -> None:
    result = run(project, "plan", "--target", "tidy-*", "--target", "fix-*")
    assert ATLANTIS.search(result.stdout).groups()[1] == "2"  # type: ignore[union-attr]
    assert "target" in result.stdout.lower()


def test_max_creates_guard_names_the_count_and_the_setting(project: Path) -> None:
    result = run(project, "plan", "--max-creates", "3")
    assert result.returncode == 1
    assert result.stderr == (
        "Error: this plan would create 6 tasks, more than 3 (--max-creates); if that is intended,"
        " raise settings.max_creates or pass --max-creates 6\n"
    )


def _create(project: Path, repo: str, prompt: str) -> str:
    transport = open_sandbox_url(f"sandbox:{project / 'sandbox.json'}?speed=1000")
    with httpx.Client(transport=transport, base_url="http://localhost") as client:
        response = client.post(f"/agents/repos/{repo}/tasks", json={"prompt": prompt})
    assert response.status_code == 201
    return str(response.json()["id"])


def test_import_then_status_check_reports_a_failed_task(project: Path) -> None:
    (project / "tasks.yaml").write_text(
        "version: 1\ntasks:\n  broken:\n    repo: octo/web\n"
        "    prompt: Break it. [sandbox:outcome=failed]\n"
    )
    task_id = _create(project, "octo/web", "Break it. [sandbox:outcome=failed]")
    imported = run(project, "import", "broken", task_id)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(f"Imported task {task_id} ")
    time.sleep(0.2)  # at speed 1000 the task ends within 60 ms
    status = run(project, "status", "--check")
    assert status.returncode == 3, status.stdout + status.stderr
    assert "failed" in status.stdout
    assert "broken" in status.stdout
    plain = run(project, "status")
    assert plain.returncode == 0


def test_import_refuses_a_task_started_from_another_prompt(project: Path) -> None:
    (project / "tasks.yaml").write_text(
        "version: 1\ntasks:\n  k:\n    repo: octo/web\n    prompt: The declared one.\n"
    )
    task_id = _create(project, "octo/web", "Something else entirely.")
    refused = run(project, "import", "k", task_id)
    assert (refused.returncode, refused.stderr) == (
        1,
        f"Error: task {task_id} was not started from the prompt declared for 'k'; check the id,"
        " or pass --force to record it anyway\n",
    )
    forced = run(project, "import", "k", task_id, "--force")
    assert forced.returncode == 0


def test_state_list_show_and_rm(project: Path) -> None:
    (project / "tasks.yaml").write_text(
        "version: 1\ntasks:\n  k:\n    repo: octo/web\n    prompt: Do it.\n"
    )
    task_id = _create(project, "octo/web", "Do it.")
    run(project, "import", "k", task_id)
    listed = run(project, "state", "list")
    assert listed.stdout.split("\t")[:3] == ["k", "octo/web", task_id]
    shown = json.loads(run(project, "state", "show", "k").stdout)
    assert (shown["kind"], shown["task_id"]) == ("record", task_id)
    removed = run(project, "state", "rm", "k")
    assert removed.returncode == 0
    assert removed.stdout.startswith(f"Removed 'k' (task {task_id} in octo/web) from ")
    # still declared: the next plan finds it again instead of creating it
    again = run(project, "plan")
    assert ATLANTIS.search(again.stdout).groups()[:2] == ("1", "0")  # type: ignore[union-attr]


def test_plan_never_locks_or_writes(project: Path) -> None:
    run(project, "plan")
    assert sorted(p.name for p in project.iterdir() if p.name.startswith("agenttasks")) == []


def test_status_wait_follows_until_the_end_or_the_timeout(project: Path) -> None:
    (project / "tasks.yaml").write_text(
        "version: 1\ntasks:\n  broken:\n    repo: octo/web\n"
        "    prompt: Break it. [sandbox:outcome=failed]\n"
    )
    task_id = _create(project, "octo/web", "Break it. [sandbox:outcome=failed]")
    assert run(project, "import", "broken", task_id).returncode == 0
    # At speed 1 the task stays queued for 5 s: a 1 s wait times out, with the table.
    slow = run_main(
        ["--api-url", "sandbox:sandbox.json?speed=1", "status", "--wait", "--timeout", "1"],
        cwd=project,
        env={**os.environ, "CI": "true"},
    )
    assert slow.returncode == 6, slow.stdout + slow.stderr
    assert "broken" in slow.stdout
    assert slow.stdout.endswith("Timed out after 1s waiting for the tasks to finish.\n")
    done = run(project, "status", "--wait", "--timeout", "20")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "task.broken: failed" in done.stdout
