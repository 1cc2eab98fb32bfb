"""A tracked task deleted or archived on GitHub (issue 11, wrong answers): ``status`` shows no
live state it does not have, and ``--wait`` settles on it instead of waiting out its timeout."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler.errors import ExitCode
from tests.apply.test_recovery import World


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = World(tmp_path)
    assert w.apply().code == ExitCode.OK
    w.clock.advance(1800)
    return w


def _row(text: str, key: str) -> list[str]:
    [line] = [line for line in text.splitlines() if line.strip().startswith(key + " ")]
    return line.split()


def _alpha(world: World) -> str:
    task_id = world.saved()["tasks"]["alpha"]["task_id"]  # type: ignore[index]
    assert isinstance(task_id, str)
    return task_id


def test_status_shows_no_live_state_for_a_deleted_task(world: World) -> None:
    world.sandbox.delete(_alpha(world))
    text = world.status().out
    assert _row(text, "alpha")[2:4] == ["pending", "-"], text  # not "queued": it is gone
    assert "progressing" not in text


def test_wait_settles_on_a_deleted_task_and_says_so(world: World) -> None:
    for task_id, _, _ in world.tasks():
        world.sandbox.set_state(task_id, "completed")
    world.sandbox.delete(_alpha(world))
    started = time.monotonic()
    result = world.status(wait=True)
    assert time.monotonic() - started < 5, "waited out the timeout on a task that is gone"
    assert result.code == ExitCode.TASK_FAILED
    said = "\n".join(world.out)
    assert f"task.alpha: gone from GitHub (task {_alpha(world)} answered 404)" in said
    assert _row(said.split("Tracked tasks")[-1], "alpha")[2:4] == ["missing", "-"]


def test_wait_follows_an_archived_task_to_its_end(world: World) -> None:
    for task_id, _, _ in world.tasks():
        world.sandbox.set_state(task_id, "completed")
        world.sandbox.archive(task_id)
    result = world.status(wait=True)
    assert result.code == ExitCode.OK
    assert "3 tracked tasks: 3 done." in "\n".join(world.out)


def test_a_typo_in_the_tasks_file_does_not_hide_the_live_states(world: World) -> None:
    world.sandbox.set_state(_alpha(world), "failed")
    world.file.write_text(world.file.read_text() + "    promt: typo\n", encoding="utf-8")
    result = world.status(check=True)
    assert result.code == ExitCode.ERROR  # the tasks file's error, after the table
    assert _row(result.out, "alpha")[2:4] == ["synced", "failed"], result.out
    assert "3 tracked tasks: 2 done, 1 failed." in result.out
    assert any("unknown field 'promt'" in line for line in world.err), world.err
    assert any("from the state alone" in line for line in world.err), world.err
    waited = world.status(wait=True, timeout=0)
    assert waited.code == ExitCode.TASK_FAILED  # followed to the end, not refused for the typo
