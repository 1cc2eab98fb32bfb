"""A task's life, derived lazily from its creation time and the clock.

A frozen clock freezes it.

At ``speed`` 1 a task is ``queued`` for its first 5 seconds, ``in_progress`` until 60 seconds,
then ends in its outcome: ``completed`` unless the prompt carries a marker such as
``[sandbox:outcome=failed]`` (any of the eight states' final forms) or the Python API / control
route forced a state. ``speed`` divides those durations.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from reconciler.sandbox.store import StoredTask

QUEUED_SECONDS = 5.0
FINISH_SECONDS = 60.0
STATES = (
    "queued",
    "in_progress",
    "completed",
    "failed",
    "idle",
    "waiting_for_user",
    "timed_out",
    "cancelled",
)
OUTCOMES = frozenset({"completed", "failed", "idle", "waiting_for_user", "timed_out", "cancelled"})
TERMINAL = frozenset({"completed", "failed", "timed_out", "cancelled"})
_MARKER = re.compile(r"\[sandbox:outcome=([A-Za-z_]*)\]")


def outcome_marker(prompt: str) -> str | None:
    """The outcome a prompt asks for with ``[sandbox:outcome=STATE]``, or None without a marker.

    A marker naming no known outcome is returned as written, for the caller to reject.
    """
    found = _MARKER.search(prompt)
    return found.group(1) if found else None


class Phase(NamedTuple):
    """Where a task is at a moment: its state and since when.

    A named tuple: a listing makes one per task, and tuples are the cheapest to build.
    """

    state: str
    since: datetime

    @property
    def completed_at(self) -> datetime | None:
        """When the task ended, for states that are final."""
        return self.since if self.state in TERMINAL else None


def phase(task: StoredTask, now: datetime, speed: float) -> Phase:
    """The task's state at ``now`` and when it last changed."""
    if task.forced_state is not None and task.forced_at is not None:
        return Phase(task.forced_state, task.forced_at)
    elapsed = (now - task.created_at).total_seconds() * speed
    if elapsed < QUEUED_SECONDS:
        return Phase("queued", task.created_at)
    queued, finish = _durations(speed)
    if elapsed < FINISH_SECONDS:
        return Phase("in_progress", task.created_at + queued)
    return Phase(task.outcome, task.created_at + finish)


@lru_cache(maxsize=16)  # one speed per sandbox; building the timedeltas was half of ``phase``
def _durations(speed: float) -> tuple[timedelta, timedelta]:
    return timedelta(seconds=QUEUED_SECONDS / speed), timedelta(seconds=FINISH_SECONDS / speed)


def updated_at(task: StoredTask, current: Phase) -> datetime:
    """The last change: a state change, or an archive / unarchive after it."""
    if task.touched_at is not None and task.touched_at > current.since:
        return task.touched_at
    return current.since
