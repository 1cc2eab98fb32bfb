"""``agenttasks status``: the live state of every tracked task."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reconciler.commands.context import Context, Result, workspace
from reconciler.commands.plan import Selection, make_plan
from reconciler.errors import ExitCode
from reconciler.plan import Bucket

_NEEDS_LOOKING_AT = {Bucket.FAILED, Bucket.NEEDS_PERSON}


def run_status(
    ctx: Context, *, files: Sequence[Path], state: Path | None, fmt: str, check: bool
) -> Result:
    """Refresh and show every tracked task; with ``check``, exit 3 if any ended badly."""
    from reconciler.render import status_json, status_text

    work = workspace(files, state)
    # Status reports; it never refuses for the creates a plan would make.
    result, now = make_plan(ctx, work, Selection(max_creates=10**9))
    if fmt == "json":
        text = status_json(result.statuses, now=now)
    else:
        text = status_text(result.statuses, now=now, color=ctx.options.color)
    bad = [s.key for s in result.statuses if s.bucket in _NEEDS_LOOKING_AT]
    code = ExitCode.TASK_FAILED if check and bad else ExitCode.OK
    return Result(text, code=code)
