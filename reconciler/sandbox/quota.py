"""The primary rate limit every response reports: ``x-ratelimit-*`` per user and hour window."""

from __future__ import annotations

from datetime import datetime, timedelta

from reconciler.sandbox.store import Store

LIMIT = 5000
ANONYMOUS_LIMIT = 60
WINDOW = timedelta(hours=1)


def _window(store: Store, user_id: int, now: datetime) -> tuple[datetime, int]:
    start, used = store.rate_window.get(user_id, (now, 0))
    if now >= start + WINDOW:
        start, used = now, 0
    return start, used


def count(store: Store, user_id: int, now: datetime) -> bool:
    """Spend one request of the user's hour; False once the hour's quota is exhausted."""
    start, used = _window(store, user_id, now)
    store.rate_window[user_id] = (start, used + 1)
    return used < (LIMIT if user_id else ANONYMOUS_LIMIT)


def rate_headers(store: Store, user_id: int, now: datetime) -> tuple[tuple[str, str], ...]:
    """``x-ratelimit-limit/remaining/used/reset/resource`` for the user at ``now``."""
    start, used = _window(store, user_id, now)
    limit = LIMIT if user_id else ANONYMOUS_LIMIT
    return headers(limit, max(0, limit - used), int((start + WINDOW).timestamp()), used)


def headers(limit: int, remaining: int, reset: int, used: int) -> tuple[tuple[str, str], ...]:
    """The five headers, in GitHub's order."""
    return (
        ("x-ratelimit-limit", str(limit)),
        ("x-ratelimit-remaining", str(remaining)),
        ("x-ratelimit-reset", str(reset)),
        ("x-ratelimit-used", str(used)),
        ("x-ratelimit-resource", "core"),
    )
