"""``agenttasks demo``: the whole loop on a copy of the example, against the built-in sandbox.

No token and no network: the sandbox runs in-process, its tasks kept in a file of a fresh
directory, at a speed where a task's life takes about a second. The files stay there so the
user can go on by hand.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import replace
from importlib import resources
from pathlib import Path

from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.context import Context, Result
from reconciler.commands.plan import Selection, run_plan
from reconciler.commands.status import run_status
from reconciler.commands.validate import run_validate
from reconciler.errors import ExitCode, combine_exit_codes

SPEED = 60
URL = f"sandbox:sandbox.json?speed={SPEED}"


def _copy_example(folder: Path) -> None:
    data = resources.files("reconciler") / "data"
    (folder / "prompts").mkdir()
    (folder / "tasks.yaml").write_text((data / "tasks.yaml.example").read_text("utf-8"), "utf-8")
    for prompt in (data / "prompts").iterdir():
        (folder / "prompts" / prompt.name).write_text(prompt.read_text("utf-8"), "utf-8")


def _program() -> str:
    """How the user can run agenttasks: by name when it is on PATH, else by its full path."""
    if shutil.which("agenttasks"):
        return "agenttasks"
    beside = Path(sys.executable).parent / "agenttasks"
    return str(beside) if beside.exists() else f"{sys.executable} -m reconciler"


def _step(ctx: Context, command: str, result: Result) -> ExitCode:
    ctx.out(f"\n$ agenttasks {command}")
    if result.out:
        ctx.out(result.out.rstrip("\n"))
    for line in result.err:
        ctx.err(line)
    return result.code


def run_demo(ctx: Context) -> Result:
    """validate → plan → apply --yes --wait → status, in a new directory."""
    folder = Path(tempfile.mkdtemp(prefix="agenttasks-demo-"))
    _copy_example(folder)
    demo = replace(ctx, options=replace(ctx.options, api_url=URL))
    here = Path.cwd()
    os.chdir(folder)
    try:
        ctx.out(
            f"agenttasks demo: the example tasks file against the built-in sandbox, in {folder}"
        )
        codes = [_step(demo, "validate", run_validate([]))]
        plan = run_plan(
            demo,
            files=[],
            state=None,
            fmt="text",
            out=None,
            detailed_exitcode=False,
            selection=Selection(),
        )
        codes.append(_step(demo, "plan", plan))
        ctx.out("\n$ agenttasks apply --yes --wait")
        options = ApplyOptions(yes=True, min_interval=0.2, wait=True, timeout=30, wait_interval=0.5)
        applied = run_apply(
            demo, files=[], state=None, plan_path=None, selection=Selection(), options=options
        )
        codes.append(applied.code)
        codes.append(
            _step(demo, "status", run_status(demo, files=[], state=None, fmt="text", check=False))
        )
    finally:
        os.chdir(here)
    program = _program()
    ctx.out(
        f"\nThe demo's files are in {folder}. Go on by hand there, against the same sandbox:\n"
        f"  cd {folder}\n"
        f"  export AGENTTASKS_API_URL='{URL}'\n"
        f"  {program} plan      # edit tasks.yaml first to see a change\n"
        f"  {program} apply\n"
        f"  {program} status"
    )
    return Result(code=combine_exit_codes(*codes))
