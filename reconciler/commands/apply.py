"""``agenttasks apply [PLANFILE]``: plan (or take a saved plan), confirm, apply, then follow."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from reconciler import defaults
from reconciler.apply.report import ApplyStatus, Report
from reconciler.apply.run import ApplySettings, Stop, apply_plan
from reconciler.commands.context import (
    Context,
    Result,
    Workspace,
    lock_state,
    open_api,
    state_backend,
    tasks_files,
)
from reconciler.commands.github import workflow
from reconciler.commands.plan import Selection, make_plan, render, replanned
from reconciler.commands.review import Review, reviewed_plan
from reconciler.commands.waiting import followed, wait_for
from reconciler.errors import ExitCode, Interrupted, Position, UsageError, combine_exit_codes
from reconciler.models import Desired
from reconciler.plan.model import Plan
from reconciler.plan.planner import check_user
from reconciler.plan.review import NotReviewed, Reviewed, check_reviewed
from reconciler.plan.saved import (
    SavedPlan,
    approved,
    check_current,
    check_untampered,
    load_plan,
)
from reconciler.render.github import (
    plan_annotations,
    plan_outputs,
    report_annotations,
    report_outputs,
)
from reconciler.render.markdown import md_text, plan_markdown
from reconciler.render.report import closing_line, report_json, report_markdown
from reconciler.spec.load import load
from reconciler.state.format import State
from reconciler.state.store import StateStore

if TYPE_CHECKING:
    from reconciler.github.client import AgentTasksClient
    from reconciler.state.backend import Backend


@dataclass(frozen=True, kw_only=True)
class ApplyOptions:
    """The options of ``apply`` (DESIGN §6) besides the plan selection."""

    fmt: str = "text"
    yes: bool = False
    min_interval: float = defaults.MIN_INTERVAL
    max_create_rate: str | None = None
    fail_fast: bool = False
    wait: bool = False
    timeout: float = defaults.WAIT_TIMEOUT
    lock_timeout: float | None = None
    wait_interval: float = defaults.WAIT_INTERVAL
    max_duration: float | None = None  # seconds
    # --expect-digest: apply only the plan that was reviewed (CI.md §5): this digest, or with
    # from_pr the one on the merged pull request's comment (commands/review.py).
    expect: Reviewed | None = None
    from_pr: bool = False
    comment_author: str | None = None  # whose comment is the review (a GitHub App's bot login)


def _confirmed(ctx: Context, options: ApplyOptions) -> bool:
    if options.yes:
        return True
    if not ctx.interactive:
        raise UsageError(
            "apply needs --yes when it cannot ask (no terminal, or CI is set); review the plan"
            " first, or apply a saved plan: agenttasks plan --out plan.json"
        )
    answer = ctx.ask(
        "Do you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n"
        "  Enter a value"
    )
    return answer.strip() == "yes"


def _saved_plan(
    path: Path, files: Sequence[Path], selection: Selection, options: ApplyOptions
) -> SavedPlan:
    if options.expect is not None:
        raise UsageError(
            "apply PLANFILE takes no --expect-digest: a saved plan is checked against the tasks"
            " files, the state and the API itself"
        )
    if files or selection != Selection():
        raise UsageError(
            "apply PLANFILE takes no -f, --target, --exclude or --replace: the plan has them"
        )
    try:
        return load_plan(path.read_text(encoding="utf-8"), path=str(path))
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None


def run_apply(
    ctx: Context,
    *,
    files: Sequence[Path],
    state: Path | str | None,
    plan_path: Path | None,
    selection: Selection,
    options: ApplyOptions,
) -> Result:
    """Apply, holding the state lock until the last save; follow afterwards if asked."""
    saved = _saved_plan(plan_path, files, selection, options) if plan_path else None
    backend = state_backend(
        ctx, files, state if state is not None else saved.state_path if saved else None
    )
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    early = _early_signals()
    try:
        return _run(
            ctx, files=files, backend=backend, saved=saved, selection=selection, options=options
        )
    except KeyboardInterrupt:
        code = ExitCode.SIGTERM if signal.SIGTERM in early else ExitCode.SIGINT
        raise Interrupted(
            "interrupted before anything was applied; the state was not changed", code=code
        ) from None
    finally:
        backend.close()
        for signum, handler in previous.items():  # the caller's own (demo runs in-process)
            if handler is not None:
                signal.signal(signum, handler)


def _early_signals() -> list[int]:
    """Until apply.Stop takes over (nothing is written before), SIGINT and SIGTERM stop the
    command where it is, as KeyboardInterrupt; the list says which signal came."""
    received: list[int] = []

    def stop_now(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop_now)
    signal.signal(signal.SIGTERM, stop_now)
    return received


def _run(
    ctx: Context,
    *,
    files: Sequence[Path],
    backend: Backend,
    saved: SavedPlan | None,
    selection: Selection,
    options: ApplyOptions,
) -> Result:
    show = options.fmt == "text"
    out: Callable[[str], None] = ctx.out if show else (lambda line: None)
    review: Review | None = None  # with --expect-digest from-pr: the reviewed plan's comment
    with ExitStack() as closing, open_api(ctx, create_rate=options.max_create_rate) as client:
        with lock_state(ctx, backend, command="apply", timeout=options.lock_timeout) as lease:
            store = StateStore(lease)
            if saved is not None:
                desired = load([Path(f) for f in saved.files])
                check_current(
                    saved, lineage=store.state.lineage, serial=store.state.serial, desired=desired
                )
                check_user(store.state, client.user_id())  # the plan's token may not be this one
                the_plan: Plan = saved.restore()
                # Bound to what the files, the state and the API imply, not to what the file
                # says: a hand-edited plan is refused, naming the difference.
                work = Workspace(desired.files, backend.location, desired, store.state)
                fresh, _ = make_plan(ctx, work, replanned(saved), client)
                check_untampered(the_plan, fresh)
                the_plan = approved(the_plan, fresh)
            else:
                desired = load(tasks_files(files))
                work = Workspace(desired.files, backend.location, desired, store.state)
                the_plan, now = make_plan(ctx, work, selection, client)
                if show:
                    out(
                        render(
                            "text",
                            the_plan,
                            work.files,
                            backend.location,
                            now,
                            color=ctx.options.color,
                        ).rstrip("\n")
                    )
                if options.from_pr:
                    review = reviewed_plan(ctx, desired.files, author=options.comment_author)
                    closing.callback(review.close)
                    expect: Reviewed | None = review.reviewed
                else:
                    expect = options.expect
                if expect is not None:  # after the plan is shown: the log says what was refused
                    try:
                        check_reviewed(expect, the_plan)
                    except NotReviewed as refused:
                        if review is not None:
                            review.say(f"### Not applied\n\n{md_text(str(refused))}\n")
                        raise
            changes = bool(the_plan.counts.changes or the_plan.dropped_intents)
            if not changes and not the_plan.unresolved:
                if review is not None:
                    review.say("### Applied\n\nNothing left to apply: no changes.\n")
                commands = _publish_plan(ctx, desired, the_plan, backend.location)
                text = "" if show else report_json(Report(), ExitCode.OK)
                return Result(text, commands=commands)
            # Unresolved intents alone need no approval: the run only checks them (exit 4).
            if changes and saved is None and not _confirmed(ctx, options):
                return Result("Apply cancelled.\n", code=ExitCode.ERROR)
            stop = Stop()
            stop.install()
            settings = ApplySettings(
                min_interval=options.min_interval,
                fail_fast=options.fail_fast,
                post_timeout=ctx.options.post_timeout,
                max_duration=options.max_duration,
            )
            report = apply_plan(
                the_plan,
                client=client,
                store=store,
                progress=out,
                settings=settings,
                stop=stop,
                monotonic=ctx.monotonic,
                sleep=ctx.sleep,
            )
            final = store.state
        code = report.exit_code
        out(closing_line(report))
        if options.wait and report.interrupted is None:
            followed = _follow(ctx, client, final, report, options, out, stop.event)
            # A signal while waiting ends the wait: 130/143, not a timeout.
            code = combine_exit_codes(code, followed, stop.code or ExitCode.OK)
        if review is not None:
            review.say(report_markdown(report, links=_links(final)))
    commands = _publish_report(ctx, desired, the_plan, report, final, code)
    return Result(report_json(report, code) if not show else "", code=code, commands=commands)


def _links(final: State) -> dict[str, str]:
    return {key: r.html_url for key, r in final.tasks.items() if r.html_url}


def _publish_plan(ctx: Context, desired: Desired, the_plan: Plan, location: str) -> tuple[str, ...]:
    """In GitHub Actions, an apply with nothing to do: the plan to the step summary (docs/ci.md)."""
    run = workflow(ctx.env)
    if run is None:
        return ()
    now = ctx.now()
    return run.publish(
        markdown=lambda limit: plan_markdown(
            the_plan, files=desired.files, state_path=location, now=now, limit=limit
        ),
        annotations=plan_annotations(the_plan, run.where(_positions(desired))),
        outputs=plan_outputs(the_plan, int(ExitCode.OK)),
    )


def _publish_report(
    ctx: Context, desired: Desired, the_plan: Plan, report: Report, final: State, code: ExitCode
) -> tuple[str, ...]:
    """In GitHub Actions: the apply report to the step summary, its outputs and annotations."""
    run = workflow(ctx.env)
    if run is None:
        return ()
    links = _links(final)
    return run.publish(
        markdown=lambda limit: report_markdown(report, links=links),
        annotations=report_annotations(report, run.where(_positions(desired))),
        outputs=report_outputs(the_plan, report, int(code)),
    )


def _positions(desired: Desired) -> dict[str, Position]:
    return {key: task.position for key, task in desired.tasks.items()}


def _follow(
    ctx: Context,
    client: AgentTasksClient,
    final: State,
    report: Report,
    options: ApplyOptions,
    out: Callable[[str], None],
    event: threading.Event,
) -> ExitCode:
    keys = {
        o.key for o in report.outcomes if o.status in (ApplyStatus.CREATED, ApplyStatus.IMPORTED)
    }
    tasks = followed(final, keys)
    if not tasks:
        return ExitCode.OK
    out("Waiting for the tasks to finish...")
    code, _ = wait_for(
        ctx,
        client,
        tasks,
        timeout=options.timeout,
        interval=options.wait_interval,
        stop=event,
        out=out,
        live=ctx.terminal and options.fmt == "text",
    )
    return code
