"""Fixtures for ``apply`` end to end: a served sandbox with its control route, and a project
directory whose ``agenttasks`` runs against it: in-process (``tests.inprocess.run_main``, the same
path as the command line) unless the test needs a real process (signals, ``kill -9``,
failpoints)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.context import GlobalOptions
from reconciler.commands.plan import Selection
from tests.inprocess import run_command, run_main, working_directory
from tests.sandbox.conftest import Served, start

TOKEN = "ghp_applyEndToEndTokenNotSecret0000000000"
REPO = "octo/web"


class Sandbox:
    """A served sandbox: its URL and what its control route says and does."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.url = served.url
        self.control = httpx.Client(base_url=served.url, timeout=10)

    def close(self) -> None:
        self.control.close()
        self.served.stop()
        assert "ConformanceError" not in self.served.stderr, self.served.stderr

    def requests(self, method: str | None = None) -> list[dict[str, Any]]:
        answer = self.control.get("/_sandbox/requests")
        answer.raise_for_status()
        found: list[dict[str, Any]] = answer.json()["requests"]
        return [r for r in found if method is None or r["method"] == method]

    def posts(self) -> list[dict[str, Any]]:
        return self.requests("POST")

    def clear_requests(self) -> None:
        self.control.delete("/_sandbox/requests").raise_for_status()

    def add_fault(self, rule: str) -> None:
        self.control.post("/_sandbox/faults", json={"rule": rule}).raise_for_status()

    def faults(self) -> list[dict[str, Any]]:
        answer = self.control.get("/_sandbox/faults")
        answer.raise_for_status()
        found: list[dict[str, Any]] = answer.json()["faults"]
        return found

    def clear_faults(self) -> None:
        self.control.delete("/_sandbox/faults").raise_for_status()

    def tasks(self, repo: str | None = None) -> list[dict[str, Any]]:
        answer = self.control.get("/_sandbox/tasks")
        answer.raise_for_status()
        found: list[dict[str, Any]] = answer.json()["tasks"]
        return [t for t in found if repo is None or t["repo"].lower() == repo.lower()]

    def advance(self, seconds: float) -> None:
        """Move the sandbox's clock (its ``Date`` headers, so the server time apply dates
        intents by and measures settle windows in)."""
        self.control.post("/_sandbox/clock", json={"advance": seconds}).raise_for_status()


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    """One served sandbox for a test module (per xdist worker): starting one costs 0.4 s or more.

    Tests stay apart by repository (``project`` gives each test its own); see ``sandbox``."""
    sandbox = Sandbox(start())
    yield sandbox
    sandbox.close()


@pytest.fixture
def sandbox(shared_sandbox: Sandbox) -> Sandbox:
    """The module's served sandbox, with no fault and no recorded request left by an earlier
    test. Its clock may have been moved forward by one; a test that stops the sandbox, or needs
    other ``serve`` options, uses ``serve`` instead."""
    shared_sandbox.clear_faults()
    shared_sandbox.clear_requests()
    return shared_sandbox


@pytest.fixture
def serve() -> Iterator[Callable[..., Sandbox]]:
    """``serve(*options)``: ``agenttasks sandbox serve`` in a subprocess; stopped after the test."""
    started: list[Sandbox] = []

    def run(*options: str) -> Sandbox:
        sandbox = Sandbox(start(*options))
        started.append(sandbox)
        return sandbox

    yield run
    for sandbox in started:
        sandbox.close()


def tasks_yaml(tasks: Mapping[str, Mapping[str, Any]], *, repo: str = REPO) -> str:
    """A tasks file declaring ``tasks`` (key → fields); strings are written JSON-quoted."""
    lines = ["version: 1", "settings:", "  max_creates: 100", "defaults:", f"  repo: {repo}"]
    lines.append("tasks:")
    for key, fields in tasks.items():
        lines.append(f"  {key}:")
        lines.extend(f"    {name}: {json.dumps(value)}" for name, value in fields.items())
    return "\n".join(lines) + "\n"


def prompts(count: int, *, prefix: str = "Task") -> dict[str, dict[str, Any]]:
    """``count`` tasks ``t00``, ``t01``, … with distinct one-line prompts."""
    return {f"t{n:02d}": {"prompt": f"{prefix} number {n}"} for n in range(count)}


class Project:
    """A directory with a tasks file, where ``agenttasks`` runs against a served sandbox."""

    def __init__(self, root: Path, sandbox: Sandbox, *, repo: str = REPO) -> None:
        self.root = root
        self.sandbox = sandbox
        self.declared: dict[str, dict[str, Any]] = {}
        self.repo = repo

    def declare(self, tasks: Mapping[str, Mapping[str, Any]], *, repo: str | None = None) -> None:
        """Write ``tasks`` to ``tasks.yaml``, in ``repo`` (default: the project's own)."""
        self.declared = {k: dict(v) for k, v in tasks.items()}
        self.repo = repo or self.repo
        repo = self.repo
        (self.root / "tasks.yaml").write_text(tasks_yaml(tasks, repo=repo), encoding="utf-8")

    def arguments(self, *args: str, post_timeout: float | None = None) -> list[str]:
        extra = ["--post-timeout", f"{post_timeout:g}"] if post_timeout is not None else []
        return ["--api-url", self.sandbox.url, *extra, *args]

    def command(self, *args: str, post_timeout: float | None = None) -> list[str]:
        return [
            sys.executable,
            "-m",
            "reconciler",
            *self.arguments(*args, post_timeout=post_timeout),
        ]

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if k != "AGENTTASKS_FAILPOINT"}
        inherited.pop("NO_COLOR", None)
        return {**inherited, "AGENTTASKS_TOKEN": TOKEN, "CI": "true", **(extra or {})}

    def run(
        self,
        *args: str,
        post_timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """``agenttasks ARGS`` in-process, in the project's directory."""
        return run_main(
            self.arguments(*args, post_timeout=post_timeout), cwd=self.root, env=self.env(env)
        )

    def run_process(
        self,
        *args: str,
        post_timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        """``agenttasks ARGS`` as a real subprocess (for failpoints, which kill the process)."""
        return subprocess.run(
            self.command(*args, post_timeout=post_timeout),
            cwd=self.root,
            capture_output=True,
            text=True,
            env=self.env(env),
            timeout=timeout,
            check=False,
        )

    def popen(
        self,
        *args: str,
        post_timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        stdout: IO[str] | int = subprocess.PIPE,
    ) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args, post_timeout=post_timeout),
            cwd=self.root,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(env),
        )

    def apply(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return self.run("apply", "--yes", "--min-interval", "0", *args, **kwargs)

    def run_apply(self, **options: Any) -> subprocess.CompletedProcess[str]:
        """``commands.apply.run_apply`` itself (``--yes --min-interval 0`` unless ``options``
        say otherwise), for what no command-line option reaches, such as ``wait_interval``."""
        chosen = ApplyOptions(**{"yes": True, "min_interval": 0.0, **options})
        with working_directory(self.root):
            return run_command(
                lambda ctx: run_apply(
                    ctx, files=(), state=None, plan_path=None, selection=Selection(), options=chosen
                ),
                options=GlobalOptions(api_url=self.sandbox.url),
                env=self.env(),
            )

    def apply_process(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return self.run_process("apply", "--yes", "--min-interval", "0", *args, **kwargs)

    @property
    def state_path(self) -> Path:
        return self.root / "agenttasks.state.json"

    def state(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.state_path.read_text(encoding="utf-8"))
        return loaded

    def assert_each_task_once(self) -> None:
        """The crash invariant: every declared task exists exactly once in the sandbox and is
        recorded once in the state, and no intent is left."""
        remote = self.sandbox.tasks(self.repo)
        names = Counter(t["name"] for t in remote)
        wanted = Counter(str(v["prompt"]).splitlines()[0] for v in self.declared.values())
        assert names == wanted, f"sandbox tasks {names} != declared {wanted}"
        state = self.state()
        assert state["intents"] == {}
        assert set(state["tasks"]) == set(self.declared)
        by_id = {t["id"]: t for t in remote}
        for key, record in state["tasks"].items():
            task = by_id.get(record["task_id"])
            assert task is not None, f"{key} is recorded as {record['task_id']}, not in sandbox"
            assert task["name"] == str(self.declared[key]["prompt"]).splitlines()[0]


_repos = itertools.count()


@pytest.fixture
def repo() -> str:
    """The test's own repository (``octo/web-N``), so tests can share a served sandbox."""
    return f"{REPO}-{next(_repos)}"


@pytest.fixture
def project(tmp_path: Path, sandbox: Sandbox, repo: str) -> Project:
    """A project in the test's own repository."""
    return Project(tmp_path, sandbox, repo=repo)


def reap(process: subprocess.Popen[str], timeout: float = 30) -> tuple[str, str]:
    """Wait for ``process`` and read its output, closing its pipes."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return out, err
