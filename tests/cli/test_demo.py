"""``agenttasks demo`` as a newcomer runs it, then going on by hand with the URL it prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.inprocess import run_main

pytestmark = pytest.mark.e2e

# The contract: the demo finishes in under 20 s.
DEMO_DEADLINE_S = 20.0


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_then_by_hand(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("TOKEN")}
    env.pop("AGENTTASKS_API_URL", None)
    started = time.monotonic()
    demo = _run(["demo"], tmp_path, env)
    elapsed = time.monotonic() - started
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert elapsed < DEMO_DEADLINE_S
    for step in ("validate", "plan", "apply --yes --wait", "status"):
        assert f"$ agenttasks {step}\n" in demo.stdout
    assert "6 tasks in 3 repositories: valid." in demo.stdout
    assert "Plan: 6 to add, 0 to change, 0 to destroy." in demo.stdout
    assert "Apply complete! Tasks: 6 added, 0 changed, 0 destroyed." in demo.stdout
    assert "6 tracked tasks: 6 done." in demo.stdout
    folder = Path(re.findall(r"^  cd (.+)$", demo.stdout, re.MULTILINE)[0])
    [url] = re.findall(r"^  export AGENTTASKS_API_URL='(.+)'$", demo.stdout, re.MULTILINE)
    # Going on by hand: the same command line, in-process (tests.inprocess.run_main).
    by_hand = {**env, "AGENTTASKS_API_URL": url, "CI": "true"}
    plan = run_main(["plan", "--detailed-exitcode"], cwd=folder, env=by_hand)
    assert (plan.returncode, plan.stderr) == (0, "")
    assert "No changes. Declared tasks match the state." in plan.stdout
    tasks = folder / "tasks.yaml"
    tasks.write_text(tasks.read_text() + "  one-more:\n    prompt: Add a changelog.\n")
    applied = run_main(["apply", "--yes", "--min-interval", "0"], cwd=folder, env=by_hand)
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete! Tasks: 1 added, 0 changed, 0 destroyed." in applied.stdout
    status = run_main(["status"], cwd=folder, env=by_hand)
    assert (status.returncode, "one-more" in status.stdout) == (0, True)
