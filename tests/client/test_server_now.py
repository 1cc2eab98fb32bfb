"""The client's estimate of the server's clock: the last ``Date`` plus the local monotonic time
since it arrived (docs/state.md "The server's clock"), whatever the local wall clock says."""

from __future__ import annotations

from datetime import timedelta

from reconciler.github.auth import Token
from reconciler.github.client import AgentTasksClient
from reconciler.github.session import Hooks
from reconciler.plan.remote import listing_query
from reconciler.sandbox import ManualClock, Sandbox


def test_server_now_is_the_last_date_plus_the_monotonic_time_since() -> None:
    clock, ticks = ManualClock(), [100.0]
    client = AgentTasksClient(
        "https://api.github.com",
        Token("t", "a test"),
        transport=Sandbox(clock=clock).transport(),
        hooks=Hooks(monotonic=lambda: ticks[0], clock=lambda: 0.0, sleep=lambda s: None),
    )
    with client:
        assert client.server_now is None  # no answer yet: the caller falls back to its clock
        client.user_id()
        assert client.server_time == clock().replace(microsecond=0)
        ticks[0] += 600.0  # ten minutes at a prompt, the server's clock not asked again
        assert client.server_now == clock().replace(microsecond=0) + timedelta(minutes=10)
        assert client.server_time == clock().replace(microsecond=0)  # the Date itself is kept
        clock.advance(3600)
        client.list_repo_tasks("octo/web", listing_query(None, (1,)))
        assert client.server_now == clock().replace(microsecond=0)  # a new Date restarts it
