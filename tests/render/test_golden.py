"""Every format of the rich plan, the empty plans and the status view, against golden files."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.plan.model import Plan
from reconciler.render.json import plan_json, status_json
from reconciler.render.markdown import plan_markdown
from reconciler.render.text import plan_text, status_text
from tests.render.golden import assert_golden
from tests.render.plans import FILES, NOW, STATE, empty_plan, rich_plan

Render = Callable[[Plan], str]

RENDERERS: dict[str, Render] = {
    "txt": lambda p: plan_text(p, files=FILES, state_path=STATE, now=NOW),
    "color.txt": lambda p: plan_text(p, files=FILES, state_path=STATE, now=NOW, color=True),
    "json": lambda p: plan_json(p, files=FILES, state_path=STATE, now=NOW),
    "md": lambda p: plan_markdown(p, files=FILES, state_path=STATE, now=NOW),
}
PLANS: dict[str, Callable[[], Plan]] = {
    "rich": rich_plan,
    "empty": lambda: empty_plan(tracked=False),
    "empty-tracked": lambda: empty_plan(tracked=True),
}


@pytest.mark.parametrize("plan_name", sorted(PLANS))
@pytest.mark.parametrize("suffix", sorted(RENDERERS))
def test_plan_matches_its_golden_file(plan_name: str, suffix: str) -> None:
    assert_golden(f"plan-{plan_name}.{suffix}", RENDERERS[suffix](PLANS[plan_name]()))


def test_status_text_matches_its_golden_files() -> None:
    statuses = rich_plan().statuses
    assert_golden("status.txt", status_text(statuses, now=NOW))
    assert_golden("status.color.txt", status_text(statuses, now=NOW, color=True))
    assert_golden("status.json", status_json(statuses, now=NOW))


def test_status_with_nothing_tracked() -> None:
    assert status_text((), now=NOW) == "No tracked tasks.\n"
    assert '"statuses": []' in status_json((), now=NOW)
