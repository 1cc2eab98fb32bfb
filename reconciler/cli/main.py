"""The command line: parses options, calls one function per command, prints what it returns.

This is the only module that prints or reads the environment, and the one place where an
``AgentTasksError`` becomes a message and an exit code. Heavy modules (pydantic models, httpx) are
imported inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler import __version__, defaults
from reconciler.cli import actions
from reconciler.cli.options import (
    asks_the_api,
    context,
    emit,
    file_option,
    format_option,
    seconds,
    selection_options,
    state_option,
    wait_timeout_option,
)
from reconciler.commands.context import GlobalOptions
from reconciler.errors import AgentTasksError, ExitCode, SpecError, UsageError

if TYPE_CHECKING:
    from reconciler.commands.plan import Selection


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="agenttasks")
@click.option(
    "--api-url", metavar="URL", help="API base URL, or sandbox:PATH for the built-in sandbox."
)
@click.option("--api-version", default=defaults.API_VERSION, show_default=True, metavar="V")
@click.option(
    "--max-wait",
    default=str(defaults.MAX_WAIT),
    callback=seconds(positive=False),
    show_default=True,
    metavar="S",
    help="Longest rate-limit wait.",
)
@click.option(
    "--post-timeout",
    default=str(defaults.POST_TIMEOUT),
    callback=seconds(positive=True),
    show_default=True,
    metavar="S",
    help="POST read timeout.",
)
@click.option(
    "--no-color", is_flag=True, help="Never colour the output; so does a non-empty NO_COLOR."
)
@click.option("-v", "--verbose", is_flag=True, help="Log each request; show tracebacks of bugs.")
@click.pass_context
def cli(
    ctx: click.Context,
    api_url: str | None,
    api_version: str,
    max_wait: float,
    post_timeout: float,
    no_color: bool,
    verbose: bool,
) -> None:
    """agenttasks: GitHub Copilot cloud-agent tasks as code.

    Declare tasks in tasks.yaml, review them in pull requests, then plan and apply.
    """
    color = colour_wanted(no_color=no_color, environ=os.environ, tty=sys.stdout.isatty())
    ctx.obj = GlobalOptions(
        api_url=api_url,
        api_version=api_version,
        max_wait=max_wait,
        post_timeout=post_timeout,
        color=color,
        verbose=verbose,
    )


def colour_wanted(*, no_color: bool, environ: Mapping[str, str], tty: bool) -> bool:
    """Colour on a terminal, unless ``--no-color`` or a non-empty ``NO_COLOR`` (no-color.org: an
    empty value does not count)."""
    return tty and not no_color and not environ.get("NO_COLOR")


@cli.command()
@file_option
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...], paths: tuple[Path, ...]) -> int:
    """Check tasks files offline: schema, names, prompt files, duplicates, secrets.

    Files may also be given as arguments (as pre-commit passes them).
    """
    from reconciler.commands.validate import run_validate

    return emit(run_validate(files + paths))


@cli.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of the tasks file."""
    import json

    from reconciler.spec.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@cli.command("demo")
@click.pass_context
def demo_command(ctx: click.Context) -> int:
    """Run validate, plan, apply and status on the example, against the built-in sandbox."""
    from reconciler.commands.demo import run_demo

    return emit(run_demo(context(ctx)))


@cli.command("plan")
@file_option
@state_option
@format_option("text", "json", "markdown")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Save the plan for apply PLANFILE (0600); overwrites only an earlier saved plan.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when changes are pending, a create is unconfirmed, or a key needs attention.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Plan without the agent tasks API (no token: a fork's pull request): no matching, no"
    " live states; the state is read if it can be.",
)
@selection_options
@click.pass_context
def plan_command(
    ctx: click.Context,
    files: tuple[Path, ...],
    state: str | None,
    fmt: str,
    out: Path | None,
    detailed_exitcode: bool,
    offline: bool,
    selection: Selection,
) -> int:
    """Show what apply would do, and the live state of tracked tasks."""
    if not offline:
        asks_the_api()
    from dataclasses import replace

    from reconciler.commands.plan import run_plan

    if offline:
        if out is not None:
            raise UsageError("plan --offline cannot --out: an offline plan is not applied")
        selection = replace(selection, offline=True)

    return emit(
        run_plan(
            context(ctx),
            files=files,
            state=state,
            fmt=fmt,
            out=out,
            detailed_exitcode=detailed_exitcode,
            selection=selection,
        )
    )


@cli.command("show")
@click.argument("planfile", type=click.Path(path_type=Path))
@format_option("text", "json", "markdown")
@click.pass_context
def show_command(ctx: click.Context, planfile: Path, fmt: str) -> int:
    """Render a saved plan file exactly as plan showed it."""
    from reconciler.commands.plan import run_show

    return emit(run_show(context(ctx), planfile_path=planfile, fmt=fmt))


@cli.command("status")
@file_option
@state_option
@format_option("text", "json")
@click.option("--check", is_flag=True, help="Exit 3 if a task ended badly or needs a person.")
@click.option("--wait", is_flag=True, help="Follow every tracked task until each ends.")
@wait_timeout_option
@click.pass_context
def status_command(
    ctx: click.Context,
    files: tuple[Path, ...],
    state: str | None,
    fmt: str,
    check: bool,
    wait: bool,
    timeout: float,
) -> int:
    """Show the live state of every tracked task, with links."""
    asks_the_api()
    from reconciler.commands.status import run_status

    result = run_status(
        context(ctx), files=files, state=state, fmt=fmt, check=check, wait=wait, timeout=timeout
    )
    return emit(result)


def _register() -> None:
    # Imported here rather than at the top: these modules import cli_options, not this module.
    from reconciler.cli.apply import apply_command
    from reconciler.cli.comment import comment_command
    from reconciler.cli.sandbox import sandbox
    from reconciler.cli.state import force_unlock_command, import_command, state_group

    commands = (apply_command, comment_command, import_command, state_group, force_unlock_command)
    for command in (*commands, sandbox):
        cli.add_command(command)


_register()


def _report(error: AgentTasksError) -> None:
    if isinstance(error, SpecError):
        actions.echo(str(error), err=True)  # the first problems, and how many more
        from reconciler.commands.github import workflow

        run = workflow(os.environ)
        if run is not None:
            actions.later(run.refusals(error.problems))
        return
    actions.echo(f"Error: {error}", err=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the command and exit with the code DESIGN §6 assigns. Called without
    ``argv`` it is the process's own (the console script, ``python -m``) and tunes its GC."""
    if argv is None:
        # A run allocates a few objects per declared task and keeps most of them to the end; at
        # CPython's default thresholds the cycle collector scans them again and again (0.05 s of
        # a 2,000-task plan: bench/plan.py). mypy's thresholds, for the same reason.
        gc.set_threshold(200_000, 30, 30)
        # pydantic hands every value it validates (prompts, the state) to any plugin installed in
        # the environment; agenttasks loads none, and skips the scan of every installed
        # package's metadata for them (docs/security.md). A value set is kept; an empty one
        # (a CI template that expanded to nothing) would load them all.
        if not os.environ.get("PYDANTIC_DISABLE_PLUGINS"):
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args or "--verbose" in args
    guard = actions.install(os.environ)
    if os.environ.get("AGENTTASKS_YAML") == "pure":
        # Read tasks files through ruamel's pure-Python parse, not libyaml (its fallback, tested).
        from reconciler.spec import safeyaml

        safeyaml.use_libyaml = False
    code: int
    try:
        result = cli.main(args=args, prog_name="agenttasks", standalone_mode=False)
        code = int(result) if isinstance(result, int) else ExitCode.OK
    except click.exceptions.Exit as stop:
        code = stop.exit_code
    except click.ClickException as error:
        # click's usage errors exit 2, which plan --detailed-exitcode reserves for "changes".
        error.show()
        code = ExitCode.ERROR
    except click.Abort as stop:
        # click turns Ctrl-C (and EOF at a prompt) into Abort; Ctrl-C keeps its own exit code.
        interrupted = isinstance(stop.__cause__ or stop.__context__, KeyboardInterrupt)
        click.echo("Interrupted." if interrupted else "Aborted.", err=True)
        code = ExitCode.SIGINT if interrupted else ExitCode.ERROR
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        code = ExitCode.SIGINT
    except AgentTasksError as error:
        _report(error)
        code = error.exit_code
    except Exception as bug:  # the one place that turns a bug into exit 70
        click.echo(
            f"Internal error: {type(bug).__name__}. This is a bug in agenttasks {__version__};"
            " please report it with the command you ran (add -v for the traceback).",
            err=True,
        )
        if verbose:
            click.echo(traceback.format_exc(), err=True)
        code = ExitCode.BUG
    if guard is not None:
        guard.finish()
    if argv is None:
        # Exiting, the interpreter collects cycles over every object the run left: 0.05 s after
        # a 2,000-task plan (bench/plan.py). Frozen, they are left to the process's end.
        gc.freeze()
        if _left_behind():
            # A request still in flight (a plan refused while it was reading ahead, Ctrl-C)
            # would hold the interpreter's exit until its read timeout: everything is said.
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError):  # a reader gone (`| head`) reads nothing more
                    stream.flush()
            os._exit(code)
    sys.exit(code)


def _left_behind(grace: float = 0.1) -> bool:
    """Whether a thread of this run is still busy after ``grace`` seconds (idle pool workers end
    at once when their pool is shut down). Daemon threads count too: a pool's workers inherit the
    flag of the thread that started them (the early listings'), and the interpreter's exit waits
    for pool workers whatever their flag."""
    deadline = time.monotonic() + grace
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    for thread in others:
        thread.join(max(0.0, deadline - time.monotonic()))
    return any(thread.is_alive() for thread in others)
