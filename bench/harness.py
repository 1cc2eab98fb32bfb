"""What the benchmarks share: a served sandbox in a subprocess, and median timings of processes."""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Users' Pythons cache bytecode (and pip compiles wheels at install). A machine that sets this
# would make every timed process compile the package from source again: the warm-up could not warm.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

TOKEN = "bench-token"
USER_ID = 1
CLI = [sys.executable, "-m", "reconciler"]


@contextmanager
def served_sandbox(latency_ms: int) -> Iterator[str]:
    """The served sandbox's URL (``--token TOKEN``, user ``USER_ID``) while the block runs."""
    command = [*CLI, "sandbox", "serve", "--port", "0", "--user-id", str(USER_ID)]
    args = ["--latency-ms", str(latency_ms), "--token", TOKEN]
    process = subprocess.Popen([*command, *args], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        found = re.search(r"listening on (http://\S+)", process.stdout.readline())
        if not found:
            raise SystemExit("the sandbox did not start")
        yield found.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def arguments(description: str | None, *, tasks: int, repos: int) -> argparse.Namespace:
    """The options an organisation benchmark takes: runs, tasks, repositories, latency."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=5, help="timed runs (after a warm-up)")
    parser.add_argument("--tasks", type=int, default=tasks)
    parser.add_argument("--repos", type=int, default=repos)
    parser.add_argument("--latency-ms", type=int, default=20)
    return parser.parse_args()


def bench_env() -> dict[str, str]:
    """The environment a timed ``agenttasks`` runs in: the sandbox's token, no colour, no URL."""
    env = {**os.environ, "AGENTTASKS_TOKEN": TOKEN, "NO_COLOR": "1"}
    env.pop("AGENTTASKS_API_URL", None)
    return env


def median_seconds(command: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    """Median wall time of ``runs`` fresh processes (after one warm-up run)."""
    times = []
    for attempt in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        if attempt:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def libyaml_seconds(files: list[Path]) -> float:
    """Best of five in-process libyaml loads (PyYAML's ``CSafeLoader``) of every file: the parse
    part of a floor, what the fastest YAML reader Python has costs for the same text."""
    import yaml  # only the benchmarks that measure a floor need it

    texts = [path.read_text(encoding="utf-8") for path in files]
    best = math.inf
    for _ in range(5):
        started = time.perf_counter()
        for text in texts:
            yaml.load(text, Loader=yaml.CSafeLoader)
        best = min(best, time.perf_counter() - started)
    return best
