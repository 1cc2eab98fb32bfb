"""Same plan, same bytes: whatever order the actions and rows are given in."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from reconciler.plan.model import Action, Kind, Plan
from reconciler.render.json import plan_json
from reconciler.render.markdown import plan_markdown
from reconciler.render.text import plan_text
from tests.render.plans import FILES, NOW, STATE, WEB, rich_actions, rich_plan


def _all(plan: Plan) -> tuple[str, ...]:
    return (
        plan_text(plan, files=FILES, state_path=STATE, now=NOW),
        plan_text(plan, files=FILES, state_path=STATE, now=NOW, color=True),
        plan_json(plan, files=FILES, state_path=STATE, now=NOW),
        plan_markdown(plan, files=FILES, state_path=STATE, now=NOW),
    )


def test_the_same_plan_renders_to_the_same_bytes() -> None:
    assert _all(rich_plan()) == _all(rich_plan())


@pytest.mark.parametrize("seed", range(5))
def test_the_order_actions_and_rows_are_given_in_does_not_matter(seed: int) -> None:
    shuffler = random.Random(seed)
    actions, statuses = rich_actions(), list(rich_plan().statuses)
    shuffler.shuffle(actions)
    shuffler.shuffle(statuses)
    shuffled = replace(rich_plan(), actions=tuple(actions), statuses=tuple(statuses))
    assert _all(shuffled) == _all(rich_plan())


def test_notes_of_unchanged_keys_follow_key_order() -> None:
    first = Action("a-key", Kind.NOOP, WEB, notes=("first note",))
    second = Action("b-key", Kind.NOOP, WEB, notes=("second note",))
    forward = Plan(actions=(first, second))
    backward = Plan(actions=(second, first))
    assert _all(forward) == _all(backward)
    text = plan_text(backward, files=FILES, state_path=STATE, now=NOW)
    assert text.index("task.a-key: first note") < text.index("task.b-key: second note")
