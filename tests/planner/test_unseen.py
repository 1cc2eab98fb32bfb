"""A prompt that changed only in what no one sees (issue 11): the plan says where and how."""

from __future__ import annotations

import pytest

from reconciler.plan.planner import plan
from reconciler.plan.unseen import unseen_difference
from tests.planner.builders import NOW, declared, desired, record, remote, remote_task, state

NFC, NFD = "Fix the caf\u00e9 page.", "Fix the cafe\u0301 page."


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (NFC, NFD, "line 1, column 12: U+00E9 → U+0065 U+0301"),
        ("x\n" + NFD, "x\n" + NFC, "line 2, column 12: U+0065 U+0301 → U+00E9"),
        ("a b", "a\u00a0b", "line 1, column 2: U+0020 → U+00A0"),
        ("ab", "a\u200db", "line 1, column 2: U+0062 → U+200D U+0062"),
        ("ab\u200d", "ab", "line 1, column 3: U+200D → nothing"),
        ("ab", "ac", None),  # a visible change shows in the block itself
        (NFC, NFC, None),
    ],
)
def test_where_two_prompts_that_look_the_same_differ(old: str, new: str, said: str | None) -> None:
    assert unseen_difference(old, new) == said


def test_a_prompt_resaved_in_nfd_plans_a_replace_that_says_why() -> None:
    before, after = declared("k", prompt=NFC), declared("k", prompt=NFD)
    result = plan(
        desired(after), state({"k": record(before, "t1")}), remote([remote_task("t1")]), NOW
    )
    [change] = result.changes
    assert change.reason.startswith(
        "prompt changed only in characters that look the same:"
        " line 1, column 12: U+00E9 → U+0065 U+0301;"
    )
    other = declared("k", prompt=NFD, model="m")
    result = plan(
        desired(other), state({"k": record(before, "t1")}), remote([remote_task("t1")]), NOW
    )
    assert result.changes[0].reason.startswith("model, prompt changed; the prompt only in")
