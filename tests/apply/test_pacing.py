"""Creates are serial and paced (DESIGN §5), as the sandbox's recorded POST times show.

The sandbox records times in whole seconds, so spacings are checked in whole seconds: creates
started ``d`` ≥ 1 s apart are recorded at least 1 s apart, and two gaps of ≥ 0.5 s make one of
≥ 1 s. ``--max-create-rate`` is checked with ``1/s`` (a per-minute rate would make this test a
minute long; the limiter's windows have their own unit tests in tests/client/test_ratelimit.py).
"""

from __future__ import annotations

import time
from datetime import datetime
from itertools import pairwise

import pytest

from tests.apply.conftest import Project, prompts

pytestmark = pytest.mark.e2e


def _post_times(project: Project) -> list[float]:
    return [
        datetime.fromisoformat(p["time"].replace("Z", "+00:00")).timestamp()
        for p in project.sandbox.posts()
    ]


def _applied(project: Project, *args: str) -> float:
    began = time.monotonic()
    result = project.run("apply", "--yes", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    project.assert_each_task_once()
    return time.monotonic() - began


def test_creates_are_one_second_apart_by_default(project: Project) -> None:
    project.declare(prompts(3))
    assert _applied(project) >= 2.0
    times = _post_times(project)
    assert len(times) == 3
    assert all(later - earlier >= 1 for earlier, later in pairwise(times))


def test_min_interval_spaces_the_creates(project: Project) -> None:
    project.declare(prompts(4))
    assert _applied(project, "--min-interval", "0.5") >= 1.5
    times = _post_times(project)
    assert len(times) == 4
    assert all(later - earlier >= 1 for earlier, later in zip(times, times[2:], strict=False))


def test_max_create_rate_holds_creates_back(project: Project) -> None:
    project.declare(prompts(3))
    assert _applied(project, "--min-interval", "0", "--max-create-rate", "1/s") >= 2.0
    times = _post_times(project)
    assert len(times) == 3
    assert all(later - earlier >= 1 for earlier, later in pairwise(times))


def test_without_pacing_creates_follow_at_once(project: Project) -> None:
    project.declare(prompts(3))
    assert _applied(project, "--min-interval", "0", "--max-create-rate", "off") < 5.0
    assert len(_post_times(project)) == 3
