"""Benchmark: ``agenttasks apply`` creating 300 tasks against a bare loop of POSTs (issue 5, #9).

Run by hand from the repository root: ``python bench/apply.py [--runs N]``. It starts ``agenttasks
sandbox serve --latency-ms 10`` on a free loopback port and, in each run, writes a tasks file of
300 tasks over 30 repositories never used before (so nothing exists to import), then times, each as
it would run for real:

- ``agenttasks plan`` on that file (context: the refresh and planning ``apply`` does first);
- ``agenttasks apply --yes --min-interval 0 --max-create-rate off`` on it, counting the requests
  the sandbox recorded (1 ``GET /user`` + 30 listings + 300 POSTs);
- a bare loop: the same 300 bodies POSTed one after another with a plain ``httpx.Client``.

It prints medians over the runs and the target: apply within 1.5x of (bare loop + bare start-up,
``agenttasks --help``). The per-create overhead beyond the request (intent save, record save and
their fsyncs) is (apply - start-up - bare loop) / 300. As context it also prints the cost of one
``StateStore.save`` alone (median) on an empty state and on the 300 records the apply left.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
from harness import CLI, TOKEN, median_seconds, served_sandbox

from reconciler.defaults import API_VERSION
from reconciler.models import Desired
from reconciler.spec.load import load
from reconciler.state.format import State
from reconciler.state.local import read_state
from reconciler.state.lock import StateLock
from reconciler.state.store import StateStore

APPLY = ["apply", "--yes", "--min-interval", "0", "--max-create-rate", "off"]
HEADERS = {
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": API_VERSION,
    "Authorization": f"Bearer {TOKEN}",
}


def generate(directory: Path, prefix: str, count: int, repos: int) -> Path:
    """A tasks file of ``count`` tasks over ``repos`` repositories named after ``prefix``."""
    directory.mkdir()
    lines = ["version: 1", "settings:", f"  max_creates: {count}", "tasks:"]
    for i in range(count):
        lines += [f"  task-{i:05d}:", f"    repo: bench-org/{prefix}-{i % repos:02d}"]
        if i % 3 == 0:
            lines += [
                "    prompt: |",
                f"      Fix bug #{i} in the login flow.",
                "      Add a test.",
            ]
        elif i % 3 == 1:
            lines += [f"    prompt: Tidy module {i}.", "    model: claude-sonnet-4.6"]
        else:
            lines += [f"    prompt: Upgrade Node in service {i}.", "    create_pull_request: true"]
    path = directory / "tasks.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def control(url: str, method: str, path: str, body: object = None) -> object:
    """One control-route call; its JSON answer."""
    with httpx.Client(base_url=url, timeout=30) as client:
        answer = client.request(method, f"/_sandbox/{path}", json=body)
        answer.raise_for_status()
        return answer.json()


def recorded(url: str) -> Counter[str]:
    """The API requests the sandbox saw since the last call, counted by method; forgets them."""
    seen = control(url, "GET", "requests")
    control(url, "DELETE", "requests")
    assert isinstance(seen, dict)
    return Counter(str(r["method"]) for r in seen["requests"])


def run_cli(args: list[str], env: dict[str, str], expect: str) -> float:
    """Wall seconds of one fresh ``agenttasks`` process, which must succeed and print ``expect``."""
    started = time.perf_counter()
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if done.returncode != 0 or expect not in done.stdout:
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
        raise SystemExit(f"agenttasks {args[2]} exited {done.returncode}: see above")
    return wall


def bare_loop(url: str, desired: Desired) -> float:
    """The same bodies POSTed one after another with plain httpx, to ``bare…`` repositories."""
    targets = [
        (task.repo.replace("/apply", "/bare"), task.body.to_json())
        for _, task in sorted(desired.tasks.items())
    ]
    with httpx.Client(base_url=url, headers=HEADERS, timeout=30) as client:
        started = time.perf_counter()
        for repo, body in targets:
            answer = client.post(f"/agents/repos/{repo}/tasks", json=body)
            if answer.status_code != 201:
                raise SystemExit(f"bare POST answered {answer.status_code}: {answer.text}")
        return time.perf_counter() - started


def save_cost(directory: Path, tasks: State, saves: int) -> float:
    """Median seconds of ``StateStore.save`` writing the records of ``tasks`` (in ``directory``)."""
    directory.mkdir()
    times = []
    with StateLock(directory / "agenttasks.state.json", command="bench") as lock:
        store = StateStore(lock)
        for _ in range(saves + 1):
            state = store.state.model_copy(update={"tasks": tasks.tasks})
            started = time.perf_counter()
            store.save(state, datetime.now(UTC))
            times.append(time.perf_counter() - started)
    return statistics.median(times[1:])  # the first save has no backup to write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="apply runs (each on fresh repos)")
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--repos", type=int, default=30)
    parser.add_argument("--latency-ms", type=int, default=10)
    parser.add_argument("--saves", type=int, default=21, help="timed saves per state size")
    args = parser.parse_args()
    env = {**os.environ, "AGENTTASKS_TOKEN": TOKEN, "NO_COLOR": "1"}
    env.pop("AGENTTASKS_API_URL", None)
    env.pop("CI", None)
    n = args.creates
    load_before = os.getloadavg()
    plans, applies, bares = [], [], []
    requests: list[Counter[str]] = []
    with tempfile.TemporaryDirectory() as tmp, served_sandbox(args.latency_ms) as url:
        here = Path(tmp)
        startup = median_seconds([*CLI, "--help"], 5, env)
        final = State()
        for run in range(args.runs):
            # The sandbox keeps GitHub's 5,000 requests an hour: start each run in a fresh hour.
            control(url, "POST", "clock", {"advance": 3601})
            tasks = generate(here / f"run-{run}", f"apply{run}", n, args.repos)
            desired = load([tasks])
            state = tasks.parent / "agenttasks.state.json"
            plan_args = ["--api-url", url, "plan", "-f", str(tasks)]
            plans.append(run_cli(plan_args, env, f"Plan: {n} to add"))
            recorded(url)
            apply_args = ["--api-url", url, *APPLY, "-f", str(tasks)]
            applies.append(run_cli(apply_args, env, f"Apply complete! Tasks: {n} added"))
            requests.append(recorded(url))
            bares.append(bare_loop(url, desired))
            final = read_state(state) or State()
            if len(final.tasks) != n or final.intents:
                raise SystemExit(f"apply left {len(final.tasks)} records, {len(final.intents)}")
        empty_save = save_cost(here / "save-empty", State(), args.saves)
        full_save = save_cost(here / "save-full", final, args.saves)
    load_after = os.getloadavg()

    apply, bare, plan = (statistics.median(x) for x in (applies, bares, plans))
    target = bare + startup
    counts = requests[-1]
    # Each repository is listed twice: its keys have no record yet, so their candidates come from
    # the archived listing too (docs/state.md).
    expected = f"{n} POST + 1 GET /user + {args.repos} x 2 listings = {n + 1 + 2 * args.repos}"
    ms = 1000 / n
    print(f"creates x repositories     {n} x {args.repos} (latency {args.latency_ms} ms)")
    print(f"runs                       {args.runs} (medians; each run on fresh repositories)")
    print(f"machine                    {os.cpu_count()} cores; load {load_before[0]:.2f} before,")
    print(f"                           {load_after[0]:.2f} after (1-minute average)")
    print(f"bare start-up (--help)     {startup:7.3f} s")
    print(f"bare loop ({n} POSTs)     {bare:7.3f} s   ({bare * ms:.1f} ms a POST)")
    print(f"agenttasks plan (context)  {plan:7.3f} s   (start-up, load, refresh, plan, render)")
    print(
        f"agenttasks apply           {apply:7.3f} s   (runs: {min(applies):.3f}-{max(applies):.3f})"
    )
    print(f"apply requests             {sum(counts.values())} {dict(counts)}")
    print(f"                           (expected: {expected})")
    print(f"bare loop + start-up       {target:7.3f} s")
    print(f"apply / (loop + start-up)  {apply / target:7.2f}x   (target: <= 1.5x)")
    print(f"per-create overhead        {(apply - startup - bare) * ms:7.1f} ms  (apply - start-up")
    print("                                        - bare loop) / creates")
    print(f"  beyond apply's plan      {(apply - plan - bare) * ms:7.1f} ms  (apply - plan")
    print("                                        - bare loop) / creates")
    print(f"StateStore.save, 0 records {empty_save * 1000:7.1f} ms  (median of {args.saves})")
    print(f"StateStore.save, {n} rec.  {full_save * 1000:7.1f} ms")
    print(f"2 saves a create, est.     {(empty_save + full_save) * n:7.3f} s  in all")
    print("                           (the average save holds half the records)")


if __name__ == "__main__":
    main()
