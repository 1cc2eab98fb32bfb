"""``action.yml`` run as the runner runs it: its steps' ``run:`` scripts in order, each with its
``env:`` (inputs substituted), the ``GITHUB_*`` files and the event, against the served sandbox
over loopback (agent tasks, the state branch, the pull request and its comments).

The install step (a virtualenv and ``pip install`` of the checkout) runs in the soak step; the
short profile puts this interpreter's ``bin`` on the path instead, as the install step's
``GITHUB_PATH`` line would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from ruamel.yaml import YAML

from tests.client.served import ServedSandbox
from tests.conftest import full_size_only

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
REPO = "octo/web"
PR = 7
HEAD = "b" * 40
MERGE = "e" * 40
AGENT_TOKEN = "github_pat_agentTasksTokenForTheActionTest00"
ACTIONS_TOKEN = "ghs_actionsTokenForTheActionTest000000000"
TASKS = {"alpha": "Fix the login button.", "beta": "Speed up the search page."}


def _tasks(root: Path, tasks: Mapping[str, str]) -> None:
    lines = ["version: 1", "tasks:"]
    for key, prompt in tasks.items():
        lines += [f"  {key}:", f"    repo: {REPO}", f"    prompt: {json.dumps(prompt)}"]
    (root / "tasks.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass
class Step:
    """One step's outcome: exit code, output, the outputs it wrote."""

    code: int
    out: str
    outputs: dict[str, str] = field(default_factory=dict)


def _outputs(text: str) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` as the runner reads it: ``name=value`` and ``name<<DELIM`` blocks."""
    found: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            for inner in lines:
                if inner == delimiter:
                    break
                value.append(inner)
            found[name] = "\n".join(value)
        elif "=" in line:
            name, value_text = line.split("=", 1)
            found[name] = value_text
    return found


class Runner:
    """Runs ``action.yml``'s steps like the Actions runner: one ``bash`` per step."""

    def __init__(self, work: Path, served: ServedSandbox, *, install: bool) -> None:
        self.work, self.served, self.install = work, served, install
        self.action = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))
        self.temp = work.parent / "runner-temp"
        self.temp.mkdir(exist_ok=True)
        self.path = [] if install else [str(Path(sys.executable).parent)]

    def run(self, event: str, inputs: Mapping[str, str], **github: str) -> tuple[Step, str]:
        """Every step in order, stopping at the first that fails; the last step and the
        step summary."""
        summary = self.temp / "summary.md"
        summary.write_text("", encoding="utf-8")
        given = {
            name: inputs.get(name, spec.get("default", ""))
            for name, spec in self.action["inputs"].items()
        }
        event_file = self.temp / "event.json"
        payload = {"pull_request": {"number": PR}} if event == "pull_request" else {}
        event_file.write_text(json.dumps(payload), encoding="utf-8")
        step = Step(0, "")
        for spec in self.action["runs"]["steps"]:
            if not self.install and "action/install" in spec["run"]:
                continue
            step = self._step(spec, given, event, event_file, summary, github)
            if step.code != 0:
                break
        return step, summary.read_text(encoding="utf-8")

    def _step(
        self,
        spec: dict[str, object],
        given: Mapping[str, str],
        event: str,
        event_file: Path,
        summary: Path,
        github: Mapping[str, str],
    ) -> Step:
        output, path_file = self.temp / "output", self.temp / "path"
        output.write_text("", encoding="utf-8")
        path_file.write_text("", encoding="utf-8")
        env_spec = spec.get("env") or {}
        assert isinstance(env_spec, dict)
        step_env = {
            name: re.sub(r"\$\{\{ inputs\.([a-z-]+) \}\}", lambda m: given[m.group(1)], str(v))
            for name, v in env_spec.items()
        }
        base = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
        env = {
            **base,
            "PATH": os.pathsep.join([*self.path, base.get("PATH", "")]),
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_WORKSPACE": str(self.work),
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(event_file),
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_PATH": str(path_file),
            "RUNNER_TEMP": str(self.temp),
            "AGENTTASKS_API_URL": self.served.url,
            "AGENTTASKS_TOKEN": AGENT_TOKEN,
            "GITHUB_TOKEN": ACTIONS_TOKEN,
            **github,
            **step_env,
        }
        done = subprocess.run(
            ["bash", "-c", str(spec["run"])],
            cwd=self.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        self.path = [*path_file.read_text(encoding="utf-8").split(), *self.path]
        return Step(done.returncode, done.stdout + done.stderr, _outputs(output.read_text()))


@pytest.fixture
def served() -> Iterator[ServedSandbox]:
    with ServedSandbox() as sandbox:
        for token, user in ((AGENT_TOKEN, 101), (ACTIONS_TOKEN, 202)):
            sandbox.control.post("/_sandbox/tokens", json={"token": token, "user_id": user})
        sandbox.control.post("/_sandbox/repos", json={"repo": REPO}).raise_for_status()
        sandbox.control.post("/_sandbox/pulls", json={"repo": REPO, "number": PR, "head_sha": HEAD})
        yield sandbox


def _comments(served: ServedSandbox) -> list[str]:
    listed = httpx.get(
        f"{served.url}/repos/{REPO}/issues/{PR}/comments",
        headers={"Authorization": f"Bearer {ACTIONS_TOKEN}"},
    ).json()
    return [c["body"] for c in listed]


def _merge(served: ServedSandbox, sha: str) -> None:
    served.control.post(
        "/_sandbox/pulls",
        json={
            "repo": REPO,
            "number": PR,
            "merged_at": "2026-01-01T01:00:00Z",
            "merge_commit_sha": sha,
            "state": "closed",
        },
    ).raise_for_status()


def _flow(tmp_path: Path, served: ServedSandbox, *, install: bool) -> None:
    work = tmp_path / "checkout"
    work.mkdir()
    (work / ".git").mkdir()
    _tasks(work, TASKS)
    runner = Runner(work, served, install=install)

    # The plan job on the pull request: exit 2 is an output, the step succeeds, the comment.
    planned, summary = runner.run("pull_request", {"command": "plan"}, GITHUB_SHA=HEAD)
    assert planned.code == 0, planned.out
    assert planned.outputs["exitcode"] == "2"
    assert planned.outputs["digest"].startswith("sha256:")
    assert planned.outputs["to-add"] == "2"
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in summary
    [comment] = _comments(served)
    assert f"digest={planned.outputs['digest']}" in comment

    # The apply job on push: bound by the digest, the state on its branch, the comment told.
    _merge(served, MERGE)
    applied, summary = runner.run("push", {"command": "apply"}, GITHUB_SHA=MERGE)
    assert applied.code == 0, applied.out
    assert "Apply complete! Tasks: 2 added" in applied.out
    assert "### agenttasks apply" in _comments(served)[0]
    branch = httpx.get(
        f"{served.url}/repos/{REPO}/git/ref/heads/agenttasks-state",
        headers={"Authorization": f"Bearer {ACTIONS_TOKEN}"},
    )
    assert branch.status_code == 200, "the state lives on its branch"
    assert not (work / "agenttasks.state.json").exists()

    # A change merged without review: the step fails, and the comment says why.
    _tasks(work, {**TASKS, "gamma": "Tidy the README."})
    _merge(served, "f" * 40)
    refused, _ = runner.run("push", {"command": "apply"}, GITHUB_SHA="f" * 40)
    assert refused.code == 5, refused.out
    assert "not applied: the plan changed since review" in refused.out
    assert "### Not applied" in _comments(served)[0]
    posts = [r for r in served.requests() if r["method"] == "POST" and "/agents/" in r["path"]]
    assert len(posts) == 2


def test_the_action_plans_on_a_pull_request_and_applies_what_was_reviewed(
    tmp_path: Path, served: ServedSandbox
) -> None:
    _flow(tmp_path, served, install=False)


@pytest.mark.soak
def test_the_action_installs_itself_and_does_the_same(
    tmp_path: Path, served: ServedSandbox, soak_rounds: int
) -> None:
    full_size_only(soak_rounds)
    _flow(tmp_path, served, install=True)
