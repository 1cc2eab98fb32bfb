"""The wall clock, read in one place; everything else is handed ``now`` or a ``now`` callable."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time, aware and in UTC."""
    return datetime.now(UTC)
