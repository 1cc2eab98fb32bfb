"""GitHub-aware output (CI.md §4, docs/ci.md): plan, apply and validate in-process against the
built-in sandbox with ``GITHUB_ACTIONS=true``, read back the way the runner reads them."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.render.github import (
    Annotation,
    Level,
    annotation_line,
    capped,
    escape_data,
    escape_property,
    output_file,
)
from tests.inprocess import run_main
from tests.render.mdcheck import check_structure

SANDBOX = ("--api-url", "sandbox:sandbox.json")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    summary: str
    output: str


def _tasks(n: int, prompt: str = "Fix it.") -> str:
    body = "".join(
        f"  task-{i:02d}:\n    repo: o/r\n    prompt: {json.dumps(f'{prompt} ({i})')}\n"
        for i in range(n)
    )
    return "version: 1\ntasks:\n" + body


def run(root: Path, *args: str, actions: bool = True) -> Run:
    """``agenttasks ARGS`` in ``root/infra`` (the workspace is ``root``)."""
    work = root / "infra"
    work.mkdir(exist_ok=True)
    summary, output = root / "summary.md", root / "output.txt"
    summary.touch()
    output.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "AGENTTASKS_"))}
    env |= {"AGENTTASKS_TOKEN": "t", "CI": "true"}
    if actions:
        env |= {
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_WORKSPACE": str(root),
        }
    result = run_main([*SANDBOX, *args], cwd=work, env=env)
    assert "Traceback" not in result.stderr
    return Run(
        result.returncode, result.stdout, result.stderr, summary.read_text(), output.read_text()
    )


# The runner, as far as these tests need it (actions/runner ActionCommandManager).

_COMMAND = re.compile(r"^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$")


def commands(stream: str, *, blocks: bool = True) -> list[str]:
    """The workflow commands the runner would run from ``stream``: every ``::cmd`` line (leading
    spaces trimmed) and ``##[`` anywhere in a line, except inside stop-commands blocks (or, with
    ``blocks=False``, as if the blocks were not honoured: the two streams close theirs one after
    the other, and user text must be inert even then)."""
    found, stopped = [], None
    for line in stream.split("\n"):
        text = line.lstrip()
        if not blocks and text.startswith("::stop-commands::"):
            continue
        if stopped is not None and blocks:
            if text == f"::{stopped}::":
                stopped = None
            continue
        if text.startswith("::stop-commands::"):
            stopped = text.removeprefix("::stop-commands::")
            continue
        if _COMMAND.match(text) or "##[" in line:
            found.append(text)
    return found


def annotations_in(stream: str) -> list[tuple[str, dict[str, str], str]]:
    """The annotation commands as (level, properties, message), unescaped as the runner does."""
    out = []
    for text in commands(stream):
        match = _COMMAND.match(text)
        assert match is not None, text
        props = dict(p.split("=", 1) for p in (match[2] or "").split(",") if p)
        props = {k: _unescape(v) for k, v in props.items()}
        out.append((match[1], props, _unescape(match[3])))
    return out


def _unescape(text: str) -> str:
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def outputs(text: str) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` as the runner reads it: ``name=value``, or ``name<<DELIM`` … ``DELIM``."""
    found: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            assert delimiter
            assert delimiter != "EOF"
            value = []
            for body in lines:
                if body == delimiter:
                    break
                value.append(body)
            else:
                raise AssertionError(f"output {name} is never closed")
            found[name] = "\n".join(value)
        else:
            name, value_text = line.split("=", 1)
            found[name] = value_text
    return found


# Plan


def test_plan_writes_summary_outputs_and_notices_on_each_keys_line(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "tasks.yaml").write_text(_tasks(2))
    result = run(tmp_path, "plan", "--detailed-exitcode")
    assert result.code == 2
    assert result.summary.startswith("### agenttasks plan\n\nPlan: 2 to add, 0 to change")
    assert "- `+` task.task-00 in o/r: will be created" in result.summary
    assert "```diff\n" in result.summary
    found = annotations_in(result.stdout)
    assert found == [
        (
            "notice",
            {"file": "infra/tasks.yaml", "line": "3", "col": "3", "title": "agenttasks"},
            "task.task-00 will be created in o/r",
        ),
        (
            "notice",
            {"file": "infra/tasks.yaml", "line": "6", "col": "3", "title": "agenttasks"},
            "task.task-01 will be created in o/r",
        ),
    ]
    assert commands(result.stderr) == []
    values = outputs(result.output)
    assert values["exitcode"] == "2"
    assert values["digest"].startswith("sha256:")
    assert len(values["digest"]) == 71
    assert (values["to-add"], values["to-import"], values["to-forget"]) == ("2", "0", "0")
    assert values["to-change"] == "0"
    assert "<<ghadelimiter_" in result.output


def test_thirty_creates_are_capped_with_one_closing_notice(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "tasks.yaml").write_text(_tasks(30))
    found = annotations_in(run(tmp_path, "plan", "--max-creates", "30").stdout)
    assert len(found) == 10
    assert [f[2] for f in found[:9]] == [
        f"task.task-{i:02d} will be created in o/r" for i in range(9)
    ]  # sorted by line
    assert found[-1][0] == "notice"
    assert found[-1][2] == "21 more: see the job summary"


def test_refusals_are_errors_on_their_lines(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "tasks.yaml").write_text(
        "version: 1\ntasks:\n  a:\n    repo: o/r\n    promt: x\n"
    )
    result = run(tmp_path, "validate")
    assert result.code == 1
    found = annotations_in(result.stdout)
    assert found
    assert {f[0] for f in found} == {"error"}
    assert found[0][1]["file"] == "infra/tasks.yaml"
    assert found[0][1]["line"] in {"3", "5"}


def test_json_stays_json_and_annotations_go_to_stderr(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "tasks.yaml").write_text(_tasks(1, "see ##[error]x"))
    result = run(tmp_path, "plan", "--format", "json")
    assert "see ##[error]x (0)" in json.dumps(json.loads(result.stdout), ensure_ascii=False)
    assert commands(result.stdout) == []
    assert [a[0] for a in annotations_in(result.stderr)] == ["notice"]


def test_without_github_actions_nothing_of_it_is_printed(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "tasks.yaml").write_text(_tasks(1))
    result = run(tmp_path, "plan", actions=False)
    assert "::" not in result.stdout + result.stderr
    assert result.summary == result.output == ""


# Apply


def test_apply_writes_its_report_and_outputs(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "tasks.yaml").write_text(_tasks(2))
    result = run(tmp_path, "apply", "--yes", "--min-interval", "0")
    assert result.code == 0, result.stderr
    assert result.summary.startswith(
        "### agenttasks apply\n\nApply complete! Tasks: 2 added, 0 changed, 0 destroyed.\n"
    )
    assert re.search(r"- `\+` task\.task-00: created task \S+ \(\[open\]\(https://", result.summary)
    values = outputs(result.output)
    assert (values["exitcode"], values["created"], values["failed"]) == ("0", "2", "0")
    assert [a[0] for a in annotations_in(result.stdout)] == ["notice", "notice"]
    again = run(tmp_path, "apply", "--yes", "--min-interval", "0")
    assert "No changes." in again.summary


# A hostile prompt


HOSTILE = "\n".join(
    [
        "::add-mask::x",
        "::error::boom",
        "see ##[error]legacy",
        "%0A and \r carriage",
        "```",
        "`````` six",
        "</details>",
        "    ::warning::indented",
    ]
)


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_a_hostile_prompt_runs_no_workflow_command(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "tasks.yaml").write_text(
        "version: 1\ntasks:\n  evil:\n    repo: o/r\n    prompt: " + json.dumps(HOSTILE) + "\n"
    )
    result = run(tmp_path, "plan", "--format", fmt)
    for stream in (result.stdout, result.stderr):
        for command in commands(stream):
            assert command.startswith("::notice "), command
        for command in commands(stream, blocks=False):  # even were the blocks not honoured
            assert "add-mask" not in command, command
            assert "boom" not in command, command
            assert "##[" not in command, command
    check_structure(result.summary, details=1)
    assert "::add-mask::x" in result.summary  # shown, inside the fence
    values = outputs(result.output)
    assert set(values) == {"exitcode", "digest", "to-add", "to-import", "to-forget", "to-change"}


def test_a_hostile_prompt_in_apply_runs_no_workflow_command(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "tasks.yaml").write_text(
        "version: 1\ntasks:\n  evil:\n    repo: o/r\n    prompt: " + json.dumps(HOSTILE) + "\n"
    )
    result = run(tmp_path, "apply", "--yes", "--min-interval", "0")
    for stream in (result.stdout, result.stderr):
        assert all(c.startswith("::notice ") for c in commands(stream)), stream
    assert outputs(result.output)["created"] == "1"


# The pure pieces


def test_escaping_follows_the_toolkit() -> None:
    assert escape_data("50% a\r\nb:c,d") == "50%25 a%0D%0Ab:c,d"
    assert escape_property("50% a\r\nb:c,d") == "50%25 a%0D%0Ab%3Ac%2Cd"
    line = annotation_line(Annotation(Level.WARNING, "x\ny", "a,b:c.yaml", 3, 5, "t:1"))
    assert line == "::warning file=a%2Cb%3Ac.yaml,line=3,col=5,title=t%3A1::x%0Ay"


def test_caps_keep_the_most_severe_and_say_how_many_more() -> None:
    found = [Annotation(Level.NOTICE, f"n{i}") for i in range(3)]
    found += [Annotation(Level.WARNING, f"w{i:02d}") for i in range(12)]
    found += [Annotation(Level.ERROR, f"e{i:02d}") for i in range(11)]
    kept = capped(found)
    levels = [a.level for a in kept]
    assert levels == [Level.ERROR] * 10 + [Level.WARNING] * 10 + [Level.NOTICE] * 4
    assert kept[-1].message == "3 more: see the job summary"
    assert capped(found[:3]) == found[:3]


def test_an_output_value_cannot_end_its_delimiter() -> None:
    assert output_file({"a": "1\n2"}, "D1") == "a<<D1\n1\n2\nD1\n"
    with pytest.raises(ValueError, match="delimiter"):
        output_file({"a": "x\nD1\ny=1"}, "D1")
