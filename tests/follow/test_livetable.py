"""The --wait live table on a terminal: every followed task, its state coloured by bucket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console

from reconciler.models import TaskState
from reconciler.plan.model import Status, Sync
from reconciler.render.live import LiveTable
from reconciler.render.text import status_text

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _row(key: str, state: TaskState | None) -> Status:
    url = f"https://github.com/o/r/copilot/tasks/{key}"
    return Status(key, "o/r", Sync.SYNCED, state, NOW - timedelta(minutes=3), url, key)


def test_live_table_redraws_in_place_with_coloured_states() -> None:
    console = Console(record=True, width=160, force_terminal=True, color_system="standard")
    with LiveTable(console) as live:
        live.show((_row("a", TaskState.QUEUED), _row("b", None)), NOW)
        live.show((_row("a", TaskState.COMPLETED), _row("b", TaskState.FAILED)), NOW)
    text = console.export_text(clear=False)
    assert "KEY" in text
    assert "completed" in text
    assert "3m" in text
    assert "https://github.com/o/r/copilot/tasks/b" in text
    styled = console.export_text(styles=True)
    assert "\x1b[32mcompleted" in styled  # done: green
    assert "\x1b[31mfailed" in styled  # failed: red


def _sgr_before(styled: str, word: str) -> str:
    """The last SGR code written before ``word``: its colour on screen."""
    head = styled[: styled.index(word)]
    return head[head.rindex("\x1b[") :].split("m")[0] + "m"


def test_wait_and_status_colour_every_state_alike() -> None:
    """One colour map: a state looks the same in ``status`` and in the ``--wait`` table."""
    one_per_bucket = [
        TaskState.IN_PROGRESS,
        TaskState.WAITING_FOR_USER,
        TaskState.COMPLETED,
        TaskState.TIMED_OUT,
        TaskState.UNKNOWN,
    ]
    for state in one_per_bucket:
        row = _row("k", state)
        console = Console(record=True, width=160, force_terminal=True, color_system="standard")
        with LiveTable(console) as live:
            live.show((row,), NOW)
        live_code = _sgr_before(console.export_text(styles=True), state.value)
        status_code = _sgr_before(status_text((row,), now=NOW, color=True), state.value)
        assert live_code == status_code, (state, row.bucket)
