"""Ctrl-C is obeyed while ``plan`` waits out a rate limit (one fan-out, the interruptible one),
also when the wait is in a listing read while the tasks files parse (``commands/prefetch.py``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.client.served import ServedSandbox

TOKEN = "ghp_interruptTokenNotSecret000000000000000"
pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("tracked", [False, True], ids=["no-state", "early-listing"])
def test_plan_waiting_600s_on_a_secondary_rate_limit_stops_at_ctrl_c(
    tmp_path: Path, tracked: bool
) -> None:
    (tmp_path / "tasks.yaml").write_text(
        "version: 1\ntasks:\n  one:\n    repo: octo/web\n    prompt: Fix the flaky test.\n",
        encoding="utf-8",
    )
    rule = "GET:/agents/repos/*/tasks:secondary_429:retry_after=600"
    with ServedSandbox("--token", TOKEN) as served:
        env = {**os.environ, "AGENTTASKS_API_URL": served.url, "AGENTTASKS_TOKEN": TOKEN}
        env.pop("AGENTTASKS_FAILPOINT", None)
        if tracked:  # the state tracks octo/web: its listing is read while the files parse
            apply = [sys.executable, "-m", "reconciler", "apply", "--yes", "--min-interval", "0"]
            subprocess.run(apply, cwd=tmp_path, env=env, check=True, capture_output=True)
        served.add_fault(rule)
        served.clear_requests()
        process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "plan"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # A shell's background job starts with SIGINT ignored, and so would the CLI: the
            # default action lets Python install its KeyboardInterrupt handler as a terminal's.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 10
        while not any(r["path"].endswith("/tasks") for r in served.requests()):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "plan never listed the repository"
            time.sleep(0.05)
        time.sleep(1)  # well inside the 600 s wait
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        try:
            out, err = process.communicate(timeout=10)
        finally:
            process.kill()
        took = time.monotonic() - sent
    assert process.returncode == 130, err
    assert "Interrupted." in err
    assert took < 1.0, f"exited {took:.2f}s after SIGINT"
    assert TOKEN not in out + err
