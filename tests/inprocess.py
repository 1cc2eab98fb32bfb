"""The command line in-process: ``reconciler.cli.main.main`` with its output captured.

The same path as ``python -m reconciler ARGS`` (click parsing, the ``commands`` function, the one
place that turns an error into a message and an exit code), without a process start: the
environment is exactly ``env`` and the working directory ``cwd`` for the call, both restored after
it, and stdout and stderr are collected as a pipe would collect them (not a terminal, so no
colour). Tests keep a real process only where the process is the point: signals, ``kill -9``, a
terminal, token leaks.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

from reconciler.cli.main import main
from reconciler.commands.context import Context, GlobalOptions, Result


@contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` is exactly ``env`` inside, and what it was before after."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def run_main(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run ``agenttasks ARGS`` in-process; the result reads like ``subprocess.run``'s."""
    out, err = io.StringIO(), io.StringIO()
    code: int = 0
    with environment(env), working_directory(cwd), redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def run_command(
    command: Callable[[Context], Result],
    *,
    options: GlobalOptions,
    env: Mapping[str, str],
    terminal: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Call a ``reconciler.commands`` function as the command line would (not interactive), for
    what no option reaches (e.g. ``ApplyOptions.wait_interval``); the result reads like
    ``subprocess.run``'s: its progress lines, then its stdout text, and its stderr lines."""
    out: list[str] = []
    err: list[str] = []
    ctx = Context(options, env, err.append, terminal=terminal, out=out.append)
    result = command(ctx)
    stdout = "".join(f"{line}\n" for line in out) + result.out
    stderr = "".join(f"{line}\n" for line in [*err, *result.err])
    return subprocess.CompletedProcess([], int(result.code), stdout, stderr)
