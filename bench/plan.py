"""Benchmark: ``agenttasks plan`` with 2,000 tracked tasks in 40 repositories (issue 4, item 8).

Run by hand from the repository root: ``python bench/plan.py [--runs N]``. It starts ``agenttasks
sandbox serve --latency-ms 20`` on a free loopback port, writes a tasks file of 2,000 tasks over 40
repositories, seeds the matching tasks through the control route (created two days ago, so every
one has finished and the listing is stable), and writes the state file that tracks them all with
``StateStore.save`` (task id, repository, digest and body from the loaded tasks file), so the plan
has no changes. Then, in the same run, it prints medians of:

- ``agenttasks plan`` as a fresh process, and the API requests the sandbox recorded for it
  (target: the listing pages + 1 for ``GET /user``);
- the floor: ``python -c "import httpx"`` (a start-up no Python HTTP client avoids) + a libyaml
  load of the same file (PyYAML's ``CSafeLoader``, in-process, best of five) + the latency rounds
  (ceil(40 / 8) x pages per repository x latency); target: plan within 2x of it (2.5x at 500
  tasks over 20 repositories, where start-up weighs more);
- the naive refresh: one ``GET /agents/repos/{o}/{r}/tasks/{id}`` per tracked task, sequential,
  through the client; target: plan at least 20x faster;
- ``agenttasks validate`` on the same file (start-up, imports and the tasks-file parse, no network),
  to show how much of the plan is local work that the floor does not count, and what the plan adds
  to it next to the latency rounds alone.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from harness import (
    CLI,
    TOKEN,
    USER_ID,
    arguments,
    bench_env,
    libyaml_seconds,
    median_seconds,
    served_sandbox,
)

from reconciler.commands.plan import Selection
from reconciler.github.auth import Token
from reconciler.github.client import AgentTasksClient
from reconciler.github.session import ClientSettings
from reconciler.models import Desired
from reconciler.plan.planner import plan
from reconciler.plan.refresh import refresh
from reconciler.render.text import plan_text
from reconciler.spec.load import load
from reconciler.state.format import Record
from reconciler.state.local import read_state
from reconciler.state.lock import StateLock
from reconciler.state.store import StateStore

CONCURRENCY = ClientSettings().concurrency


def generate(directory: Path, count: int, repos: int) -> Path:
    """A tasks file of ``count`` tasks spread evenly over ``repos`` repositories."""
    lines = ["version: 1", "defaults:", "  base_ref: main", "tasks:"]
    for i in range(count):
        lines += [f"  task-{i:05d}:", f"    repo: bench-org/repo-{i % repos:02d}"]
        if i % 4 == 0:
            lines += [
                "    prompt: |",
                f"      Fix bug #{i} in the login flow.",
                "      Add a test.",
            ]
        elif i % 4 == 1:
            lines += [f"    prompt: Tidy module {i}.", "    model: claude-sonnet-4.6"]
        elif i % 4 == 2:
            lines += [f"    prompt: Upgrade Node in service {i}.", "    create_pull_request: true"]
        else:
            lines += [f"    prompt: Add dark mode to page {i}.", f"    base_ref: release/{i}"]
    path = directory / "tasks.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def seed(url: str, desired: Desired, created_at: datetime) -> dict[str, str]:
    """One sandbox task per declared task, through the control route; task id by key."""
    stamp = created_at.isoformat().replace("+00:00", "Z")
    with httpx.Client(base_url=url, timeout=10) as control, ThreadPoolExecutor(16) as pool:

        def add(key: str) -> tuple[str, str]:
            task = desired.tasks[key]
            body = {"repo": task.repo, **task.body.to_json(), "created_at": stamp}
            for attempt in range(3):
                # A retry may leave an untracked duplicate: harmless here (same page, no match).
                try:
                    answer = control.post("/_sandbox/tasks", json=body)
                    break
                except httpx.TransportError:
                    if attempt == 2:
                        raise
            answer.raise_for_status()
            return key, str(answer.json()["id"])

        return dict(pool.map(add, sorted(desired.tasks)))


def write_state(path: Path, desired: Desired, ids: dict[str, str], created_at: datetime) -> None:
    """The state file tracking every declared task, as an apply would have left it."""
    records = {
        key: Record(
            task_id=ids[key],
            repo=task.repo,
            digest=task.digest,
            body=task.body,
            creator_id=USER_ID,
            created_at=created_at,
        )
        for key, task in desired.tasks.items()
    }
    with StateLock(path, command="bench") as lock:
        store = StateStore(lock)
        state = store.state.model_copy(update={"user_id": USER_ID, "tasks": records})
        store.save(state, datetime.now(UTC))


def recorded(url: str) -> list[tuple[str, str]]:
    """The API requests (method, path) the sandbox saw since the last call; forgets them."""
    with httpx.Client(base_url=url, timeout=30) as control:
        seen = control.get("/_sandbox/requests").json()["requests"]
        control.delete("/_sandbox/requests").raise_for_status()
    return [(str(r["method"]), str(r["path"])) for r in seen]


def timed_plans(
    url: str, tasks: Path, runs: int, env: dict[str, str]
) -> tuple[list[float], list[int]]:
    """Wall time and recorded request count of each ``plan`` (after one warm-up run)."""
    command = [*CLI, "--api-url", url, "plan", "--detailed-exitcode", "-f", str(tasks)]
    walls, counts = [], []
    for attempt in range(runs + 1):
        recorded(url)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - started
        if done.returncode != 0 or "No changes." not in done.stdout:
            sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
            raise SystemExit(f"plan exited {done.returncode}, or found changes: see above")
        if attempt:
            walls.append(wall)
            counts.append(len(recorded(url)))
    return walls, counts


def phases(url: str, tasks: Path, state_path: Path) -> dict[str, float]:
    """Where a plan's time goes, in this (already warm) process: seconds per step."""
    started = time.perf_counter()
    desired = load([tasks])
    loaded = time.perf_counter()
    state = read_state(state_path)
    assert state is not None
    read = time.perf_counter()
    options = Selection().options(post_timeout=30.0)
    now = datetime.now(UTC)
    with AgentTasksClient(url, Token(TOKEN, "bench")) as client:
        remote = refresh(client, desired, state, now, options)
        refreshed = time.perf_counter()
        result = plan(desired, state, remote, client.server_time or now, options)
        plan_text(result, files=desired.files, state_path=str(state_path), now=now, color=False)
    return {
        "load": loaded - started,
        "state": read - loaded,
        "refresh": refreshed - read,
        "plan": time.perf_counter() - refreshed,
    }


def naive_refresh(url: str, desired: Desired, ids: dict[str, str]) -> tuple[float, int]:
    """One GET per tracked task, one after another, through the client: wall time, requests."""
    with httpx.Client(base_url=url, timeout=30) as control:
        # The sandbox keeps GitHub's 5,000 requests an hour: start a fresh hour for the GETs.
        control.post("/_sandbox/clock", json={"advance": 3601}).raise_for_status()
    recorded(url)
    with AgentTasksClient(url, Token(TOKEN, "bench")) as client:
        started = time.perf_counter()
        for key in sorted(desired.tasks):
            client.get_task(desired.tasks[key].repo, ids[key])
        wall = time.perf_counter() - started
    return wall, len(recorded(url))


def main() -> None:
    args = arguments(__doc__, tasks=2000, repos=40)
    env = bench_env()
    load_before = os.getloadavg()
    created_at = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp, served_sandbox(args.latency_ms) as url:
        tasks = generate(Path(tmp), args.tasks, args.repos)
        desired = load([tasks])
        ids = seed(url, desired, created_at)
        write_state(Path(tmp) / "agenttasks.state.json", desired, ids, created_at)
        bare = median_seconds([*CLI, "--help"], args.runs, env)
        httpx_start = median_seconds([sys.executable, "-c", "import httpx"], args.runs, env)
        parse = libyaml_seconds([tasks])
        offline = median_seconds([*CLI, "validate", "-f", str(tasks)], args.runs, env)
        walls, counts = timed_plans(url, tasks, args.runs, env)
        steps = phases(url, tasks, Path(tmp) / "agenttasks.state.json")
        naive, naive_requests = naive_refresh(url, desired, ids)
    load_after = os.getloadavg()

    per_repo = math.ceil(args.tasks / args.repos)
    pages = args.repos * math.ceil(per_repo / 100)
    latency = args.latency_ms / 1000
    network = math.ceil(args.repos / CONCURRENCY) * math.ceil(per_repo / 100) * latency
    floor = httpx_start + parse + network
    target = 2.0 if args.tasks >= 2000 else 2.5
    median = statistics.median(walls)
    requests = max(counts)
    print(
        f"tracked tasks x repositories  {args.tasks} x {args.repos} (latency {args.latency_ms} ms)"
    )
    print(f"runs per figure               {args.runs} (medians, after a warm-up)")
    print(
        f"machine                       {os.cpu_count()} cores; load {load_before[0]:.2f} before,"
    )
    print(f"                              {load_after[0]:.2f} after (1-minute average)")
    print(f"bare start-up (--help)        {bare:7.3f} s")
    print(
        f"agenttasks plan               {median:7.3f} s"
        f"   (runs: {min(walls):.3f}-{max(walls):.3f} s)"
    )
    print(
        f"plan requests / pages + 1     {requests} / {pages + 1}"
        f"   (target: equal; every run: {sorted(set(counts))})"
    )
    rounds, per_page = math.ceil(args.repos / CONCURRENCY), math.ceil(per_repo / 100)
    print(f"import httpx (fresh process)  {httpx_start:7.3f} s")
    print(f"libyaml load of the file      {parse:7.3f} s   (CSafeLoader, best of 5)")
    print(f"floor                         {floor:7.3f} s   (import httpx + libyaml load +")
    print(f"                                          ceil({args.repos}/{CONCURRENCY}) x")
    print(f"                                          {per_page} page(s) x {args.latency_ms} ms;")
    print(f"                                          {rounds} rounds)")
    print(f"plan / floor                  {median / floor:7.2f}x   (target: <= {target}x)")
    print(f"validate (same file, offline) {offline:7.3f} s   (start-up, imports, tasks-file parse)")
    print(
        f"plan - validate               {median - offline:7.3f} s"
        f"   (vs the latency rounds alone: {network:.3f} s, {(median - offline) / network:.2f}x)"
    )
    print(f"naive refresh (GET per task)  {naive:7.3f} s   ({naive_requests} requests, sequential)")
    print(f"naive / plan                  {naive / median:7.1f}x   (target: >= 20x)")
    print("where a plan's time goes (one run, in this warm process, so without imports):")
    print(f"  load the tasks file         {steps['load']:7.3f} s")
    print(f"  read the state file         {steps['state']:7.3f} s")
    print(f"  refresh (GET /user, lists)  {steps['refresh']:7.3f} s")
    print(f"  plan and render text        {steps['plan']:7.3f} s")


if __name__ == "__main__":
    main()
