"""Printing in GitHub Actions (docs/ci.md): user text never becomes a workflow command.

The runner reads workflow commands on stdout and stderr (``::error::``, also after leading
spaces, and the legacy ``##[error]`` anywhere in a line). So in Actions stderr opens a
``::stop-commands::TOKEN`` block before anything is printed, stdout opens one before its first
line, and both close with ``::TOKEN::`` at the end, after which the command's annotations are
printed. JSON on stdout stays JSON: no block, and ``##[`` inside its strings is written
``#\\u0023[`` (the same value). Outside Actions, everything prints as before.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping

import click

from reconciler.commands.github import in_actions, new_token


class Guard:
    """The open blocks of one run, by stream."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.json_out = False
        self.open = {True: False, False: False}  # err? -> a block is open
        self.after: list[str] = []

    def start(self) -> None:
        self._open(err=True)

    def _open(self, *, err: bool) -> None:
        from reconciler.render.github import stop_commands

        if not self.open[err]:
            click.echo(stop_commands(self.token), err=err)
            self.open[err] = True

    def echo(self, text: str, *, err: bool = False, nl: bool = True) -> None:
        if not err and self.json_out:
            from reconciler.render.github import inert_json

            click.echo(inert_json(text), nl=nl)
            return
        from reconciler.render.github import inert_text

        self._open(err=err)
        click.echo(inert_text(text), err=err, nl=nl)

    def finish(self) -> None:
        """Close the blocks (stderr's, then stdout's), then print the workflow commands."""
        from reconciler.render.github import resume_commands

        sys.stdout.flush()
        sys.stderr.flush()
        for err in (True, False):
            if self.open[err]:
                click.echo(resume_commands(self.token), err=err)
                self.open[err] = False
        for line in self.after:
            click.echo(line, err=self.json_out)
        self.after.clear()


_guard: Guard | None = None


def install(env: Mapping[str, str]) -> Guard | None:
    """In Actions, guard this run's output from its first line; None elsewhere."""
    global _guard
    _guard = Guard(new_token()) if in_actions(env) else None
    if _guard is not None:
        _guard.start()
    return _guard


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """``click.echo``, inside this run's block when in Actions."""
    if _guard is None:
        click.echo(text, err=err, nl=nl)
    else:
        _guard.echo(text, err=err, nl=nl)


def stdout_is_json() -> None:
    """The command prints JSON on stdout: no block there, annotations on stderr."""
    if _guard is not None:
        _guard.json_out = True


def later(lines: Iterable[str]) -> None:
    """Workflow commands to print once the blocks are closed."""
    if _guard is not None:
        _guard.after += lines
