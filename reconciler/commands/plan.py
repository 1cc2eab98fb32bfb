"""``agenttasks plan`` and ``agenttasks show PLANFILE``."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import defaults
from reconciler.commands.context import (
    Context,
    Result,
    Workspace,
    open_api,
    opened_state,
    server_now,
    tasks_files,
)
from reconciler.commands.github import workflow
from reconciler.commands.prefetch import Prefetch
from reconciler.errors import AgentTasksError, ExitCode, SpecError, UsageError
from reconciler.github.pacing import CreateRate, create_schedule
from reconciler.plan.model import Duration, Plan
from reconciler.plan.planner import Options, check_selection, plan
from reconciler.plan.refresh import refresh
from reconciler.plan.remote import Remote
from reconciler.render.common import awaits_decision
from reconciler.render.text import plan_text
from reconciler.state.format import State

if TYPE_CHECKING:
    from reconciler.github.client import AgentTasksClient
    from reconciler.plan.saved import SavedPlan


@dataclass(frozen=True, kw_only=True)
class Selection:
    """The plan options of DESIGN §6 (shared by plan and apply)."""

    targets: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    max_creates: int | None = None
    adopt_window: str = defaults.ADOPT_WINDOW
    offline: bool = False  # plan --offline: no API at all (docs/ci.md "Pull requests from forks")

    def __post_init__(self) -> None:
        parse_duration(self.adopt_window, "--adopt-window")  # refused before any lock is taken

    def options(self, post_timeout: float) -> Options:
        """The planner's options."""
        return Options(
            targets=self.targets,
            excludes=self.excludes,
            replace=frozenset(self.replace),
            max_creates=self.max_creates,
            adopt_window=parse_duration(self.adopt_window, "--adopt-window"),
            post_timeout=post_timeout,
            offline=self.offline,
        )


def replanned(saved: SavedPlan) -> Selection:
    """The selection ``saved`` was made with, to plan again the same way."""
    chosen = saved.selection
    return Selection(
        targets=chosen.targets,
        excludes=chosen.excludes,
        replace=chosen.replace,
        max_creates=chosen.max_creates,
        adopt_window=_wider(chosen.adopt_window),
    )


def _wider(window: str | None) -> str:
    """The saved adopt window, unless narrower than the default: a narrower window can only turn
    an import of an existing task into a create, which a file anyone can edit must not decide."""
    default = defaults.ADOPT_WINDOW
    if window is None:
        return default
    narrower = parse_duration(window, "--adopt-window") < parse_duration(default, "--adopt-window")
    return default if narrower else window


MAX_DURATION = timedelta(days=3650)


def parse_duration(text: str, option: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``45s`` or plain seconds."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "s")
    try:
        value = float(number)
    except ValueError:
        raise UsageError(
            f"{option} takes a duration such as 30d, 12h or 90m, not {text!r}"
        ) from None
    if value < 0:
        raise UsageError(f"{option} cannot be negative")
    if not math.isfinite(value):
        raise UsageError(f"{option} takes a duration such as 30d, 12h or 90m, not {text!r}")
    if value * units[unit] > MAX_DURATION.total_seconds():
        # timedelta overflows past 999,999,999 days, and now minus the window underflows year 1.
        raise UsageError(f"{option} may be at most 3650d (ten years), not {text!r}")
    return timedelta(seconds=value * units[unit])


def make_plan(
    ctx: Context,
    work: Workspace,
    selection: Selection,
    client: AgentTasksClient | None = None,
    *,
    prefetch: Prefetch | None = None,
) -> tuple[Plan, datetime]:
    """Refresh from the API and plan; returns the plan and the server time it was made at.
    ``prefetch``: the client and the listings read while the files were parsed."""
    options = selection.options(ctx.options.post_timeout)
    check_selection(options, work.desired, work.state)  # before the plan's own requests
    if options.offline:
        now = ctx.now()
        made = plan(work.desired, work.state, Remote(user_id=work.state.user_id or 0), now, options)
        return replace(made, duration=duration(made, work, now)), now
    early = None
    if prefetch is not None:
        client, early = prefetch.api()
    if client is None:
        with open_api(ctx) as own:
            return make_plan(ctx, work, selection, own)
    user = client.user_id()  # the token check, and the first Date: windows on the server's clock
    saver = work.state.user_id
    if saver is not None and saver != user and not work.state.intents:
        ctx.err(
            f"Warning: the state was last saved with the token of user {saver}; this token is user"
            f" {user}. Tasks user {saver} created are shown as missing, and a key without a record"
            f" is only matched against user {user}'s tasks."
        )
    remote = refresh(client, work.desired, work.state, server_now(client, ctx), options, early)
    now = server_now(client, ctx)
    made = plan(work.desired, work.state, remote, now, options)
    return replace(made, duration=duration(made, work, now)), now


def duration(made: Plan, work: Workspace, now: datetime) -> Duration | None:
    """How long applying ``made`` takes at least at GitHub's create limits (and a github: state's
    commits), when more than a minute; the earlier creates the state counts are included."""
    creates = made.counts.added
    if not creates:
        return None
    branch = str(work.state_path).startswith("github:")
    limits = CreateRate.parse(defaults.CREATE_RATE).windows
    if branch:
        per = defaults.BRANCH_WRITES_PER_CREATE
        limits = tuple((max(1, count // per), seconds) for count, seconds in limits)
    earlier = tuple((now - t).total_seconds() for t in work.state.recent_creates)
    seconds = create_schedule(
        creates, CreateRate(limits), min_interval=defaults.MIN_INTERVAL, earlier=earlier
    )
    return Duration(seconds, creates, limits, branch) if seconds > 60 else None


def render(
    fmt: str, result: Plan, work_files: Sequence[str], state: str, now: datetime, *, color: bool
) -> str:
    """The plan in the chosen format."""
    # The formats, the saved plan and the Actions output are imported where they are used: a
    # plain `plan` never loads them (bench/plan.py counts every import).
    if fmt == "json":
        from reconciler.render.json import plan_json

        return plan_json(result, files=tuple(work_files), state_path=state, now=now)
    if fmt == "markdown":
        from reconciler.render.markdown import plan_markdown

        return plan_markdown(result, files=tuple(work_files), state_path=state, now=now)
    return plan_text(result, files=tuple(work_files), state_path=state, now=now, color=color)


def exit_code(result: Plan, detailed: bool) -> ExitCode:
    """``plan``'s exit code: 2 with ``--detailed-exitcode`` when the plan awaits a decision."""
    return ExitCode.CHANGES if detailed and awaits_decision(result) else ExitCode.OK


def run_plan(
    ctx: Context,
    *,
    files: Sequence[Path],
    state: Path | str | None,
    fmt: str,
    out: Path | None,
    detailed_exitcode: bool,
    selection: Selection,
) -> Result:
    """Plan, print it, and optionally save it for ``apply PLANFILE``."""
    if out is not None:
        check_out(out)  # before any file is read or request made
    if selection.offline:
        work = offline_workspace(ctx, files, state)
        result, now = make_plan(ctx, work, selection)
    else:
        from reconciler.spec.load import load

        options = selection.options(ctx.options.post_timeout)
        with Prefetch(ctx, files, state, options) as early:
            work = early.workspace(load(tasks_files(files)))
            result, now = make_plan(ctx, work, selection, prefetch=early)
    text = render(fmt, result, work.files, str(work.state_path), now, color=ctx.options.color)
    err: tuple[str, ...] = ()
    if out is not None:
        import shlex

        from reconciler.plan.saved import SavedSelection, save_plan

        saved_text = save_plan(
            result,
            desired=work.desired,
            lineage=work.state.lineage,
            serial=work.state.serial,
            state_path=str(work.state_path),
            created_at=now,
            selection=SavedSelection(
                targets=selection.targets,
                excludes=selection.excludes,
                replace=selection.replace,
                max_creates=selection.max_creates,
                adopt_window=selection.adopt_window,
            ),
        )
        write_private(out, saved_text)
        err = (
            f"Saved the plan to {out}. To apply exactly this plan, run:",
            f"  agenttasks apply {shlex.quote(str(out))}",
        )
    code = exit_code(result, detailed_exitcode)
    commands = publish_plan(ctx, work, result, now, code)
    return Result(text, err, code, commands)


def publish_plan(
    ctx: Context, work: Workspace, result: Plan, now: datetime, code: ExitCode
) -> tuple[str, ...]:
    """In GitHub Actions: the Markdown plan to the step summary, the outputs, and the
    annotations on the keys' lines to print (docs/ci.md); nothing elsewhere."""
    run = workflow(ctx.env)
    if run is None:
        return ()
    from reconciler.render.github import plan_annotations, plan_outputs
    from reconciler.render.markdown import plan_markdown

    positions = {key: task.position for key, task in work.desired.tasks.items()}
    state = str(work.state_path)
    return run.publish(
        markdown=lambda limit: plan_markdown(
            result, files=work.files, state_path=state, now=now, limit=limit
        ),
        annotations=plan_annotations(result, run.where(positions)),
        outputs=plan_outputs(result, int(code)),
    )


def offline_workspace(ctx: Context, files: Sequence[Path], state: Path | str | None) -> Workspace:
    """The tasks files and, when it can be read without the agent tasks token, the state; a
    state that cannot be read (a fork's read-only token, no token) is planned as empty, said."""
    from reconciler.spec.load import load

    desired = load(tasks_files(files))
    try:
        with opened_state(ctx, files, state) as backend:
            stored, where = backend.read().state or State(), backend.location
    except SpecError:
        raise
    except AgentTasksError as unread:
        ctx.err(f"Warning: the state could not be read ({unread}); planned as if there were none.")
        stored, where = State(), str(state or "the state")
    return Workspace(desired.files, where, desired, stored)


def check_out(path: Path) -> None:
    """Refuse a ``--out`` target that cannot take a saved plan: a directory, a missing directory,
    or an existing file that is not a saved plan (the state, its backup, a tasks file)."""
    folder = path.parent
    if not folder.exists():
        raise UsageError(f"--out {path}: directory {folder} does not exist")
    if not folder.is_dir():
        raise UsageError(f"--out {path}: {folder} is not a directory")
    if path.is_dir():
        raise UsageError(f"--out {path}: is a directory; name a file to save the plan in")
    if not os.path.lexists(path):
        return
    refusal = (
        f"--out {path}: refusing to overwrite a file that is not a saved plan;"
        " remove it or choose another name"
    )
    if not path.is_file():  # a dangling link, a device, a FIFO
        raise UsageError(refusal)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(refusal) from None
    except OSError as error:
        raise UsageError(
            f"--out {path}: cannot read it to check that it is a saved plan ({error.strerror});"
            " refusing to overwrite it"
        ) from None
    from reconciler.plan.saved import is_saved_plan

    if not is_saved_plan(text):
        raise UsageError(refusal)


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (a plan lists prompts), atomically: a temp file
    (0600) in the same directory, renamed over the target, so it is never half written and its
    mode is 0600 even when it replaces an older plan. The target is checked again just before."""
    import tempfile

    check_out(path)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise UsageError(f"--out {path}: cannot write the plan: {error.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise UsageError(f"--out {path}: cannot write the plan: {error.strerror}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def run_show(ctx: Context, *, planfile_path: Path, fmt: str) -> Result:
    """Render a saved plan exactly as ``plan`` did, ages measured from its creation."""
    try:
        text = planfile_path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read {planfile_path}: {error.strerror}") from None
    from reconciler.plan.saved import load_plan

    saved = load_plan(text, path=str(planfile_path))
    rendered = render(
        fmt,
        saved.restore(),
        saved.files,
        saved.state_path,
        saved.created_at,
        color=ctx.options.color,
    )
    return Result(rendered)
