"""The terminal text: header grammar, blocks, clipping, escaping, ages, colour only when asked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from reconciler.models import RequestBody, TaskState
from reconciler.plan.model import Action, Kind, Plan, Status, Sync
from reconciler.render.common import NO_CHANGES, age
from reconciler.render.text import plan_text, status_text
from tests.render.plans import FILES, NOW, STATE, WEB, empty_plan, rich_plan


def _text(plan: Plan, files: tuple[str, ...] = FILES) -> str:
    return plan_text(plan, files=files, state_path=STATE, now=NOW)


def _create(prompt: str, key: str = "k") -> Plan:
    action = Action(key, Kind.CREATE, WEB, body=RequestBody(prompt=prompt))
    return Plan(actions=(action,), declared=1, repositories=1)


@pytest.mark.parametrize(
    ("declared", "tracked", "repositories", "files", "expected"),
    [
        (
            1,
            1,
            1,
            ("tasks.yaml",),
            "1 declared task from tasks.yaml and 1 tracked task in 1 repository",
        ),
        (
            4,
            3,
            2,
            ("a.yaml", "b.yml"),
            "4 declared tasks from 2 files (a.yaml, b.yml) and 3 tracked tasks in 2 repositories",
        ),
        (
            0,
            0,
            0,
            ("t.yaml",),
            "0 declared tasks from t.yaml and 0 tracked tasks in 0 repositories",
        ),
    ],
)
def test_the_header_line_counts_in_words(
    declared: int, tracked: int, repositories: int, files: tuple[str, ...], expected: str
) -> None:
    plan = Plan(actions=(), declared=declared, tracked=tracked, repositories=repositories)
    first = _text(plan, files).split("\n")[0]
    assert first == f"agenttasks read {expected}; state: agenttasks.state.json."


def test_an_empty_plan_says_no_changes_and_shows_no_table_without_tracked_tasks() -> None:
    text = _text(empty_plan(tracked=False))
    assert NO_CHANGES in text
    assert "Tracked tasks (live):" not in text
    assert "Plan:" not in text


def test_the_live_table_follows_no_changes_when_tasks_are_tracked() -> None:
    text = _text(empty_plan(tracked=True))
    assert text.index(NO_CHANGES) < text.index("Tracked tasks (live):")
    assert "  tidy-readme  octo-org/web  synced  completed  12m  https://" in text


def test_the_live_table_follows_the_summary_sentence() -> None:
    text = _text(rich_plan())
    assert text.index("Plan: 2 to import") < text.index("Tracked tasks (live):")
    assert "KEY              REPO          SYNC     STATE             AGE  LINK" in text


def test_an_unconfirmed_create_alone_is_not_no_changes() -> None:
    status = Status("pending", WEB, Sync.UNKNOWN, None, None, None)
    plan = Plan(actions=(), statuses=(status,), unresolved=("pending",), declared=1)
    text = _text(plan)
    assert NO_CHANGES not in text
    assert "Plan: 0 to add, 0 to change, 0 to destroy." in text
    assert "task.pending: a create was sent but its answer was lost" in text


@pytest.mark.parametrize(("lines", "hidden"), [(1, None), (6, None), (7, 1), (20, 14)])
def test_long_prompts_are_clipped_after_six_lines(lines: int, hidden: int | None) -> None:
    prompt = "\n".join(f"line {n}" for n in range(1, lines + 1))
    text = _text(_create(prompt))
    if hidden is None:
        assert "hidden)" not in text
        assert f"line {lines}" in text
    else:
        noun = "line" if hidden == 1 else "lines"
        assert f"            # ({hidden} more {noun} hidden)\n        EOT\n" in text
        assert "line 6\n" in text
        assert "line 7\n" not in text


def test_a_one_line_prompt_is_quoted_inline() -> None:
    text = _text(_create('Say "hi" \\ then stop.'))
    assert '      + prompt = "Say \\"hi\\" \\\\ then stop."\n' in text


def test_control_characters_in_a_prompt_never_reach_the_terminal() -> None:
    prompt = "Clear \x1b[2J the screen\x07\nthen \u202egnp.exe\r and \x9b31m\u2028end"
    text = _text(_create(prompt))
    for raw in ("\x1b", "\x07", "\u202e", "\r", "\x9b", "\u2028"):
        assert raw not in text
    assert "Clear \\u001b[2J the screen\\u0007" in text
    assert "then \\u202egnp.exe\\u000d and \\u009b31m\\u2028end" in text


def test_no_colour_unless_asked() -> None:
    assert "\x1b" not in _text(rich_plan())
    assert "\x1b" not in status_text(rich_plan().statuses, now=NOW)
    coloured = plan_text(rich_plan(), files=FILES, state_path=STATE, now=NOW, color=True)
    assert "\x1b[32m  +\x1b[0m task" in coloured
    assert "\x1b[33m+/.\x1b[0m task" in coloured
    assert "\x1b[35m  .\x1b[0m task" in coloured


@pytest.mark.parametrize(
    ("state", "colour"),
    [
        ("queued", "36"),
        ("in_progress", "36"),
        ("waiting_for_user", "33"),
        ("idle", "33"),
        ("completed", "32"),
        ("failed", "31"),
        ("timed_out", "31"),
        ("cancelled", "31"),
        ("unknown", "35"),
    ],
)
def test_the_bucket_drives_the_state_colour(state: str, colour: str) -> None:
    row = Status("k", WEB, Sync.SYNCED, TaskState(state), NOW, None)
    assert f"\x1b[{colour}m{state}\x1b[0m" in status_text((row,), now=NOW, color=True)


def test_the_table_stays_aligned_with_colour() -> None:
    plain = status_text(rich_plan().statuses, now=NOW)
    coloured = status_text(rich_plan().statuses, now=NOW, color=True)
    assert _strip_ansi(coloured) == plain


def _strip_ansi(text: str) -> str:
    return re.sub("\x1b\\[[0-9;]*m", "", text)


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=59), "59s"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=59, seconds=59), "59m"),
        (timedelta(hours=1), "1h"),
        (timedelta(hours=23, minutes=59), "23h"),
        (timedelta(days=2, hours=5), "2d"),
        (timedelta(seconds=-30), "0s"),
    ],
)
def test_ages_are_measured_from_now(delta: timedelta, shown: str) -> None:
    assert age(NOW - delta, NOW) == shown


def test_an_age_is_the_same_whenever_it_is_rendered() -> None:
    naive = NOW.replace(tzinfo=None) - timedelta(hours=3)
    assert age(naive, NOW) == "3h"
    assert age(None, NOW) == "-"


def test_no_line_ends_in_whitespace() -> None:
    text = _text(rich_plan())
    assert all(line == line.rstrip() for line in text.split("\n"))
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
