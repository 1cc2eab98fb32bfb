"""Clocks for the sandbox: the real one, and a manual one tests move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)


def real_clock() -> datetime:
    """The current time, aware and in UTC."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told: ``clock()`` reads it, ``clock.advance(s)`` moves it.

    Starts at ``start`` (default 2026-01-01T00:00:00Z); a task's lifecycle follows it, so a
    clock never advanced keeps every task where it is.
    """

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self._now += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        """Put the clock at ``moment`` (aware)."""
        self._now = moment.astimezone(UTC)
