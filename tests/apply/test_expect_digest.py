"""``apply --expect-digest`` (CI.md §5): apply only the plan that was reviewed. In-process,
against the in-process sandbox (tests/apply/test_recovery.py's World)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.context import Result
from reconciler.commands.plan import Selection
from reconciler.errors import ExitCode
from reconciler.plan.review import NotReviewed, Reviewed
from tests.apply.test_recovery import SPECS, World


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def _reviewed(world: World) -> str:
    text = world.plan("json")
    digest = json.loads(text)["review_digest"]
    assert isinstance(digest, str)
    return digest


def _apply(world: World, digest: str, *targets: str) -> Result:
    return run_apply(
        world.ctx,
        files=[world.file],
        state=None,
        plan_path=None,
        selection=Selection(targets=targets),
        options=ApplyOptions(min_interval=0.0, yes=True, expect=Reviewed(digest)),
    )


def test_an_unrelated_apply_between_review_and_merge_keeps_the_review(world: World) -> None:
    world.declare({"alpha": SPECS["alpha"]})
    assert world.apply().code == ExitCode.OK  # alpha tracked: the serial moves on
    world.declare(SPECS)
    digest = _reviewed(world)  # the pull request: + beta, + gamma
    world.clock.advance(600)
    assert world.apply("alpha").code == ExitCode.OK  # another apply lands: nothing to do, saved
    for task_id, _, _ in world.tasks():
        world.sandbox.set_state(task_id, "completed")  # live states move on too
    assert _apply(world, digest).code == ExitCode.OK
    world.assert_each_once()


def test_a_live_driven_rerun_goes_ahead_under_the_reviewed_policy(world: World) -> None:
    retried = {"prompt": "Fix the flaky test.", "retry": {"on": ["failed"], "max_attempts": 2}}
    world.declare({"alpha": retried})
    assert world.apply().code == ExitCode.OK
    world.declare({"alpha": retried, "beta": SPECS["beta"]})
    digest = _reviewed(world)
    [(alpha_id, _, _)] = world.tasks()
    world.sandbox.set_state(alpha_id, "failed")  # after review: the policy re-runs it
    assert _apply(world, digest).code == ExitCode.OK
    assert len(world.tasks()) == 3  # alpha, its re-run, beta


def test_another_spec_change_since_review_is_refused(world: World) -> None:
    world.declare({"alpha": SPECS["alpha"]})
    digest = _reviewed(world)
    world.declare({"alpha": SPECS["alpha"], "beta": SPECS["beta"]})  # landed unreviewed
    with pytest.raises(NotReviewed) as refused:
        _apply(world, digest)
    assert refused.value.exit_code == ExitCode.CONFLICT
    assert str(refused.value).startswith(
        f"not applied: the plan changed since review — reviewed {digest}, now sha256:"
    )
    assert world.tasks() == []
