"""Every generated file of the documentation site, from real runs: regenerate them all with

    python -m tests.docs.assets

- ``docs/cli.md``: every command's ``--help``;
- ``docs/images/plan.svg``, ``apply.svg``, ``wait.svg``: the plan, the apply's progress and the
  ``--wait`` live table, run on the example tasks file against the sandbox, drawn by rich;
- ``docs/generated/comment.md``: the sticky pull-request comment ``agenttasks comment`` posts for
  the same plan.

The runs are deterministic: the sandbox on a manual clock with a fixed seed (so ids and times are
the same every run), the pacing sleeps advancing that clock, a fixed terminal width.
``tests/docs/test_generated.py`` fails when a file on disk differs from what this makes.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import click
from click.testing import CliRunner
from rich.console import Console
from rich.terminal_theme import MONOKAI
from rich.text import Text

from reconciler.apply.follow import poll_once
from reconciler.cli.main import cli
from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.comment import run_comment
from reconciler.commands.context import Context, GlobalOptions, open_api, opened_state, server_now
from reconciler.commands.demo import _copy_example
from reconciler.commands.plan import Selection, run_plan
from reconciler.commands.waiting import followed
from reconciler.render.live import table
from reconciler.sandbox import ManualClock, Sandbox
from reconciler.state.format import State

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
WIDTH = 140  # the terminal the pictures are drawn on, in columns
REPO = "octo-org/web"  # where the example's pull request is
PR = 12
CI_ENV = {
    "GITHUB_REPOSITORY": REPO,
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_RUN_ID": "4242",
}


# -- the command reference ------------------------------------------------------------------------


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def cli_reference() -> str:
    """docs/cli.md: every command's ``--help`` at 100 columns."""
    parts = [
        "# Command-line reference\n",
        "Generated from each command's `--help` by `python -m tests.docs.assets`.\n",
    ]
    for path in _commands(cli):
        result = CliRunner().invoke(
            cli, [*path, "--help"], prog_name="agenttasks", terminal_width=100
        )
        assert result.exit_code == 0, result.output
        title = " ".join(("agenttasks", *path))
        parts.append(f"## `{title}`\n\n```\n{result.output.rstrip()}\n```\n")
    return "\n".join(parts)


# -- the pictures and the comment: one run of the example against the sandbox -------------------


@dataclass
class _Session:
    """The example tasks file in ``folder``, a sandbox on a manual clock, and the context every
    command runs with (colour on, as on a terminal)."""

    folder: Path
    clock: ManualClock = field(default_factory=ManualClock)
    err: list[str] = field(default_factory=list)
    out: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sandbox = Sandbox(clock=self.clock, seed=1)
        self.sandbox.add_pull(REPO, PR, head_sha="c" * 40)

    def context(self, env: dict[str, str] | None = None) -> Context:
        return Context(
            GlobalOptions(api_url="sandbox:sandbox.json", color=True),
            {**(env or {}), "GITHUB_WORKSPACE": str(self.folder)},
            self.err.append,
            now=self.clock,
            monotonic=lambda: self.clock().timestamp(),
            out=self.out.append,
            sandbox=lambda url: self.sandbox.transport(),
            sleep=self.clock.advance,
        )

    def plan(self) -> str:
        result = run_plan(
            self.context(),
            files=[],
            state=None,
            fmt="text",
            out=None,
            detailed_exitcode=False,
            selection=Selection(),
        )
        assert not self.err, self.err
        return result.out

    def comment(self) -> str:
        run_comment(
            self.context(CI_ENV),
            files=[],
            state=None,
            selection=Selection(),
            detailed_exitcode=False,
            pr=PR,
            repo=None,
            author=None,
        )
        assert not self.err, self.err
        [body] = [c.body for c in self.sandbox.comments(REPO, PR)]
        return body

    def apply(self) -> str:
        self.out.clear()
        result = run_apply(
            self.context(),
            files=[],
            state=None,
            plan_path=None,
            selection=Selection(),
            options=ApplyOptions(yes=True),
        )
        assert not self.err, self.err
        return "".join(f"{line}\n" for line in self.out) + result.out

    def live_table(self) -> Console:
        """The ``--wait`` table as a poll draws it, some tasks still running."""
        ctx = self.context()
        with opened_state(ctx, [], None) as backend:
            state = backend.read().state or State()
        with open_api(ctx) as client:
            rows = poll_once(client, followed(state))
            now = server_now(client, ctx)
        console = _console()
        console.print(table(rows, now))
        return console


@contextmanager
def _session() -> Iterator[_Session]:
    here = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="agenttasks-docs-") as folder:
        os.chdir(folder)
        try:
            _copy_example(Path(folder))
            yield _Session(Path(folder))
        finally:
            os.chdir(here)


def _console() -> Console:
    return Console(
        record=True,
        width=WIDTH,
        force_terminal=True,
        color_system="truecolor",
        file=io.StringIO(),  # what is drawn is recorded; nothing reaches the real stdout
        legacy_windows=False,
    )


def _svg(console: Console, title: str) -> str:
    """The recorded console as SVG, with no font fetched from another host (the site works
    offline): rich's template loads Fira Code from a CDN, which is left out."""
    svg = console.export_svg(title=title, theme=MONOKAI)
    start = svg.find("@font-face")
    while start != -1:
        end = svg.index("}", start) + 1
        svg = svg[:start] + svg[end:]
        start = svg.find("@font-face")
    return svg


def _terminal(command: str, output: str) -> Console:
    console = _console()
    console.print(Text(f"$ {command}", style="bold"))
    console.print(Text.from_ansi(output.rstrip("\n")), soft_wrap=True)
    return console


def _after_the_plan(output: str) -> str:
    """The apply's output from its plan's summary line on (the plan itself is plan.svg)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "Plan:" in line)
    return "\n".join(["[the plan, as above]", *lines[start:]])


def site_files() -> dict[Path, str]:
    """Every generated file of the site, by path, as it should be on disk."""
    with _session() as session:
        plan = session.plan()
        comment = session.comment()
        applied = session.apply()
        session.clock.advance(57)  # half the tasks done, the others still running
        wait = session.live_table()
    return {
        DOCS / "cli.md": cli_reference(),
        DOCS / "images" / "plan.svg": _svg(_terminal("agenttasks plan", plan), "agenttasks plan"),
        DOCS / "images" / "apply.svg": _svg(
            _terminal("agenttasks apply --yes", _after_the_plan(applied)), "agenttasks apply"
        ),
        DOCS / "images" / "wait.svg": _svg(wait, "agenttasks apply --wait"),
        DOCS / "generated" / "comment.md": comment.rstrip("\n") + "\n",
    }


def write(files: dict[Path, str], say: Callable[[str], None]) -> None:
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            say(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    write(site_files(), lambda line: print(line, file=sys.stderr))  # noqa: T201
