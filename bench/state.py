"""Benchmark: ``apply`` with its state on a GitHub branch against the local state file (issue 10).

Run by hand from the repository root: ``python bench/state.py [--creates N] [--latency-ms N]``.
It starts ``agenttasks sandbox serve --latency-ms 20`` on a free loopback port and, in one run,
applies the same N tasks (N=100, in a repository never used before) twice:

- with the local state file (``--state PATH``), the baseline;
- with ``--state github:bench-org/state@agenttasks-state:PREFIX.json``: every save is a commit
  (tree, commit, ref swap) on the sandbox's git data.

Both as real processes, ``--yes --min-interval 0 --max-create-rate off``. It prints the wall time
of each, their ratio, and the requests the sandbox recorded per create: over the whole run (with
the lock, the first intent and the unlock) and in the steady state between the first and the last
POST. Target: at most 4 requests per create, the POST included (CI.md §2.1: one commit for
"record of k + intent of k+1").
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from harness import CLI, TOKEN, served_sandbox

APPLY = ["apply", "--yes", "--min-interval", "0", "--max-create-rate", "off"]


def tasks_file(directory: Path, repo: str, count: int) -> Path:
    lines = ["version: 1", "settings:", f"  max_creates: {count}", "tasks:"]
    for i in range(count):
        lines += [f"  task-{i:04d}:", f"    repo: {repo}", f"    prompt: Fix bug {i}."]
    path = directory / "tasks.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def requests(url: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{url}/_sandbox/requests", timeout=30)
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()["requests"]
    httpx.delete(f"{url}/_sandbox/requests", timeout=30).raise_for_status()
    return found


def timed_apply(url: str, directory: Path, state: str, repo: str, count: int) -> float:
    tasks = tasks_file(directory, repo, count)
    env = {**os.environ, "AGENTTASKS_TOKEN": TOKEN, "GITHUB_TOKEN": TOKEN}
    env.update({"AGENTTASKS_API_URL": url, "GITHUB_REPOSITORY": "bench-org/state"})
    started = time.perf_counter()
    subprocess.run(
        [*CLI, *APPLY, "-f", str(tasks), "--state", state], check=True, env=env, capture_output=True
    )
    return time.perf_counter() - started


def per_create(recorded: list[dict[str, Any]], count: int) -> tuple[float, float]:
    """Requests per create for the state and the POSTs: over the whole run (``GET /user`` and
    the listings left out: the local run makes them too), and between the first and the last
    POST, where every create costs the same."""
    posts = [i for i, r in enumerate(recorded) if r["method"] == "POST" and "/agents/" in r["path"]]
    state = sum(r["path"].startswith("/repos/") for r in recorded)
    steady = recorded[posts[0] : posts[-1]]
    return (state + len(posts)) / count, len(steady) / (len(posts) - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=20)
    args = parser.parse_args()
    with served_sandbox(args.latency_ms) as url, tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        stamp = str(int(time.time()))
        (root / "local").mkdir()
        local = timed_apply(
            url, root / "local", str(root / "local" / "s.json"), f"bench-org/l{stamp}", args.creates
        )
        requests(url)
        (root / "branch").mkdir()
        where = f"github:bench-org/state@agenttasks-state:s{stamp}.json"
        branch = timed_apply(url, root / "branch", where, f"bench-org/g{stamp}", args.creates)
        whole, steady = per_create(requests(url), args.creates)
    print(f"creates: {args.creates}, sandbox latency {args.latency_ms} ms")
    print(f"local state:   {local:.2f} s")
    print(f"github: state: {branch:.2f} s  ({branch / local:.2f}x the local state)")
    print(f"requests per create: {whole:.2f} over the whole run, {steady:.2f} steady (target <= 4)")


if __name__ == "__main__":
    main()
