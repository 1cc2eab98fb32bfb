"""An organisation's plan costs one request per listing page, plus ``GET /user`` (issue 14):
tasks files in a directory, many repositories, one of them over a page, the sandbox's clock
frozen so every tracked task stays where the listing put it. In-process; bench/scale.py measures
the same at 10,000 tasks in 500 repositories."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from pathlib import Path

from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.plan import Selection, run_plan
from reconciler.errors import ExitCode
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


def test_a_plan_costs_the_listing_pages_and_one_user_lookup(tmp_path: Path) -> None:
    folder = tmp_path / "tasks"
    folder.mkdir()
    world = World(tmp_path)
    world.ctx = dataclasses.replace(world.ctx, sleep=world.clock.advance)
    per_repo = _declare(folder)
    selection = Selection(max_creates=1000)
    applied = run_apply(
        world.ctx,
        files=[folder],
        state=None,
        plan_path=None,
        selection=selection,
        options=ApplyOptions(min_interval=0.0, yes=True, max_create_rate="off"),
    )
    assert applied.code == ExitCode.OK
    world.sandbox.clear_requests()
    planned = run_plan(
        world.ctx,
        files=[folder],
        state=None,
        fmt="text",
        out=None,
        detailed_exitcode=True,
        selection=selection,
    )
    assert planned.code == ExitCode.OK, planned.out
    pages = sum(math.ceil(count / 100) for count in per_repo.values())
    requests = [(r.method, r.path) for r in world.sandbox.requests]
    assert len(requests) == pages + 1, Counter(requests).most_common(5)
    assert requests.count(("GET", "/user")) == 1
