"""GitHub's create limits hold across applies (issue 14): the last hour's POSTs are kept in the
state, so two applies in one hour together send at most 500 creates in any hour and 80 in any
minute; ``--max-duration`` stops starting creates in time, exit 4, and the next apply goes on.

In-process against the in-process sandbox on a manual clock; the context's sleep advances that
clock, so an hour of GitHub's limits passes in a second. The limits are checked from the times the
sandbox recorded each POST at.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.context import Result
from reconciler.commands.plan import Selection
from reconciler.errors import ExitCode
from tests.apply.test_recovery import World
from tests.conftest import full_size_only


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = World(tmp_path)
    w.ctx = dataclasses.replace(w.ctx, sleep=w.clock.advance)
    return w


def _declare(world: World, count: int) -> None:
    world.declare({f"t{n:03d}": {"prompt": f"Task number {n}"} for n in range(count)})


def _apply(world: World, rate: str | None = None, **options: float | None) -> Result:
    return run_apply(
        world.ctx,
        files=[world.file],
        state=None,
        plan_path=None,
        selection=Selection(max_creates=10_000),
        options=ApplyOptions(
            min_interval=0.0,
            yes=True,
            max_create_rate=rate,
            **options,  # type: ignore[arg-type]
        ),
    )


def _post_times(world: World) -> list[datetime]:
    return sorted(
        r.time for r in world.sandbox.requests if r.method == "POST" and r.path.endswith("/tasks")
    )


def _most_in_any(times: list[datetime], window: timedelta) -> int:
    return max((sum(t <= u < t + window for u in times) for t in times), default=0)


# (tasks per apply, --max-create-rate, hourly and per-minute limit): GitHub's own limits at full
# size in the soak step; the same rule at a tenth of the size in every check.
SIZES = [
    pytest.param(30, "8/min,50/h", 50, 8, id="tenth"),
    pytest.param(300, None, 500, 80, id="github", marks=pytest.mark.soak),
]


@pytest.mark.parametrize(("size", "rate", "hourly", "minutely"), SIZES)
def test_two_applies_in_one_hour_keep_to_the_hourly_and_minute_limits(
    world: World, size: int, rate: str | None, hourly: int, minutely: int, soak_rounds: int
) -> None:
    if size >= 300:
        full_size_only(soak_rounds)
    _declare(world, size)
    assert _apply(world, rate).code == ExitCode.OK
    assert world.saved()["recent_creates"], "the hour's creates are kept in the state"
    _declare(world, 2 * size)
    assert _apply(world, rate).code == ExitCode.OK
    times = _post_times(world)
    assert len(times) == 2 * size
    assert _most_in_any(times, timedelta(hours=1)) <= hourly
    assert _most_in_any(times, timedelta(minutes=1)) <= minutely
    world.assert_each_once()


@pytest.mark.parametrize(("size", "rate", "hourly", "minutely"), SIZES)
def test_max_duration_stops_in_time_and_the_next_apply_goes_on(
    world: World, size: int, rate: str | None, hourly: int, minutely: int, soak_rounds: int
) -> None:
    if size >= 300:
        full_size_only(soak_rounds)
    _declare(world, size)
    assert _apply(world, rate).code == ExitCode.OK
    _declare(world, 2 * size)
    began = world.clock()
    stopped = _apply(world, rate, max_duration=30 * 60.0)
    assert stopped.code == ExitCode.PARTIAL
    assert world.clock() - began <= timedelta(minutes=30)
    left = 2 * size - hourly
    assert any(f"{left} left at --max-duration: the next apply goes on." in x for x in world.out)
    assert len(_post_times(world)) == hourly
    world.clock.advance(3600)
    assert _apply(world, rate).code == ExitCode.OK
    assert len(_post_times(world)) == 2 * size
    world.assert_each_once()


def test_the_plan_says_how_long_the_apply_takes_and_is_right_within_ten_percent(
    world: World,
) -> None:
    _declare(world, 520)  # past 500 an hour: the last 20 wait for the first ones to age out
    planned = world.plan("json", Selection(max_creates=10_000))
    estimate = json.loads(planned)["estimated_seconds"]
    text = world.plan("text", Selection(max_creates=10_000))
    assert (
        "520 to add: at GitHub's limits of 80 a minute and 500 an hour, this apply takes at"
        " least 1 h 1 min (apply --max-duration splits it across runs)."
    ) in text
    began = world.clock()
    assert (
        run_apply(
            world.ctx,
            files=[world.file],
            state=None,
            plan_path=None,
            selection=Selection(max_creates=10_000),
            options=ApplyOptions(yes=True),
        ).code
        == ExitCode.OK
    )
    took = (_post_times(world)[-1] - began).total_seconds()
    assert abs(took - estimate) <= 0.1 * took, (took, estimate)
