"""The command line: parses options, calls one function per command, prints what it returns.

This is the only module that prints or reads the environment, and the one place where an
``AgentTasksError`` becomes a message and an exit code. Heavy modules (pydantic models, httpx) are
imported inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from reconciler import __version__
from reconciler.commands.context import Context, GlobalOptions, Result
from reconciler.errors import AgentTasksError, ExitCode, SpecError

_FILE_HELP = "Tasks file or directory of *.yaml/*.yml files; repeatable. Default: tasks.yaml."


def _file_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "-f",
        "--file",
        "files",
        multiple=True,
        type=click.Path(path_type=Path),
        help=_FILE_HELP,
    )(f)


def _files(files: tuple[Path, ...]) -> list[Path]:
    return list(files) or [Path("tasks.yaml")]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="agenttasks")
@click.option(
    "--api-url", metavar="URL", help="API base URL, or sandbox:PATH for the built-in sandbox."
)
@click.option("--api-version", default="2022-11-28", show_default=True, metavar="V")
@click.option(
    "--max-wait", default=900.0, show_default=True, metavar="S", help="Longest rate-limit wait."
)
@click.option(
    "--post-timeout", default=30.0, show_default=True, metavar="S", help="POST read timeout."
)
@click.option("--no-color", is_flag=True, help="Never colour the output.")
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
    color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
    ctx.obj = GlobalOptions(api_url, api_version, max_wait, post_timeout, color, verbose)


@cli.command()
@_file_option
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...], paths: tuple[Path, ...]) -> None:
    """Check tasks files offline: schema, names, prompt files, duplicates, secrets.

    Files may also be given as arguments (as pre-commit passes them).
    """
    from reconciler.spec import load

    desired = load(_files(files + paths))
    n_tasks, n_repos = len(desired.tasks), len(desired.repositories)
    tasks = "task" if n_tasks == 1 else "tasks"
    repos = "repository" if n_repos == 1 else "repositories"
    click.echo(f"{n_tasks} {tasks} in {n_repos} {repos}: valid.")


@cli.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of the tasks file."""
    import json

    from reconciler.tasksfile import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


def _not_yet(name: str, help_text: str) -> None:
    @cli.command(
        name,
        help=f"{help_text} (not implemented yet)",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )
    def _stub() -> None:
        raise AgentTasksError(f"'agenttasks {name}' is not implemented yet.")


_not_yet("apply", "Create what is missing and record it in the state file.")
_not_yet("demo", "Run validate, plan, apply and status against the built-in sandbox.")


def _context(ctx: click.Context) -> Context:
    def err(line: str) -> None:
        click.echo(line, err=True)

    interactive = sys.stdin.isatty() and sys.stdout.isatty() and "CI" not in os.environ
    return Context(ctx.obj, os.environ, err, interactive=interactive)


def _emit(result: Result) -> int:
    if result.out:
        click.echo(result.out, nl=False)
    for line in result.err:
        click.echo(line, err=True)
    return int(result.code)


def _state_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--state",
        type=click.Path(path_type=Path),
        help="State file (default: beside the tasks file).",
    )(f)


def _format_option(*choices: str) -> Callable[[click.decorators.FC], click.decorators.FC]:
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default="text", show_default=True
    )


def _lock_timeout(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--lock-timeout", type=float, metavar="S", help="Wait up to S seconds for the state lock."
    )(f)


@cli.command("plan")
@_file_option
@_state_option
@_format_option("text", "json", "markdown")
@click.option("--out", type=click.Path(path_type=Path), help="Save the plan for apply PLANFILE.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when changes are pending.")
@click.option("--target", "targets", multiple=True, metavar="KEY", help="Only these keys (globs).")
@click.option("--exclude", "excludes", multiple=True, metavar="KEY", help="Not these keys (globs).")
@click.option("--replace", "replace", multiple=True, metavar="KEY", help="Run KEY again.")
@click.option("--max-creates", type=int, metavar="N", help="Allow a plan to create up to N tasks.")
@click.option("--adopt-window", default="30d", show_default=True, metavar="D")
@click.pass_context
def plan_command(
    ctx: click.Context,
    files: tuple[Path, ...],
    state: Path | None,
    fmt: str,
    out: Path | None,
    detailed_exitcode: bool,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    replace: tuple[str, ...],
    max_creates: int | None,
    adopt_window: str,
) -> int:
    """Show what apply would do, and the live state of tracked tasks."""
    from reconciler.commands.plan import Selection, run_plan

    selection = Selection(targets, excludes, replace, max_creates, adopt_window)
    return _emit(
        run_plan(
            _context(ctx),
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
@_format_option("text", "json", "markdown")
@click.pass_context
def show_command(ctx: click.Context, planfile: Path, fmt: str) -> int:
    """Render a saved plan file exactly as plan showed it."""
    from reconciler.commands.plan import run_show

    return _emit(run_show(_context(ctx), planfile_path=planfile, fmt=fmt))


@cli.command("status")
@_file_option
@_state_option
@_format_option("text", "json")
@click.option("--check", is_flag=True, help="Exit 3 if a task ended badly or needs a person.")
@click.pass_context
def status_command(
    ctx: click.Context, files: tuple[Path, ...], state: Path | None, fmt: str, check: bool
) -> int:
    """Show the live state of every tracked task, with links."""
    from reconciler.commands.status import run_status

    return _emit(run_status(_context(ctx), files=files, state=state, fmt=fmt, check=check))


@cli.command("import")
@_file_option
@_state_option
@_lock_timeout
@click.argument("key")
@click.argument("task_id")
@click.option("--force", is_flag=True, help="Record it even if its prompt differs.")
@click.pass_context
def import_command(
    ctx: click.Context,
    files: tuple[Path, ...],
    state: Path | None,
    lock_timeout: float | None,
    key: str,
    task_id: str,
    force: bool,
) -> int:
    """Record an existing task under a declared key."""
    from reconciler.commands.state_edit import run_import

    result = run_import(
        _context(ctx),
        files=files,
        state=state,
        key=key,
        task_id=task_id,
        force=force,
        lock_timeout=lock_timeout,
    )
    return _emit(result)


@cli.group("state")
def state_group() -> None:
    """Inspect or hand-edit the state file."""


@state_group.command("list")
@_file_option
@_state_option
def state_list(files: tuple[Path, ...], state: Path | None) -> int:
    """List tracked keys: key, repository, task id, last state seen."""
    from reconciler.commands.state_edit import run_list

    return _emit(run_list(files=files, state=state))


@state_group.command("show")
@_file_option
@_state_option
@click.argument("key")
def state_show(files: tuple[Path, ...], state: Path | None, key: str) -> int:
    """Show a key's record as JSON."""
    from reconciler.commands.state_edit import run_show

    return _emit(run_show(files=files, state=state, key=key))


@state_group.command("rm")
@_file_option
@_state_option
@_lock_timeout
@click.argument("key")
@click.option("--tombstone", is_flag=True, help="Remove the key's tombstone instead.")
@click.pass_context
def state_rm(
    ctx: click.Context,
    files: tuple[Path, ...],
    state: Path | None,
    lock_timeout: float | None,
    key: str,
    tombstone: bool,
) -> int:
    """Forget a key's record (the task is untouched on GitHub)."""
    from reconciler.commands.state_edit import run_rm

    result = run_rm(
        _context(ctx),
        files=files,
        state=state,
        key=key,
        tombstone=tombstone,
        lock_timeout=lock_timeout,
    )
    return _emit(result)


@cli.command("force-unlock")
@_file_option
@_state_option
@click.argument("lock_id")
def force_unlock_command(files: tuple[Path, ...], state: Path | None, lock_id: str) -> int:
    """Clear the lock record a dead process left behind."""
    from reconciler.commands.state_edit import run_force_unlock

    return _emit(run_force_unlock(files=files, state=state, lock_id=lock_id))


@cli.group()
def sandbox() -> None:
    """The agent tasks API simulator."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--data", type=click.Path(path_type=Path), help="Persist the store in this file.")
@click.option("--token", help="Accept only this token (default: any token).")
@click.option("--user-id", default=1, show_default=True, type=int, help="The token's user id.")
@click.option("--repos", help="Comma-separated owner/name list; others answer 404.")
@click.option("--speed", default=1.0, show_default=True, type=float, help="Lifecycle clock scale.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for outcomes and ids.")
@click.option(
    "--latency-ms", default=0, show_default=True, type=int, help="Added to each response."
)
@click.option("--fault", "faults", multiple=True, metavar="RULE", help="A fault rule; repeatable.")
def sandbox_serve(
    host: str,
    port: int,
    data: Path | None,
    token: str | None,
    user_id: int,
    repos: str | None,
    speed: float,
    seed: int,
    latency_ms: int,
    faults: tuple[str, ...],
) -> None:
    """Serve the sandbox over HTTP until interrupted."""
    from reconciler.sandbox.serve import serve

    serve(
        host=host,
        port=port,
        data=data,
        token=token,
        user_id=user_id,
        repos=[r for r in (repos or "").split(",") if r],
        speed=speed,
        seed=seed,
        latency_ms=latency_ms,
        faults=list(faults),
    )


def _report(error: AgentTasksError) -> None:
    if isinstance(error, SpecError):
        for problem in error.problems:
            click.echo(str(problem), err=True)
        return
    click.echo(f"Error: {error}", err=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the command and exit with the code DESIGN §6 assigns."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args or "--verbose" in args
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
    except click.Abort:
        click.echo("Aborted.", err=True)
        code = ExitCode.ERROR
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
    sys.exit(code)
