"""``agenttasks sandbox serve`` in a subprocess, on a free loopback port, with its control route."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from typing import Any

import httpx


class ServedSandbox:
    """``with ServedSandbox("--token", T) as served:`` → ``served.url``; stopped on exit."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.url = ""

    def __enter__(self) -> ServedSandbox:
        command = [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", "0"]
        self.process = subprocess.Popen(
            [*command, *self.args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(r"sandbox listening on (http://\S+)", line)
        if not found:
            self.__exit__()
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        self.url = found.group(1)
        self.control = httpx.Client(base_url=self.url, timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        if getattr(self, "control", None) is not None:
            self.control.close()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()

    def seed(self, repo: str, count: int) -> None:
        """Add ``count`` tasks to ``repo`` through the control route."""
        for n in range(count):
            answer = self.control.post("/_sandbox/tasks", json={"repo": repo, "prompt": f"t{n}"})
            answer.raise_for_status()

    def add_fault(self, rule: str) -> None:
        """Add a fault rule in its text form."""
        self.control.post("/_sandbox/faults", json={"rule": rule}).raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        """The API requests the sandbox recorded."""
        answer = self.control.get("/_sandbox/requests")
        answer.raise_for_status()
        found: list[dict[str, Any]] = answer.json()["requests"]
        return found

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self.control.delete("/_sandbox/requests").raise_for_status()
