"""Options and plumbing shared by the command modules of the CLI."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from reconciler.commands.context import Context, Result

_FILE_HELP = "Tasks file or directory of *.yaml/*.yml files; repeatable. Default: tasks.yaml."


def file_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "-f",
        "--file",
        "files",
        multiple=True,
        type=click.Path(path_type=Path),
        help=_FILE_HELP,
    )(f)


def files_or_default(files: tuple[Path, ...]) -> list[Path]:
    return list(files) or [Path("tasks.yaml")]


def context(ctx: click.Context) -> Context:
    def err(line: str) -> None:
        click.echo(line, err=True)

    interactive = sys.stdin.isatty() and sys.stdout.isatty() and "CI" not in os.environ
    return Context(ctx.obj, os.environ, err, interactive=interactive)


def emit(result: Result) -> int:
    if result.out:
        click.echo(result.out, nl=False)
    for line in result.err:
        click.echo(line, err=True)
    return int(result.code)


def state_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--state",
        type=click.Path(path_type=Path),
        help="State file (default: beside the tasks file).",
    )(f)


def format_option(*choices: str) -> Callable[[click.decorators.FC], click.decorators.FC]:
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default="text", show_default=True
    )


def lock_timeout_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--lock-timeout", type=float, metavar="S", help="Wait up to S seconds for the state lock."
    )(f)
