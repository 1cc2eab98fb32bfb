"""``kill -9`` at any instant of an apply (DESIGN §5): the next applies end with every declared
task created exactly once, recorded once, and no intent left.

Seeded rounds (``AGENTTASKS_SOAK_ROUNDS``: 3 in scripts/check, 25 in .ci/run's soak step), each a
30-task apply in its own repository (so rounds share one served sandbox
without seeing each other's tasks), killed at a random instant of its creates, then applied
again until it exits 0. An intent left inside its settle window is let past it by moving the
sandbox's clock (windows are measured in server time; see test_crash.py).
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from tests.apply.conftest import Project, Sandbox, prompts
from tests.apply.test_crash import POST_TIMEOUT, apply_until_done

pytestmark = [pytest.mark.e2e, pytest.mark.soak]

TASKS = 30
SEED = 20261124


def _started_creating(output: Path, process_done: bool) -> bool:
    return process_done or "Creating..." in output.read_text(encoding="utf-8")


def _apply_killed_after(project: Project, delay: float | None) -> tuple[int, float]:
    """Start an apply; ``delay`` seconds after its first ``Creating...`` SIGKILL it (None: let it
    finish). Returns its exit status and how long its creates ran."""
    output = project.root / "apply.out"
    with output.open("w", encoding="utf-8") as sink:
        process = project.popen(
            "apply",
            "--yes",
            "--min-interval",
            "0",
            post_timeout=POST_TIMEOUT,
            stdout=sink,
            env={"PYTHONUNBUFFERED": "1"},
        )
        try:
            while not _started_creating(output, process.poll() is not None):
                time.sleep(0.005)
            began = time.monotonic()
            if delay is None:
                process.wait(timeout=60)
            else:
                time.sleep(delay)
                if process.poll() is None:
                    os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stderr is not None:
                process.stderr.close()
    return process.returncode, time.monotonic() - began


def test_kill_9_at_random_instants_never_duplicates_or_loses_a_task(
    tmp_path: Path, sandbox: Sandbox, soak_rounds: int
) -> None:
    rng = random.Random(SEED)
    # How long an apply's creates run, measured on two whole applies: the first of a process
    # tree is the slowest (cold caches), and instants drawn past a warm apply's end kill nothing.
    durations = []
    for n in range(2):
        reference = Project(tmp_path / f"reference{n}", sandbox)
        reference.root.mkdir()
        reference.declare(prompts(TASKS, prefix=f"Reference {n}"), repo=f"octo/reference{n}")
        code, took = _apply_killed_after(reference, None)
        assert code == 0
        reference.assert_each_task_once()
        durations.append(took)
    creating = min(durations)

    killed = 0
    for n in range(soak_rounds):
        project = Project(tmp_path / f"round{n}", sandbox)
        project.root.mkdir()
        project.declare(prompts(TASKS, prefix=f"Round {n}"), repo=f"octo/round{n}")
        code, _ = _apply_killed_after(project, rng.uniform(0, creating))
        killed += code == -signal.SIGKILL
        apply_until_done(project)
        project.assert_each_task_once()
    assert killed >= soak_rounds // 2  # most instants fell inside the apply
