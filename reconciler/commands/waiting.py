"""``--wait`` for apply and status: a live table on a terminal, one line per change otherwise."""

from __future__ import annotations

import threading
from collections.abc import Callable

from reconciler.apply.follow import Followed, follow
from reconciler.commands.context import Context, server_now
from reconciler.errors import ExitCode
from reconciler.github.client import AgentTasksClient
from reconciler.plan.model import Status
from reconciler.render.text import status_text
from reconciler.state.format import State


def followed(state: State, keys: set[str] | None = None) -> list[Followed]:
    """The tracked tasks to follow: all of them, or those of ``keys``."""
    return [
        Followed(key, r.repo, r.task_id, r.created_at, r.creator_id)
        for key, r in sorted(state.tasks.items())
        if keys is None or key in keys
    ]


def wait_for(
    ctx: Context,
    client: AgentTasksClient,
    tasks: list[Followed],
    *,
    timeout: float,
    interval: float,
    stop: threading.Event,
    out: Callable[[str], None],
    live: bool,
) -> tuple[ExitCode, tuple[Status, ...]]:
    """Follow ``tasks``; the final table is printed here, then why the wait ended. ``live``
    draws a table in place (a terminal); otherwise one line per state change."""
    if live:
        from reconciler.render.live import LiveTable  # rich loads only on a terminal

        with LiveTable() as table:
            code, rows = follow(
                client,
                tasks,
                progress=lambda line: None,
                timeout=timeout,
                interval=interval,
                stop=stop,
                on_poll=lambda rows: table.show(rows, server_now(client, ctx)),
            )
    else:
        code, rows = follow(
            client, tasks, progress=out, timeout=timeout, interval=interval, stop=stop
        )
        out(status_text(rows, now=server_now(client, ctx), color=ctx.options.color).rstrip("\n"))
    if stop.is_set():
        out("Stopped waiting (interrupted); the tasks keep running on GitHub.")
    elif code == ExitCode.WAIT_TIMEOUT:
        out(f"Timed out after {timeout:g}s waiting for the tasks to finish.")
    return code, rows
