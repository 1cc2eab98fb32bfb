"""Hand-edited states that once crashed later (exit 70): a naive time, year 1, JSON nested past
Python's recursion limit. Each is a StateError naming the file, and the file is never changed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reconciler.errors import StateError
from reconciler.state.format import decode
from tests.inprocess import run_main

RECORD = {
    "task_id": "t1",
    "repo": "o/r",
    "digest": "0" * 64,
    "created_at": "2026-01-01T00:00:00Z",
}
TAIL = "it was not changed. No backup exists."


def state(**record: object) -> str:
    return json.dumps({"format": 1, "tasks": {"a": {**RECORD, **record}}})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            state(created_at="2026-01-01T00:00:00"),
            f"state file s.json is damaged at tasks.a.created_at: Input should have timezone info;"
            f" {TAIL}",
        ),
        (
            state(created_at="0001-01-01T00:00:00Z"),
            "state file s.json is damaged at tasks.a.created_at: a time between the years 1970"
            f" and 9000 was expected; {TAIL}",
        ),
        (
            state(last_seen_at="9999-12-31T23:59:59+00:00"),
            "state file s.json is damaged at tasks.a.last_seen_at: a time between the years 1970"
            f" and 9000 was expected; {TAIL}",
        ),
        (
            json.dumps({"format": 1, "written_at": "2026-01-01T00:00:00"}),
            f"state file s.json is damaged at written_at: Input should have timezone info; {TAIL}",
        ),
        (
            '{"format": 1, "tasks": ' + "[" * 100_000 + "]" * 100_000 + "}",
            f"state file s.json is not valid JSON (nested too deeply); {TAIL}",
        ),
        (
            state(body={"prompt": "\ud800"}),
            "state file s.json holds an escaped lone surrogate (\\ud800), which no UTF-8 text"
            f" can hold; {TAIL}",
        ),
        (
            "[" * 100_000,
            f"state file s.json is not valid JSON (nested too deeply); {TAIL}",
        ),
    ],
)
def test_a_hostile_state_is_a_state_error(text: str, message: str) -> None:
    with pytest.raises(StateError) as caught:
        decode(text, path="s.json")
    assert str(caught.value) == message


def test_plan_on_a_naive_state_is_one_line_and_the_file_is_kept(tmp_path: Path) -> None:
    (tmp_path / "tasks.yaml").write_text("version: 1\ntasks:\n  a:\n    repo: o/r\n    prompt: x\n")
    path = tmp_path / "agenttasks.state.json"
    text = state(created_at="2026-01-01T00:00:00")
    path.write_text(text)
    env = {**os.environ, "AGENTTASKS_TOKEN": "t", "CI": "true"}
    for args in (["plan"], ["apply", "--yes"], ["state", "list"]):
        result = run_main(["--api-url", "sandbox:sb.json", *args], cwd=tmp_path, env=env)
        assert (result.returncode, result.stdout, result.stderr) == (
            1,
            "",
            "Error: state file agenttasks.state.json is damaged at tasks.a.created_at: Input should"
            f" have timezone info; {TAIL}\n",
        )
    assert path.read_text() == text


def test_an_escaped_surrogate_pair_is_one_character() -> None:
    text = state(body={"prompt": "\U0001f600"})
    assert "\\ud83d\\ude00" in text
    record = decode(text, path="s.json").tasks["a"]
    assert record.body is not None
    assert record.body.prompt == "\U0001f600"


def test_a_saved_plan_nested_too_deeply_is_not_a_saved_plan(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text("[" * 100_000)
    env = {**os.environ, "AGENTTASKS_TOKEN": "t"}
    result = run_main(["show", "p.json"], cwd=tmp_path, env=env)
    assert (result.returncode, result.stderr) == (
        1,
        "Error: p.json is not a saved plan (make one with: agenttasks plan --out FILE)\n",
    )
