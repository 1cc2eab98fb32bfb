"""The wrong answers of issue 11, each pinned to its right answer. In-process, against the
built-in sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.spec.names import key_problem, repo_problem
from tests.inprocess import run_main

TASKS = "version: 1\ntasks:\n  a:\n    repo: o/r\n    prompt: x\n"
SANDBOX = ("--api-url", "sandbox:sandbox.json")


def run(cwd: Path, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "AGENTTASKS_TOKEN": "t", "CI": "true"}
    env.pop("AGENTTASKS_API_URL", None)
    result = run_main(list(args), cwd=cwd, env=env)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout, result.stderr


# a. names are full matches: a trailing newline is not a name.


@pytest.mark.parametrize("name", ["octo/web\n", "octo\n/web", "octo/web\r"])
def test_repo_with_a_newline_is_refused(name: str) -> None:
    assert repo_problem(name) is not None


def test_key_with_a_trailing_newline_is_refused() -> None:
    assert key_problem("fix-login\n") is not None
    assert key_problem("fix-login") is None


def test_validate_refuses_what_plan_refuses(tmp_path: Path) -> None:
    (tmp_path / "tasks.yaml").write_text(
        'version: 1\ntasks:\n  a:\n    repo: "octo/web\\n"\n    prompt: x\n'
    )
    code, _, err = run(tmp_path, "validate")
    assert code == 1, err
    assert "repository" in err


# c. NO_COLOR: only a non-empty value disables colour (no-color.org).


@pytest.mark.parametrize(
    ("flag", "env", "tty", "wanted"),
    [
        (False, {}, True, True),
        (False, {"NO_COLOR": ""}, True, True),
        (False, {"NO_COLOR": "1"}, True, False),
        (False, {"NO_COLOR": "0"}, True, False),
        (True, {}, True, False),
        (False, {}, False, False),
    ],
)
def test_no_color_only_when_non_empty(
    flag: bool, env: dict[str, str], tty: bool, wanted: bool
) -> None:
    from reconciler.cli.main import colour_wanted

    assert colour_wanted(no_color=flag, environ=env, tty=tty) is wanted


# e. numeric options: one Error: line, exit 1.

APPLY_WAIT = "takes a number of seconds from 0 and at most 1000000"
CASES: dict[str, tuple[tuple[str, ...], str]] = {
    "max creates negative": (
        (*SANDBOX, "plan", "--max-creates", "-1"),
        "Error: --max-creates takes a whole number from 0, not '-1'",
    ),
    "max creates negative on apply": (
        (*SANDBOX, "apply", "--yes", "--max-creates", "-1"),
        "Error: --max-creates takes a whole number from 0, not '-1'",
    ),
    "max creates not a number": (
        (*SANDBOX, "plan", "--max-creates", "many"),
        "Error: --max-creates takes a whole number from 0, not 'many'",
    ),
    "min interval negative": (
        (*SANDBOX, "apply", "--yes", "--min-interval", "-1"),
        f"Error: --min-interval {APPLY_WAIT}, not '-1'",
    ),
    "apply timeout negative": (
        (*SANDBOX, "apply", "--yes", "--wait", "--timeout", "-1"),
        f"Error: --timeout {APPLY_WAIT}, not '-1'",
    ),
    "apply timeout nan": (
        (*SANDBOX, "apply", "--yes", "--timeout", "nan"),
        f"Error: --timeout {APPLY_WAIT}, not 'nan'",
    ),
    "status timeout nan": (
        (*SANDBOX, "status", "--timeout", "nan"),
        f"Error: --timeout {APPLY_WAIT}, not 'nan'",
    ),
    "max create rate garbage": (
        (*SANDBOX, "apply", "--yes", "--max-create-rate", "lots"),
        "Error: --max-create-rate 'lots': expected rates like 80/min,500/h (units s, min, h;"
        " counts of at least 1), or off.",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_number_is_one_line(tmp_path: Path, case: str) -> None:
    (tmp_path / "tasks.yaml").write_text(TASKS)
    args, message = CASES[case]
    assert run(tmp_path, *args) == (1, "", message + "\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tasks.yaml"]


# f. a full disk names the state file, never "None".

_FULL = """
import resource, sys
from datetime import UTC, datetime
from pathlib import Path
from reconciler.errors import StateError
from reconciler.state.lock import StateLock
from reconciler.state.store import StateStore

with StateLock(Path(sys.argv[1]), command="apply") as lock:
    store = StateStore(lock)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))  # no room for the state: a write fails
    try:
        store.save(store.state, datetime.now(UTC))
    except StateError as error:
        print(error)
"""


def test_a_failed_write_names_the_state_file(tmp_path: Path) -> None:
    """A write refused by the system (here: the file-size limit, as a full disk would) is told
    with the state file's name, not the ``None`` of an error that carries no file name."""
    state = tmp_path / "s.json"
    said = subprocess.run(
        [sys.executable, "-c", _FULL, str(state)], capture_output=True, text=True, check=True
    ).stdout
    assert "None" not in said
    assert f"(File too large: {state})" in said
    assert not state.exists()


# b. a plan whose only content is "Needs attention" (DESIGN §4): the block, the zero summary
# sentence (never "No changes."), exit 2 with --detailed-exitcode; apply creates nothing, exit 0.

ONLY_B = "version: 1\ntasks:\n  b:\n    repo: o/r\n    prompt: y\n"
BOTH = TASKS + "  b:\n    repo: o/r\n    prompt: y\n"
ZERO = "Plan: 0 to add, 0 to change, 0 to destroy."
FORGOTTEN = "task.a: was run and forgotten on "


def _forgotten_and_declared_again(tmp_path: Path) -> Path:
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(BOTH)
    assert run(tmp_path, *SANDBOX, "apply", "--yes", "--min-interval", "0")[0] == 0
    tasks.write_text(ONLY_B)
    assert run(tmp_path, *SANDBOX, "apply", "--yes", "--min-interval", "0")[0] == 0
    tasks.write_text(BOTH)
    return tasks


def test_attention_only_plan_is_not_no_changes(tmp_path: Path) -> None:
    _forgotten_and_declared_again(tmp_path)
    code, out, err = run(tmp_path, *SANDBOX, "plan", "--detailed-exitcode")
    assert code == 2, (out, err)
    assert FORGOTTEN in out
    assert ZERO in out
    assert "No changes." not in out


def test_attention_only_plan_without_detailed_exitcode_exits_0(tmp_path: Path) -> None:
    _forgotten_and_declared_again(tmp_path)
    code, out, _ = run(tmp_path, *SANDBOX, "plan")
    assert code == 0
    assert ZERO in out


def test_attention_only_markdown_and_json(tmp_path: Path) -> None:
    import json

    _forgotten_and_declared_again(tmp_path)
    code, out, _ = run(tmp_path, *SANDBOX, "plan", "--format", "markdown", "--detailed-exitcode")
    assert code == 2
    assert ZERO in out
    assert "No changes." not in out
    code, out, _ = run(tmp_path, *SANDBOX, "plan", "--format", "json", "--detailed-exitcode")
    assert code == 2
    document = json.loads(out)
    assert [a["key"] for a in document["needs_attention"]] == ["a"]
    assert document["summary"]["add"] == 0
    assert document["summary"]["changes"] is False  # applying changes nothing


def test_attention_only_apply_repeats_the_block_and_exits_0(tmp_path: Path) -> None:
    _forgotten_and_declared_again(tmp_path)
    state = (tmp_path / "agenttasks.state.json").read_text()
    code, out, err = run(tmp_path, *SANDBOX, "apply", "--yes", "--min-interval", "0")
    assert code == 0, err
    assert FORGOTTEN in out
    assert "No changes." not in out
    assert (tmp_path / "agenttasks.state.json").read_text() == state


# d. --target matching nothing and --replace of an unknown key are one-line usage errors;
# --replace takes globs as --target does.

THREE = (
    "version: 1\ntasks:\n"
    "  fix-login:\n    repo: o/r\n    prompt: x\n"
    "  fix-search:\n    repo: o/r\n    prompt: y\n"
    "  tidy-readme:\n    repo: o/r\n    prompt: z\n"
)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("plan", "--target", "fix-logni"),
            "Error: --target 'fix-logni' matches no declared or tracked key (3 declared);"
            " did you mean 'fix-login'?",
        ),
        (
            ("apply", "--yes", "--target", "zzz*"),
            "Error: --target 'zzz*' matches no declared or tracked key (3 declared)",
        ),
        (
            ("apply", "--yes", "--exclude", "tidy-readem"),
            "Error: --exclude 'tidy-readem' matches no declared or tracked key (3 declared);"
            " did you mean 'tidy-readme'?",
        ),
        (
            ("plan", "--replace", "tidy-readem"),
            "Error: --replace 'tidy-readem' matches no declared key (3 declared);"
            " did you mean 'tidy-readme'?",
        ),
        (
            ("apply", "--yes", "--replace", "nothing-*"),
            "Error: --replace 'nothing-*' matches no declared key (3 declared)",
        ),
    ],
)
def test_selection_matching_nothing_is_an_error(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "tasks.yaml").write_text(THREE)
    assert run(tmp_path, *SANDBOX, *args) == (1, "", message + "\n")
    assert not (tmp_path / "agenttasks.state.json").exists()


def test_replace_takes_globs(tmp_path: Path) -> None:
    (tmp_path / "tasks.yaml").write_text(THREE)
    assert run(tmp_path, *SANDBOX, "apply", "--yes", "--min-interval", "0")[0] == 0
    code, out, err = run(tmp_path, *SANDBOX, "plan", "--replace", "fix-*")
    assert code == 0, err
    assert "Plan: 2 to add, 0 to change, 0 to destroy, 2 to forget." in out
    assert "task.fix-login will be re-run" in out
    assert "task.fix-search will be re-run" in out
    assert "tidy-readme will be" not in out


def test_target_of_a_tracked_key_no_longer_declared_is_fine(tmp_path: Path) -> None:
    (tmp_path / "tasks.yaml").write_text(THREE)
    assert run(tmp_path, *SANDBOX, "apply", "--yes", "--min-interval", "0")[0] == 0
    (tmp_path / "tasks.yaml").write_text(THREE.split("  tidy-readme:")[0])
    code, out, err = run(tmp_path, *SANDBOX, "plan", "--target", "tidy-readme")
    assert code == 0, err
    assert "task.tidy-readme will be forgotten" in out
