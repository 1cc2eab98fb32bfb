"""``agenttasks status``: the live state of every tracked task."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from reconciler import defaults
from reconciler.apply.follow import poll_once
from reconciler.commands.context import (
    Context,
    Result,
    open_api,
    opened_state,
    server_now,
    workspace,
)
from reconciler.commands.plan import Selection, make_plan
from reconciler.commands.waiting import followed, wait_for
from reconciler.errors import ExitCode, SpecError
from reconciler.plan.model import Bucket
from reconciler.render.json import status_json
from reconciler.render.text import status_text
from reconciler.state.format import State

_NEEDS_LOOKING_AT = {Bucket.FAILED, Bucket.NEEDS_PERSON}


def run_status(
    ctx: Context,
    *,
    files: Sequence[Path],
    state: Path | str | None,
    fmt: str,
    check: bool,
    wait: bool = False,
    timeout: float = defaults.WAIT_TIMEOUT,
    interval: float = defaults.WAIT_INTERVAL,
) -> Result:
    """Refresh and show every tracked task; with ``check``, exit 3 if any ended badly; with
    ``wait``, follow them all until each ends or needs a person (exit 6 at the timeout)."""
    if wait:  # following needs only the state: a broken tasks file must not hide live states
        return _wait(ctx, _stored(ctx, files, state), fmt=fmt, timeout=timeout, interval=interval)
    try:
        work = workspace(ctx, files, state)
    except SpecError as broken:
        return _state_only(ctx, files, state, broken, fmt=fmt)
    # Status reports; it never refuses for the creates a plan would make.
    result, now = make_plan(ctx, work, Selection(max_creates=10**9))
    if fmt == "json":
        text = status_json(result.statuses, now=now)
    else:
        text = status_text(result.statuses, now=now, color=ctx.options.color)
    bad = [s.key for s in result.statuses if s.bucket in _NEEDS_LOOKING_AT]
    code = ExitCode.TASK_FAILED if check and bad else ExitCode.OK
    return Result(text, code=code)


def _stored(ctx: Context, files: Sequence[Path], option: Path | str | None) -> State:
    with opened_state(ctx, files, option) as backend:
        return backend.read().state or State()


def _state_only(
    ctx: Context,
    files: Sequence[Path],
    option: Path | str | None,
    broken: SpecError,
    *,
    fmt: str,
) -> Result:
    """The tracked tasks' live states from the state alone, when the tasks files cannot be read:
    one typo must not hide what every running task is doing. The problems are reported and the
    exit code is the tasks files' error (1), after the table."""
    tasks = followed(_stored(ctx, files, option))
    with open_api(ctx) as client:
        rows = poll_once(client, tasks)
        now = server_now(client, ctx)
    for problem in broken.problems:
        ctx.err(str(problem))
    ctx.err(
        "The tasks files have errors (above): the table shows the tracked tasks from the state"
        " alone, without a plan."
    )
    if fmt == "json":
        text = status_json(rows, now=now)
    else:
        text = status_text(rows, now=now, color=ctx.options.color) if rows else ""
    return Result(text, code=ExitCode.ERROR)


def _wait(ctx: Context, state: State, *, fmt: str, timeout: float, interval: float) -> Result:
    tasks = followed(state)
    if not tasks:
        return Result("No tasks are tracked.\n")
    text = fmt == "text"
    with open_api(ctx) as client:
        code, rows = wait_for(
            ctx,
            client,
            tasks,
            timeout=timeout,
            interval=interval,
            stop=threading.Event(),
            out=ctx.out if text else (lambda line: None),
            live=ctx.terminal and text,
        )
        now = server_now(client, ctx)
    return Result("" if text else status_json(rows, now=now), code=code)
