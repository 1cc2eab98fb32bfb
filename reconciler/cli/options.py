"""Options and plumbing shared by the command modules of the CLI."""

from __future__ import annotations

import functools
import math
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import click

from reconciler import defaults
from reconciler.cli import actions
from reconciler.commands.context import Context, Result
from reconciler.errors import UsageError

MAX_SECONDS = 1_000_000  # about 11 days: longer is a typo, and sockets refuse "forever"

Callback = Callable[[click.Context, click.Parameter, str | None], float | None]


def review_digest_value(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    """A review digest as printed by plan (``sha256:`` and 64 lower-case hex digits), or
    ``from-pr``: the one on the merged pull request's comment."""
    if value is None or value == "from-pr" or re.fullmatch(r"sha256:[0-9a-f]{64}", value):
        return value
    raise UsageError(
        f"{param.opts[-1]} takes from-pr, or a review digest such as sha256:0f3a… (64 hex"
        " digits) as plan prints it"
    )


def seconds(*, positive: bool) -> Callback:
    """A click callback reading a number of seconds: finite, at most MAX_SECONDS, above 0 with
    ``positive`` (a post timeout of 0 would make every create ambiguous), else 0 or more.

    It raises the project's UsageError, so a bad value is one ``Error:`` line, exit 1.
    """

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        low_ok = number > 0 if positive else number >= 0
        if not (math.isfinite(number) and low_ok and number <= MAX_SECONDS):
            low = "above 0" if positive else "from 0"
            raise UsageError(
                f"{param.opts[-1]} takes a number of seconds {low} and at most {MAX_SECONDS},"
                f" not {value!r}"
            )
        return number

    return check


def count(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """A whole number from 0 (``--max-creates 0`` allows no create), as one ``Error:`` line."""
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise UsageError(f"{param.opts[-1]} takes a whole number from 0, not {value!r}")
    return number


def port(ctx: click.Context, param: click.Parameter, value: str) -> int:
    """A TCP port to listen on: 0 (any free port) to 65535."""
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise UsageError(
            f"{param.opts[-1]} takes a number from 0 to 65535 (0: any free port), not {value!r}"
        )
    return number


_FILE_HELP = (
    "Tasks file or directory of *.yaml/*.yml files; repeatable. Default: "
    + defaults.TASKS_FILE
    + "."
)


def file_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "-f",
        "--file",
        "files",
        multiple=True,
        type=click.Path(path_type=Path),
        help=_FILE_HELP,
    )(f)


def asks_the_api() -> None:
    """Called first by a command that will open an API client: its TLS context is made on a
    thread while the command's modules import (github/tls.py). Not from the group: ``--help``
    and usage errors would start it for nothing, and wait for it at exit."""
    from reconciler.github import tls

    tls.prepare()


def context(ctx: click.Context) -> Context:
    if ctx.params.get("fmt") == "json":
        actions.stdout_is_json()

    def err(line: str) -> None:
        actions.echo(line, err=True)

    def out(line: str) -> None:
        actions.echo(line)

    def ask(question: str) -> str:
        return str(click.prompt(question, default="", show_default=False))

    interactive = sys.stdin.isatty() and sys.stdout.isatty() and "CI" not in os.environ
    return Context(
        ctx.obj,
        os.environ,
        err,
        interactive=interactive,
        terminal=sys.stdout.isatty(),
        out=out,
        ask=ask,
    )


def emit(result: Result) -> int:
    if result.out:
        actions.echo(result.out, nl=False)
    for line in result.err:
        actions.echo(line, err=True)
    actions.later(result.commands)
    return int(result.code)


def state_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--state",
        metavar="LOCATION",
        help="Where the state lives: a file (default: beside the tasks file),"
        " github:BRANCH:PATH, github:OWNER/REPO@BRANCH:PATH or s3://BUCKET/KEY.",
    )(f)


def format_option(*choices: str) -> Callable[[click.decorators.FC], click.decorators.FC]:
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default="text", show_default=True
    )


def lock_timeout_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--lock-timeout",
        callback=seconds(positive=False),
        metavar="S",
        help="Wait up to S seconds for the state lock.",
    )(f)


def selection_options(f: Callable[..., int]) -> Callable[..., int]:
    """``--target``, ``--exclude``, ``--replace``, ``--max-creates``, ``--adopt-window``, handed
    to the command as one ``selection`` (plan and apply share them)."""

    @functools.wraps(f)
    def collect(
        *args: object,
        targets: tuple[str, ...],
        excludes: tuple[str, ...],
        replace: tuple[str, ...],
        max_creates: int | None,
        adopt_window: str,
        **kwargs: object,
    ) -> int:
        from reconciler.commands.plan import Selection  # not at import: --help stays light

        selection = Selection(
            targets=targets,
            excludes=excludes,
            replace=replace,
            max_creates=max_creates,
            adopt_window=adopt_window,
        )
        return f(*args, selection=selection, **kwargs)

    options = [
        click.option(
            "--target", "targets", multiple=True, metavar="KEY", help="Only these keys (globs)."
        ),
        click.option(
            "--exclude", "excludes", multiple=True, metavar="KEY", help="Not these keys (globs)."
        ),
        click.option(
            "--replace",
            "replace",
            multiple=True,
            metavar="KEY",
            help="Run these keys again (globs, as --target).",
        ),
        click.option("--max-creates", callback=count, metavar="N", help="Allow up to N creates."),
        click.option(
            "--adopt-window",
            default=defaults.ADOPT_WINDOW,
            show_default=True,
            metavar="D",
            help="How old a lost task of a key without a record may be to be found again.",
        ),
    ]
    command: Callable[..., int] = collect
    for option in reversed(options):
        command = option(command)
    return command


def wait_timeout_option(f: click.decorators.FC) -> click.decorators.FC:
    """``--timeout`` of ``--wait`` (apply and status)."""
    return click.option(
        "--timeout",
        default=str(defaults.WAIT_TIMEOUT),
        callback=seconds(positive=False),
        show_default=True,
        metavar="S",
        help="For --wait.",
    )(f)
