"""``apply --wait`` follows the tasks it touched by listing, never one GET per task per poll, and
ends 0, 3 (a task failed or needs a person) or 6 (``--timeout``) (DESIGN §5)."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Callable

import pytest

from tests.apply.conftest import Project, Sandbox, prompts, reap

pytestmark = pytest.mark.e2e

LISTING = re.compile(r"^/agents/repos/[^/]+/[^/]+/tasks$")


def _requests_after_the_last_post(sandbox: Sandbox) -> list[dict[str, object]]:
    recorded = sandbox.requests()
    last = max(i for i, r in enumerate(recorded) if r["method"] == "POST")
    return recorded[last + 1 :]


def test_wait_follows_by_listing_until_every_task_completes(
    project: Project, serve: Callable[..., Sandbox]
) -> None:
    project.sandbox = serve("--speed", "60")  # a task completes in 1 s; polls are 0.5 s apart
    project.declare(prompts(3))
    result = project.run_apply(wait=True, timeout=30, wait_interval=0.5)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Waiting for the tasks to finish..." in result.stdout
    for key in ("t00", "t01", "t02"):
        assert f"task.{key}: completed" in result.stdout
    table = result.stdout[result.stdout.index("KEY") :]
    assert len(re.findall(r"completed", table)) == 3

    during = _requests_after_the_last_post(project.sandbox)
    assert during, "no request while waiting"
    assert all(r["method"] == "GET" and LISTING.match(str(r["path"])) for r in during), during
    assert len(during) >= 2  # two polls at least (queued, then completed): one listing each
    project.assert_each_task_once()


@pytest.mark.parametrize("outcome", ["failed", "waiting_for_user"])
def test_wait_exits_3_when_a_task_fails_or_needs_a_person(
    project: Project, serve: Callable[..., Sandbox], outcome: str
) -> None:
    project.sandbox = serve("--speed", "100000")  # settled by the first poll (1 ms)
    project.declare(
        {"good": {"prompt": "Fine"}, "bad": {"prompt": f"Bad [sandbox:outcome={outcome}]"}}
    )
    result = project.apply("--wait", "--timeout", "30")
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"task.bad: {outcome}" in result.stdout
    assert "task.good: completed" in result.stdout
    assert "Apply complete! Tasks: 2 added" in result.stdout  # the apply itself succeeded
    during = _requests_after_the_last_post(project.sandbox)
    assert all(LISTING.match(str(r["path"])) for r in during), during


def test_wait_exits_6_at_its_timeout_with_the_table(project: Project) -> None:
    project.declare(prompts(2))
    result = project.apply("--wait", "--timeout", "1")
    assert result.returncode == 6, result.stdout + result.stderr
    assert "Timed out after 1s waiting for the tasks to finish." in result.stdout
    table = result.stdout[result.stdout.index("Waiting for the tasks to finish...") :]
    assert "KEY" in table
    assert "t00" in table
    assert "t01" in table
    assert "queued" in table
    during = _requests_after_the_last_post(project.sandbox)
    assert all(LISTING.match(str(r["path"])) for r in during), during


def test_the_wait_holds_no_lock_and_a_signal_ends_it_with_130(project: Project) -> None:
    project.declare(prompts(1))
    waiting = project.popen(
        "apply", "--yes", "--wait", "--timeout", "60", env={"PYTHONUNBUFFERED": "1"}
    )
    try:
        assert waiting.stdout is not None
        for line in waiting.stdout:
            if line.startswith("Waiting for the tasks to finish..."):
                break
        other = project.apply()  # the state lock is free while the first one waits
        assert other.returncode == 0, other.stdout + other.stderr
        assert "No changes." in other.stdout
        waiting.send_signal(signal.SIGINT)
        began = time.monotonic()
    finally:
        out, err = reap(waiting)
    assert waiting.returncode == 130, out + err
    assert time.monotonic() - began < 2.5
    assert "Timed out" not in out
    assert "Stopped waiting (interrupted)" in out
    project.assert_each_task_once()
