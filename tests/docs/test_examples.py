"""Every shell example of the site is run, or says why not (the way sqlite-utils keeps its docs
true): a ```console block's ``$ `` lines are commands, the lines after one are its output
(stdout and stderr as a terminal shows them), ``...`` on a line of its own stands for any lines.

The runnable pages' blocks run in order, as one shell session in a fresh directory (``cd`` and
``export`` carry over), against the built-in sandbox, with the ``agenttasks`` this test runs; the
outputs are compared with ids, times and temporary paths normalised. A block preceded by
``<!-- not run: WHY -->`` is not run (it needs a real token, or serves until stopped); one preceded
by ``<!-- one command: … -->`` has one command on its first line and output after it, even lines
starting with ``$ `` (the demo prints the commands it runs).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
RUNNABLE = ("quickstart.md",)  # the pages whose console blocks run against the sandbox
BLOCK = re.compile(r"(?:^(<!-- [^\n]*-->)\n)?^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)
NORMALISE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"\S*/agenttasks-demo-\w+"), "<demo>"),
    (re.compile(r"\b\d+(?:\.\d+)?(?:ms|s|m|h|d)\b *"), "<t> "),
]


@dataclass(frozen=True)
class Step:
    command: str
    expected: str


def blocks(page: str) -> list[tuple[str, str]]:
    """(the comment before it or "", the block's text) for each console block of a page."""
    return [(m[0], m[1]) for m in BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))]


def steps(block: str, *, one_command: bool = False) -> list[Step]:
    lines = block.splitlines()
    found: list[Step] = []
    i = 0
    while i < len(lines):
        assert lines[i].startswith("$ "), f"output before any command: {lines[i]!r}"
        command = [lines[i][2:]]
        i += 1
        heredoc = re.search(r"<<'?(\w+)'?$", command[0])
        if heredoc:
            while lines[i] != heredoc[1]:
                command.append(lines[i])
                i += 1
            command.append(lines[i])
            i += 1
        output = []
        while i < len(lines) and (one_command or not lines[i].startswith("$ ")):
            output.append(lines[i])
            i += 1
        found.append(Step("\n".join(command), "\n".join(output)))
    return found


def normalise(text: str) -> str:
    for pattern, replacement in NORMALISE:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def matches(expected: str, actual: str) -> bool:
    """``expected`` (``...`` lines standing for any lines) is ``actual``, both normalised."""
    parts = [
        r"(?:[^\n]*\n)*?" if line == "..." else re.escape(line) + r"\n"
        for line in normalise(expected).splitlines()
    ]
    return (
        re.fullmatch("".join(parts), normalise(actual) + "\n" if actual.strip() else "") is not None
    )


def run_session(session: list[Step], folder: Path) -> list[str]:
    """Run the steps as one bash session in ``folder``; each step's output, in order."""
    mark = "@@agenttasks-docs-step@@"
    script = ["exec 2>&1"]
    for step in session:
        script += [f"echo {mark}", step.command]
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.endswith("TOKEN") or k.startswith(("AGENTTASKS_", "GITHUB_")) or k == "CI")
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["TMPDIR"] = str(folder)
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.stdout.split(f"{mark}\n")[1:]


def _runnable(page: str) -> list[Step]:
    found: list[Step] = []
    for comment, block in blocks(page):
        if not comment.startswith("<!-- not run:"):
            found += steps(block, one_command=comment.startswith("<!-- one command:"))
    return found


@pytest.mark.e2e
@pytest.mark.parametrize("page", RUNNABLE)
def test_the_page_s_commands_give_the_output_it_shows(page: str, tmp_path: Path) -> None:
    session = _runnable(page)
    assert session, f"{page} has no console block to run"
    outputs = run_session(session, tmp_path)
    assert len(outputs) == len(session), outputs
    for step, output in zip(session, outputs, strict=True):
        assert matches(step.expected, output), (
            f"$ {step.command}\n--- the page shows ---\n{normalise(step.expected)}\n"
            f"--- the run printed ---\n{normalise(output)}"
        )


def test_every_console_block_on_the_site_runs_or_says_why() -> None:
    for page in sorted(p.name for p in DOCS.glob("*.md")):
        for comment, block in blocks(page):
            if page not in RUNNABLE:
                assert comment.startswith("<!-- not run:"), (
                    f"{page}: a console block that is not run says why before it"
                    f" (<!-- not run: … -->), or its page joins RUNNABLE:\n{block}"
                )


def test_wildcards_and_normalising() -> None:
    shown = "a\n...\nTook 1s [id=ef134f2a-180b-405d-a91a-b32d2976f51d]"
    assert matches(shown, "a\nb\nc\nTook 12s [id=00000000-0000-0000-0000-000000000000]\n")
    assert matches(shown, "a\nTook 2ms [id=00000000-0000-0000-0000-000000000000]\n")
    assert not matches(shown, "b\nTook 1s [id=00000000-0000-0000-0000-000000000000]\n")
    assert not matches("a", "a\nb\n")
