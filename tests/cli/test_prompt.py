"""apply on a terminal asks, and only ``yes`` confirms; Ctrl-C anywhere exits 130."""

from __future__ import annotations

import os
import pty
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.inprocess import run_main

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _on_a_terminal(cwd: Path, args: list[str], answer: str) -> tuple[int, str]:
    """Run the CLI with a pty as stdin/stdout/stderr, type ``answer`` at the prompt."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "--no-color", *args],
        cwd=cwd,
        env=env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    seen = b""
    try:
        while b"Enter a value" not in seen:
            chunk = os.read(leader, 65536)
            if not chunk:
                break
            seen += chunk
        os.write(leader, answer.encode() + b"\n")
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end closed
                break
            if not chunk:
                break
            seen += chunk
        return proc.wait(timeout=30), seen.decode()
    finally:
        os.close(leader)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "tasks.yaml.example", tmp_path / "tasks.yaml")
    shutil.copytree(ROOT / "prompts", tmp_path / "prompts")
    return tmp_path


ARGS = ["--api-url", "sandbox:sb.json", "apply", "--min-interval", "0"]


@pytest.mark.parametrize("answer", ["no", "y", "YES", ""])
def test_anything_but_yes_cancels(project: Path, answer: str) -> None:
    code, shown = _on_a_terminal(project, ARGS, answer)
    assert code == 1
    assert "Plan: 6 to add" in shown
    assert "Apply cancelled." in shown
    assert not (project / "agenttasks.state.json").exists()


def test_yes_applies(project: Path) -> None:
    code, shown = _on_a_terminal(project, ARGS, "yes")
    assert code == 0, shown
    assert "Apply complete! Tasks: 6 added, 0 changed, 0 destroyed." in shown


def test_ctrl_c_in_status_wait_exits_130(project: Path) -> None:
    env = {**os.environ, "CI": "true"}
    url = "sandbox:sb.json?speed=0.01"  # tasks stay queued for minutes
    base = [sys.executable, "-m", "reconciler", "--api-url", url]
    applied = run_main(
        ["--api-url", url, "apply", "--yes", "--min-interval", "0"], cwd=project, env=env
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    proc = subprocess.Popen(
        [*base, "status", "--wait"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert b"Traceback" not in err
