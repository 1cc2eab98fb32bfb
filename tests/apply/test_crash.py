"""Crash safety over real HTTP (DESIGN §5): never a duplicate, never a lost task.

A POST whose answer is lost is sent once and reported; the next apply imports what the server
committed, or, once the intent's settle window has passed, creates what it never got. Windows are
measured in server time (the ``Date`` of the sandbox's answers, DESIGN §4), so instead of waiting
``--post-timeout`` + 40 s the tests move the served sandbox's clock forward through its control
route: the state is left exactly as apply wrote it.
"""

from __future__ import annotations

import re
import signal
import subprocess

import pytest

from tests.apply.conftest import Project, prompts

pytestmark = pytest.mark.e2e

POSTS = "POST:/agents/repos/*/tasks"
POST_TIMEOUT = 1.0
PAST_THE_WINDOW = 60.0  # > POST_TIMEOUT + 40 s


def apply_until_done(
    project: Project, *, rounds: int = 4
) -> list[subprocess.CompletedProcess[str]]:
    """Fresh applies until one exits 0; an intent still in its settle window (exit 4, "unknown
    until") is let past it by moving the server's clock."""
    runs = []
    for _ in range(rounds):
        result = project.apply(post_timeout=POST_TIMEOUT)
        runs.append(result)
        if result.returncode == 0:
            return runs
        assert result.returncode == 4, result.stdout + result.stderr
        assert "unknown until" in result.stdout, result.stdout
        project.sandbox.advance(PAST_THE_WINDOW)
    raise AssertionError(f"apply never finished: {runs[-1].stdout}{runs[-1].stderr}")


def _posts_for(project: Project, prompt: str) -> int:
    return sum(p["json"]["prompt"] == prompt for p in project.sandbox.posts())


@pytest.mark.parametrize(
    "fault",
    [
        "commit_then_drop:times=1",
        "commit_then_5xx:status=502,times=1",
        "commit_then_hold:seconds=3,times=1",  # held longer than --post-timeout 1
    ],
)
def test_a_committed_create_whose_answer_is_lost_is_imported_not_sent_again(
    project: Project, fault: str
) -> None:
    project.declare(prompts(2))
    project.sandbox.add_fault(f"{POSTS}:{fault}")
    first = project.apply(post_timeout=POST_TIMEOUT)
    assert first.returncode == 4, first.stdout + first.stderr
    assert _posts_for(project, "Task number 0") == 1  # never sent again in that run
    assert _posts_for(project, "Task number 1") == 1
    assert re.search(r"task\.t00: unconfirmed: confirmed \(will be imported\)", first.stdout)
    assert "Apply finished with errors! Tasks: 1 added" in first.stdout
    assert list(project.state()["intents"]) == ["t00"]

    project.sandbox.clear_requests()
    second = project.apply(post_timeout=POST_TIMEOUT)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Apply complete! Tasks: 1 imported, 0 added" in second.stdout
    assert project.sandbox.posts() == []
    project.assert_each_task_once()


def test_a_post_lost_before_the_server_acted_is_unknown_until_its_window_ends(
    project: Project,
) -> None:
    project.declare(prompts(1))
    project.sandbox.add_fault(f"{POSTS}:reset:times=1")
    first = project.apply(post_timeout=POST_TIMEOUT)
    assert first.returncode == 4, first.stdout + first.stderr
    assert re.search(r"task\.t00: unconfirmed: unknown until \d\d:\d\d:\d\d", first.stdout)
    assert project.sandbox.tasks(project.repo) == []
    assert list(project.state()["intents"]) == ["t00"]

    # Inside the window: shown as unknown, pending, and never created again.
    plan = project.run("plan", "--detailed-exitcode", post_timeout=POST_TIMEOUT)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "unknown" in plan.stdout
    project.sandbox.clear_requests()
    inside = project.apply(post_timeout=POST_TIMEOUT)
    assert inside.returncode == 4, inside.stdout + inside.stderr
    assert project.sandbox.posts() == []
    assert list(project.state()["intents"]) == ["t00"]

    # After the window (in server time) the key is recordless again: created exactly once.
    project.sandbox.advance(PAST_THE_WINDOW)
    after = project.apply(post_timeout=POST_TIMEOUT)
    assert after.returncode == 0, after.stdout + after.stderr
    assert _posts_for(project, "Task number 0") == 1
    project.assert_each_task_once()


@pytest.mark.parametrize(
    "point",
    ["after-intent-saved", "after-post-sent", "after-201-before-save", "between-temp-and-rename"],
)
def test_a_crash_at_each_failpoint_ends_with_every_task_once(project: Project, point: str) -> None:
    project.declare(prompts(3))
    killed = project.apply_process(post_timeout=POST_TIMEOUT, env={"AGENTTASKS_FAILPOINT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    apply_until_done(project)
    project.assert_each_task_once()
    assert not list(project.root.glob(".agenttasks.state.json.*.tmp"))


def test_a_lost_state_file_is_rebuilt_by_import_without_a_create(project: Project) -> None:
    project.declare(prompts(3))
    assert project.apply().returncode == 0
    project.state_path.unlink()
    project.root.joinpath("agenttasks.state.json.backup").unlink()
    project.sandbox.clear_requests()
    again = project.apply()
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Apply complete! Tasks: 3 imported, 0 added" in again.stdout
    assert project.sandbox.posts() == []
    project.assert_each_task_once()


def test_a_post_refused_by_a_secondary_rate_limit_is_retried_once_safely(
    project: Project,
) -> None:
    project.declare(prompts(1))
    project.sandbox.add_fault(f"{POSTS}:secondary_429:retry_after=1,times=1")
    result = project.apply()
    assert result.returncode == 0, result.stdout + result.stderr
    posts = project.sandbox.posts()
    assert [p["fault"] for p in posts] == ["secondary_429", None]
    project.assert_each_task_once()
