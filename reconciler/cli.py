"""The command line: parses options, calls one function per command, prints what it returns.

This is the only module that prints or reads the environment, and the one place where an
``AgentTasksError`` becomes a message and an exit code. Heavy modules (pydantic models, httpx) are
imported inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from reconciler import __version__
from reconciler.errors import AgentTasksError, ExitCode, SpecError

_FILE_HELP = "Tasks file or directory of *.yaml/*.yml files; repeatable. Default: tasks.yaml."


@dataclass(frozen=True)
class GlobalOptions:
    """Options given before the command, shared by every command."""

    api_url: str | None
    api_version: str
    max_wait: float
    post_timeout: float
    color: bool
    verbose: bool


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


_not_yet("plan", "Show what apply would do, and the live state of tracked tasks.")
_not_yet("apply", "Create what is missing and record it in the state file.")
_not_yet("show", "Render a saved plan file.")
_not_yet("status", "Show the live state of every tracked task.")
_not_yet("import", "Record an existing task under a key.")
_not_yet("state", "Inspect or edit the state file.")
_not_yet("force-unlock", "Clear the lock record of a dead holder.")
_not_yet("demo", "Run validate, plan, apply and status against the built-in sandbox.")


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
