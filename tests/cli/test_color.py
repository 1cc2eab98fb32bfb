"""Colour only on a terminal, never with NO_COLOR or --no-color (DESIGN §4)."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.context import GlobalOptions
from reconciler.commands.plan import Selection
from tests.inprocess import run_command

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ESC = "\x1b["


def _plan_output(
    cwd: Path,
    *,
    tty: bool,
    extra_env: dict[str, str],
    args: tuple[str, ...] = (),
    command_args: tuple[str, ...] = ("plan",),
    speed: int = 200,
) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI")} | extra_env
    url = f"sandbox:sb.json?speed={speed}"
    command = [sys.executable, "-m", "reconciler", *args, "--api-url", url, *command_args]
    if not tty:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=True)
        return done.stdout
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=follower, stderr=follower)
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end closed
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=30) == 0
    finally:
        os.close(leader)
    return b"".join(chunks).decode()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "tasks.yaml.example", tmp_path / "tasks.yaml")
    shutil.copytree(ROOT / "prompts", tmp_path / "prompts")
    return tmp_path


def test_colour_on_a_terminal(project: Path) -> None:
    assert ESC in _plan_output(project, tty=True, extra_env={})


def test_no_colour_with_no_color(project: Path) -> None:
    assert ESC not in _plan_output(project, tty=True, extra_env={"NO_COLOR": "1"})


def test_no_colour_with_the_option(project: Path) -> None:
    assert ESC not in _plan_output(project, tty=True, extra_env={}, args=("--no-color",))


def test_no_colour_in_a_pipe(project: Path) -> None:
    assert ESC not in _plan_output(project, tty=False, extra_env={})


WAIT = ("apply", "--yes", "--min-interval", "0", "--wait", "--timeout", "30")


def test_wait_on_a_terminal_draws_a_live_table(project: Path) -> None:
    # Settled by the first poll (at speed 100000 a task ends within 1 ms): no 5 s wait for a
    # second one; the table is drawn either way, and change lines never are.
    shown = _plan_output(project, tty=True, extra_env={}, command_args=WAIT, speed=100000)
    assert "Following tasks" in shown
    assert "task.tidy-readme: completed" not in shown


def test_wait_in_a_pipe_prints_one_line_per_change(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In-process through the command, to poll every 0.2 s rather than every 5 s.
    monkeypatch.chdir(project)
    options = ApplyOptions(yes=True, min_interval=0, wait=True, timeout=30, wait_interval=0.2)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI")}
    done = run_command(
        lambda ctx: run_apply(
            ctx, files=(), state=None, plan_path=None, selection=Selection(), options=options
        ),
        options=GlobalOptions(api_url="sandbox:sb.json?speed=200"),
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    shown = done.stdout
    assert "Following tasks" not in shown
    assert "task.tidy-readme: completed" in shown
