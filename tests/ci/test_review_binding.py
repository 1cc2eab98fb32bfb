"""``apply --expect-digest from-pr`` (CI.md §5): on push, apply only what the merged pull request's
comment reviewed, and say on that comment what happened. In-process, against the in-process
sandbox's agent tasks, pull requests and comments (tests/apply/test_recovery.py's World)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.comment import run_comment
from reconciler.commands.context import Result
from reconciler.commands.plan import Selection
from reconciler.commands.review import NoReview
from reconciler.errors import ExitCode
from reconciler.plan.review import NotReviewed
from tests.apply.test_recovery import REPO, SPECS, World

PR = 7
MERGE = "e" * 40


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = World(tmp_path)
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_WORKSPACE": str(tmp_path), "GITHUB_SHA": MERGE}
    w.ctx = dataclasses.replace(w.ctx, env=env)
    w.sandbox.add_pull(REPO, PR, head_sha="b" * 40)
    return w


def _review(world: World) -> None:
    """The plan job on the pull request: the sticky comment with the review digest."""
    done = run_comment(
        world.ctx,
        files=[world.file],
        state=None,
        selection=Selection(),
        detailed_exitcode=False,
        pr=PR,
        repo=None,
        author=None,
    )
    assert done.out.startswith("Created comment") or done.out.startswith("Updated comment")


def _merge(world: World) -> None:
    merged = datetime(2026, 1, 1, 1, tzinfo=UTC)
    world.sandbox.add_pull(REPO, PR, merged_at=merged, merge_commit_sha=MERGE, state="closed")


def _apply_on_push(world: World) -> Result:
    return run_apply(
        world.ctx,
        files=[world.file],
        state=None,
        plan_path=None,
        selection=Selection(),
        options=ApplyOptions(min_interval=0.0, yes=True, from_pr=True),
    )


def _comment(world: World) -> str:
    [ours] = world.sandbox.comments(REPO, PR)
    return ours.body


def test_the_reviewed_plan_applies_though_another_apply_landed_and_the_comment_says_so(
    world: World,
) -> None:
    world.declare({"alpha": SPECS["alpha"]})
    assert world.apply().code == ExitCode.OK
    world.declare(SPECS)  # the pull request adds beta and gamma
    _review(world)
    world.rm("alpha")  # meanwhile another apply lands: the state's serial moves on twice
    assert world.apply("alpha").code == ExitCode.OK
    _merge(world)
    assert _apply_on_push(world).code == ExitCode.OK
    world.assert_each_once()
    body = _comment(world)
    assert body.startswith("<!-- agenttasks:plan v=1 ")
    assert "### agenttasks apply" in body
    assert "task.beta: created" in body
    assert "task.gamma: created" in body
    # The job re-run: what is left of the reviewed plan is nothing, and that is fine.
    assert _apply_on_push(world).code == ExitCode.OK
    assert "Nothing left to apply" in _comment(world)
    world.assert_each_once()


def test_another_spec_change_since_review_is_refused_named_and_told_on_the_comment(
    world: World,
) -> None:
    world.declare({"alpha": SPECS["alpha"]})
    _review(world)
    world.declare({"alpha": SPECS["alpha"], "gamma": SPECS["gamma"]})  # landed unreviewed
    _merge(world)
    with pytest.raises(NotReviewed) as refused:
        _apply_on_push(world)
    assert refused.value.exit_code == ExitCode.CONFLICT
    assert "changed since review — +task.gamma" in str(refused.value)
    assert "### Not applied" in _comment(world)
    assert "+task.gamma" in _comment(world)
    assert world.tasks() == []


def test_a_commit_without_a_reviewed_plan_is_refused(world: World) -> None:
    with pytest.raises(NoReview, match="no reviewed plan for this commit: eeeeeeeeeeee belongs"):
        _apply_on_push(world)  # not merged
    _merge(world)
    with pytest.raises(NoReview, match=f"pull request #{PR} has no agenttasks plan comment"):
        _apply_on_push(world)
    world.sandbox.add_comment(
        REPO, PR, _forged_marker(world), login="mallory", user_id=66
    )  # the marker, by someone else
    with pytest.raises(NoReview) as refused:
        _apply_on_push(world)
    assert refused.value.exit_code == ExitCode.CONFLICT
    assert "workflow_dispatch" in str(refused.value)
    assert world.tasks() == []


def _forged_marker(world: World) -> str:
    from reconciler.github.commentdata import Marker, files_hash
    from reconciler.plan.review import PREFIX

    return Marker(files_hash(["tasks.yaml"]), PREFIX + "0" * 64, None).line() + "\nlooks reviewed"
