"""Crash safety with the state on a GitHub branch (CI.md §2.1): a ``kill -9`` at each failpoint
and at seeded instants, each followed by fresh applies, ends with every declared task once; a
swap lost to another writer between an intent and its POST never sends that POST twice.

A killed run's lock stays on the branch until its lease ends (no kernel drops it), so before the
next apply the served sandbox's clock moves past the lease, as time would (leases are measured in
server time). That also lets an intent past its settle window.
"""

from __future__ import annotations

import base64
import json
import random
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.apply.conftest import TOKEN, Project, Sandbox, prompts
from tests.apply.test_crash import POST_TIMEOUT, apply_until_done
from tests.apply.test_kill9 import _apply_killed_after

pytestmark = pytest.mark.e2e

STATE_REPO, BRANCH = "octo/tasks-state", "agenttasks-state"
PAST_THE_LEASE = 31 * 60.0
SEED = 20261130


class BranchProject(Project):
    """A project whose state lives on a branch of the served sandbox."""

    def __init__(self, root: Path, sandbox: Sandbox, *, repo: str) -> None:
        super().__init__(root, sandbox, repo=repo)
        self.path = f"states/{repo.replace('/', '-')}.json"
        self.location = f"github:{STATE_REPO}@{BRANCH}:{self.path}"

    def arguments(self, *args: str, post_timeout: float | None = None) -> list[str]:
        command = list(args[:1])
        if command and command[0] in ("apply", "plan", "status"):
            command += ["--state", self.location]
        return super().arguments(*command, *args[1:], post_timeout=post_timeout)

    def env(self, extra: Any = None) -> dict[str, str]:
        return {**super().env(extra), "GITHUB_TOKEN": TOKEN}

    def state(self) -> dict[str, Any]:
        answer = self.sandbox.control.get(
            f"/repos/{STATE_REPO}/contents/{self.path}",
            params={"ref": BRANCH},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        answer.raise_for_status()
        loaded: dict[str, Any] = json.loads(base64.b64decode(answer.json()["content"]))
        return loaded


@pytest.fixture
def branch(tmp_path: Path, sandbox: Sandbox, repo: str) -> BranchProject:
    return BranchProject(tmp_path, sandbox, repo=repo)


@pytest.mark.parametrize(
    "point", ["after-intent-saved", "after-post-sent", "after-201-before-save"]
)
def test_a_crash_at_each_failpoint_ends_with_every_task_once(
    branch: BranchProject, point: str
) -> None:
    branch.declare(prompts(3))
    killed = branch.apply_process(post_timeout=POST_TIMEOUT, env={"AGENTTASKS_FAILPOINT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    refused = branch.apply(post_timeout=POST_TIMEOUT)  # the dead holder's lease still runs
    assert refused.returncode == 5, refused.stdout + refused.stderr
    assert "is locked" in refused.stderr
    branch.sandbox.advance(PAST_THE_LEASE)
    apply_until_done(branch)
    branch.assert_each_task_once()


@pytest.mark.soak
def test_kill_9_at_seeded_instants_never_duplicates_or_loses_a_task(
    tmp_path: Path, sandbox: Sandbox, soak_rounds: int
) -> None:
    rng = random.Random(SEED)
    reference = BranchProject(tmp_path / "reference", sandbox, repo="octo/branch-reference")
    reference.root.mkdir()
    reference.declare(prompts(30, prefix="Reference"))
    code, creating = _apply_killed_after(reference, None)
    assert code == 0
    reference.assert_each_task_once()
    for n in range(min(soak_rounds, 10)):
        project = BranchProject(tmp_path / f"round{n}", sandbox, repo=f"octo/branch-round{n}")
        project.root.mkdir()
        project.declare(prompts(30, prefix=f"Round {n}"))
        _apply_killed_after(project, rng.uniform(0, creating))
        sandbox.advance(PAST_THE_LEASE)
        apply_until_done(project)
        project.assert_each_task_once()


def test_a_swap_lost_between_an_intent_and_its_post_never_posts_twice(
    branch: BranchProject,
) -> None:
    branch.declare(prompts(5))
    ref = f"/repos/{STATE_REPO}/git/refs/heads/{BRANCH}"
    branch.sandbox.add_fault(f"PATCH:{ref}:race:times=4")
    done = branch.apply(post_timeout=POST_TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sum(r["fault"] == "race" for r in branch.sandbox.requests("PATCH")) == 4
    posted = Counter(
        p["json"]["prompt"] for p in branch.sandbox.posts() if p["path"].startswith("/agents/")
    )
    assert set(posted.values()) == {1}
    branch.assert_each_task_once()
