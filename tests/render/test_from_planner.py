"""Plans made by the planner render: every format agrees with the plan it was given."""

from __future__ import annotations

import json
from datetime import timedelta

from reconciler.plan.model import Plan
from reconciler.plan.planner import Options, plan
from reconciler.render.common import summary_sentence
from reconciler.render.json import plan_json
from reconciler.render.markdown import plan_markdown
from reconciler.render.text import plan_text
from tests.planner.builders import (
    NOW,
    declared,
    desired,
    intent,
    record,
    remote,
    remote_task,
    state,
    tombstone,
)
from tests.render.mdcheck import check_structure


def _planned() -> Plan:
    new, kept, failed = declared("new"), declared("kept"), declared("flaky", retry=(["failed"], 3))
    gone, waiting, reborn = declared("gone"), declared("waiting"), declared("reborn")
    changed = declared("changed", prompt="A new prompt.")
    records = {
        "kept": record(kept, "t-kept"),
        "flaky": record(failed, "t-flaky", last_state="in_progress"),
        "changed": record(declared("changed", prompt="The old prompt."), "t-changed"),
        "old": record(declared("old"), "t-old"),
    }
    listed = [
        remote_task("t-kept", state="completed"),
        remote_task("t-flaky", state="failed"),
        remote_task("t-changed"),
        remote_task("t-old", state="waiting_for_user"),
    ]
    return plan(
        desired(new, kept, failed, changed, gone, waiting, reborn),
        state(
            records,
            intents={"waiting": intent(waiting, age=timedelta(seconds=10))},
            tombstones={"reborn": tombstone("t-reborn")},
        ),
        remote(listed),
        NOW,
        Options(targets=("*",)),
    )


def test_a_planned_plan_renders_in_every_format() -> None:
    planned = _planned()
    sentence = summary_sentence(planned.counts)
    text = plan_text(planned, files=("tasks.yaml",), state_path="s.json", now=NOW)
    assert sentence in text
    for key in ("new", "flaky", "changed", "gone", "old"):
        assert f'task "{key}" {{' in text
    assert "Needs attention:\n  - task.reborn: was run and forgotten on" in text
    assert "task.waiting: a create was sent" in text
    assert "Targeting is in effect" in text
    document = json.loads(plan_json(planned, files=("tasks.yaml",), state_path="s.json", now=NOW))
    counts = planned.counts
    assert document["summary"]["add"] == counts.added
    assert document["summary"]["forget"] == counts.forgotten
    assert [c["key"] for c in document["task_changes"]] == [a.key for a in planned.actions]
    markdown = plan_markdown(planned, files=("tasks.yaml",), state_path="s.json", now=NOW)
    assert sentence in markdown
    check_structure(markdown, details=1)
