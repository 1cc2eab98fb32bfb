"""The PR comment: nothing a prompt holds can break it, and it always fits GitHub's limit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.models import RemoteTask, RequestBody, TaskState
from reconciler.plan.model import Action, Attention, Kind, Plan, Status, Sync, sort_actions
from reconciler.render.common import summary_sentence
from reconciler.render.json import plan_json
from reconciler.render.markdown import GITHUB_COMMENT_LIMIT, plan_markdown
from tests.render.mdcheck import check_structure, outside_fences
from tests.render.plans import FILES, NOW, STATE, WEB, rich_plan, url

HOSTILE = "\n".join(
    [
        "Start here.",
        "```",
        "</details>",
        "<details><summary>injected</summary>",
        "<script>alert(1)</script>",
        "| a | b |",
        "`````````` ten backticks",
        "~~~",
        "<!-- swallow the rest",
        "**bold** _em_ [link](javascript:alert(1))",
    ]
)


def _render(plan: Plan, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    return plan_markdown(plan, files=FILES, state_path=STATE, now=NOW, limit=limit)


def _create(key: str, prompt: str) -> Action:
    return Action(key, Kind.CREATE, WEB, "not created yet", body=RequestBody(prompt=prompt))


def _hostile_plan() -> Plan:
    # model_construct: the API parser refuses such an id (tests/client/test_hostile_answers.py);
    # the renderer escapes it anyway, as it would any text.
    task = RemoteTask.model_construct(
        id="x)](javascript:alert(1))",
        state=TaskState.COMPLETED,
        created_at=NOW - timedelta(hours=1),
        html_url="https://github.com/o/r/copilot/tasks/1) <script>",
    )
    actions = [
        _create("multi-line", HOSTILE),
        _create("one-line", "``` </details> <script>x</script> | ~~~"),
        Action("kept", Kind.NOOP, WEB, task=task, notes=(HOSTILE,)),
    ]
    status = Status("kept", "o/r|x<b>", Sync.SYNCED, TaskState.COMPLETED, NOW, task.html_url, "x")
    return Plan(
        actions=sort_actions(actions),
        statuses=(status,),
        attention=(Attention("reborn", "</details><script>|"),),
        drift=("</details> ``` | <!--",),
        declared=3,
        tracked=1,
        repositories=1,
    )


def test_a_hostile_prompt_cannot_break_the_comment() -> None:
    markdown = _render(_hostile_plan())
    check_structure(markdown, details=1)
    fences = re.findall(r"^(`{3,})diff$", markdown, re.MULTILINE)
    assert fences == ["`" * 11]  # longer than the ten backticks inside
    assert "<script>alert(1)</script>" in markdown  # shown verbatim, inside the fence
    assert "<script>alert(1)</script>" not in "\n".join(outside_fences(markdown))
    assert "[open](" not in markdown  # an unsafe link is shown as text, not linked


def test_a_hostile_table_cell_is_escaped() -> None:
    row = next(line for line in _render(_hostile_plan()).split("\n") if line.startswith("| kept"))
    assert r"o/r\|x&lt;b&gt;" in row


def test_the_rich_plan_is_well_formed() -> None:
    check_structure(_render(rich_plan()), details=1)


def _big_plan(tasks: int, prompt_lines: int) -> Plan:
    line = "Refactor the module so each function has one job `and` <b>clear</b> names | ok. " * 2
    prompt = "\n".join(f"{n}: {line}" for n in range(prompt_lines))
    actions = [_create(f"task-{n:04d}", prompt) for n in range(tasks)]
    return Plan(actions=sort_actions(actions), declared=tasks, repositories=1)


def test_a_200_kb_plan_fits_in_one_comment_and_keeps_its_summary() -> None:
    plan = _big_plan(tasks=100, prompt_lines=13)
    assert len(plan_json(plan, files=FILES, state_path=STATE, now=NOW)) > 200_000
    markdown = _render(plan)
    assert len(markdown) <= GITHUB_COMMENT_LIMIT
    assert summary_sentence(plan.counts) in markdown
    assert "Plan: 100 to add, 0 to change, 0 to destroy." in markdown
    assert re.search(
        r"# \(\d+ more changes not shown: a comment holds at most 65,536 characters; the CI log",
        markdown,
    )
    check_structure(markdown, details=1)


def test_one_enormous_prompt_line_is_clipped() -> None:
    markdown = _render(Plan(actions=(_create("huge", "x" * 300_000),), declared=1))
    assert len(markdown) < 5_000
    assert "… (299700 more characters)" in markdown


def test_a_huge_live_table_is_cut_with_a_note() -> None:
    statuses = tuple(
        Status(f"k-{n:05d}", WEB, Sync.SYNCED, TaskState.IN_PROGRESS, NOW, url(WEB, str(n)), str(n))
        for n in range(3000)
    )
    markdown = _render(Plan(actions=(), statuses=statuses, declared=3000, tracked=3000))
    assert len(markdown) <= GITHUB_COMMENT_LIMIT
    assert "No changes. Declared tasks match the state." in markdown
    assert re.search(r"_… and \d+ more tracked tasks: see `agenttasks status`._", markdown)
    check_structure(markdown, details=0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tasks=st.integers(0, 60),
    prompt_lines=st.integers(1, 60),
    limit=st.integers(2048, 70_000),
)
def test_any_plan_fits_any_limit(tasks: int, prompt_lines: int, limit: int) -> None:
    plan = _big_plan(tasks, prompt_lines)
    markdown = _render(plan, limit)
    assert len(markdown) <= limit
    assert summary_sentence(plan.counts) in markdown or "No changes." in markdown
    check_structure(markdown)


def test_a_limit_too_small_for_any_comment_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2048"):
        _render(rich_plan(), limit=1000)


def test_commonmark_sees_the_same_structure() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(_render(_hostile_plan()))
    assert html.count("<details>") == html.count("</details>") == 1
    assert "<script>" not in html
    assert html.count("<pre>") == 1
