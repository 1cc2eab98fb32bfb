"""Sandbox fixtures: an in-process sandbox on a manual clock, and one served in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox import ManualClock, Sandbox

BASE = "https://api.github.com"
TOKEN = "ghp_sandboxtesttoken"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(clock: ManualClock) -> Sandbox:
    return Sandbox(clock=clock, seed=7)


DEFAULT_TIMEOUT = httpx.Timeout(10.0)


def client_for(
    sandbox: Sandbox, token: str | None = TOKEN, timeout: httpx.Timeout = DEFAULT_TIMEOUT
) -> httpx.Client:
    """An httpx client on the in-process sandbox, authenticated unless ``token`` is None."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(
        transport=sandbox.transport(), base_url=BASE, headers=headers, timeout=timeout
    )


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with client_for(sandbox) as http:
        yield http


ROOT = Path(__file__).resolve().parents[2]
# The served sandbox runs the real CLI with the OpenAPI check installed as its observer, so its
# responses are held to the description too; a mismatch is a 500 plus a ConformanceError on stderr.
CHECKED_CLI = (
    "from reconciler.sandbox import add_observer; from tests.sandbox.openapi import check;"
    " add_observer(check); from reconciler.cli.main import main; main()"
)


def agenttasks() -> list[str]:
    """The installed command line, as a user runs it."""
    script = Path(sys.executable).parent / "agenttasks"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from reconciler.cli.main import main; main()"]


@dataclass
class Served:
    """A sandbox served by ``agenttasks sandbox serve`` in a subprocess."""

    process: subprocess.Popen[str]
    url: str
    stderr: str = ""

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=DEFAULT_TIMEOUT)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=10)
            if self.process.stderr is not None and not self.process.stderr.closed:
                self.stderr += self.process.stderr.read()
        finally:
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
        return code


def start(*options: str, cwd: Path | None = None) -> Served:
    """Start the server on a free port and wait for its ``listening`` line."""
    command = [sys.executable, "-c", CHECKED_CLI, "sandbox", "serve", "--port", "0", *options]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # the server prints it once ready, or exits
    if not line.startswith("sandbox listening on "):
        served = Served(process, "")
        served.stop()
        raise AssertionError(f"sandbox did not start: {line!r}\n{served.stderr}")
    return Served(process, line.removeprefix("sandbox listening on ").strip())


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def run(*options: str, cwd: Path | None = None) -> Served:
        served = start(*options, cwd=cwd)
        started.append(served)
        return served

    yield run
    for served in started:
        served.stop()
        assert "ConformanceError" not in served.stderr, served.stderr
