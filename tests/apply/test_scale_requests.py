"""An organisation's plan costs one request per listing page, plus ``GET /user`` (issue 14):
tasks files in a directory, many repositories, one of them over a page, the sandbox's clock
frozen so every tracked task stays where the listing put it. In-process; bench/scale.py measures
the same at 10,000 tasks in 500 repositories."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections import Counter
from pathlib import Path

import pytest

from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.context import Result, workspace
from reconciler.commands.plan import Selection, make_plan, render, run_plan
from reconciler.errors import AgentTasksError, ExitCode
from tests.apply.conftest import tasks_yaml
from tests.apply.test_recovery import World

REPOS = [f"octo-org/repo-{n:02d}" for n in range(20)]


def _declare(folder: Path) -> Counter[str]:
    """Three tasks files: 60 tasks over 20 repositories, and 98 more in the first one (101 there:
    two pages of its listing)."""
    per_repo: Counter[str] = Counter()
    files: dict[str, list[str]] = {"a.yaml": [], "b.yaml": [], "c.yaml": []}
    for n in range(158):
        repo = REPOS[n % 20] if n < 60 else REPOS[0]
        per_repo[repo] += 1
        name = list(files)[n % 3]
        files[name].append(f'  t{n:03d}:\n    repo: {repo}\n    prompt: "Task number {n}"')
    head = tasks_yaml({}).split("tasks:")[0].replace("max_creates: 100", "max_creates: 1000")
    for name, entries in files.items():
        body = head if name == "a.yaml" else "version: 1\n"
        (folder / name).write_text(body + "tasks:\n" + "\n".join(entries) + "\n")
    return per_repo


SELECTION = Selection(max_creates=1000)


def _applied(tmp_path: Path) -> tuple[World, Path, Counter[str]]:
    """The three tasks files applied: the world, their folder, the tasks per repository."""
    folder = tmp_path / "tasks"
    folder.mkdir()
    world = World(tmp_path)
    world.ctx = dataclasses.replace(world.ctx, sleep=world.clock.advance)
    per_repo = _declare(folder)
    applied = run_apply(
        world.ctx,
        files=[folder],
        state=None,
        plan_path=None,
        selection=SELECTION,
        options=ApplyOptions(min_interval=0.0, yes=True, max_create_rate="off"),
    )
    assert applied.code == ExitCode.OK
    world.sandbox.clear_requests()
    return world, folder, per_repo


def _plan(world: World, folder: Path, fmt: str = "text") -> Result:
    return run_plan(
        world.ctx,
        files=[folder],
        state=None,
        fmt=fmt,
        out=None,
        detailed_exitcode=True,
        selection=SELECTION,
    )


def test_a_plan_costs_the_listing_pages_and_one_user_lookup(tmp_path: Path) -> None:
    world, folder, per_repo = _applied(tmp_path)
    planned = _plan(world, folder)
    assert planned.code == ExitCode.OK, planned.out
    pages = sum(math.ceil(count / 100) for count in per_repo.values())
    requests = [(r.method, r.path) for r in world.sandbox.requests]
    assert len(requests) == pages + 1, Counter(requests).most_common(5)
    assert requests.count(("GET", "/user")) == 1


def test_keys_added_to_tracked_repositories_cost_no_second_listing(tmp_path: Path) -> None:
    """The daily pull request: new keys in repositories the state tracks. The active listings
    are read while the files parse (commands/prefetch.py) and still cover what the plan asks, so
    each listing is asked once (and the archived one, for the new keys' candidates); the plan is
    the one made without reading early."""
    world, folder, _ = _applied(tmp_path)
    world.clock.advance(2 * 86400)  # the tracked tasks are two days old: inside the adopt window
    added = [REPOS[1], REPOS[1], REPOS[5]]
    extra = "".join(
        f'  new{n}:\n    repo: {repo}\n    prompt: "New {n}"\n' for n, repo in enumerate(added)
    )
    (folder / "d.yaml").write_text("version: 1\ntasks:\n" + extra)
    planned = _plan(world, folder, "json")
    asked = [(r.method, r.path, str(r.query)) for r in world.sandbox.requests]
    assert len(asked) == len(set(asked)), Counter(asked).most_common(3)
    listings = Counter(path for _, path, _ in asked)
    assert listings[f"/agents/repos/{REPOS[1]}/tasks"] == 2  # active and archived
    assert listings[f"/agents/repos/{REPOS[5]}/tasks"] == 2
    assert listings[f"/agents/repos/{REPOS[2]}/tasks"] == 1
    world.sandbox.clear_requests()
    work = workspace(world.ctx, [folder], None)
    unread, now = make_plan(world.ctx, work, SELECTION)
    assert planned.out == render("json", unread, work.files, str(work.state_path), now, color=False)
    assert json.loads(planned.out)["summary"]["add"] == 3


def test_a_listing_failing_while_the_files_parse_fails_the_plan_as_it_would_after(
    tmp_path: Path,
) -> None:
    """An early listing that fails (500s past the retries) is the plan's error, said where the
    plan would have met it, in the same words as a plan that did not read ahead (the request it
    names asked from further back: its ``since``)."""
    world, folder, _ = _applied(tmp_path)
    world.sandbox.add_fault("GET:/agents/repos/*/tasks:500")
    with pytest.raises(AgentTasksError) as early:
        _plan(world, folder)
    with pytest.raises(AgentTasksError) as late:
        make_plan(world.ctx, workspace(world.ctx, [folder], None), SELECTION)
    assert type(early.value) is type(late.value)
    assert "500" in str(early.value)

    def words(error: AgentTasksError) -> str:
        return re.sub(r"since=[^&\s]+", "since=…", str(error))

    assert words(early.value) == words(late.value)
