"""Benchmark: an organisation's tasks-as-code (issue 14): 10,000 declared tasks in 20 tasks files
across 500 repositories, every one tracked and finished.

Run by hand from the repository root: ``python bench/scale.py [--runs N]``. It starts ``agenttasks
sandbox serve --latency-ms 20``, writes the 20 files into one directory, seeds one sandbox task per
declared task through the control route (created two days ago), writes the state that tracks them
all, then prints medians of fresh processes, each against its floor measured in the same run:

- ``agenttasks plan -f DIR``, its recorded requests (target: the listing pages + 1) and its peak
  RSS (target: under 300 MB); the floor: ``python -c "import httpx"`` (a start-up no Python HTTP
  client avoids) + a libyaml load of the same files (PyYAML's ``CSafeLoader``, in-process, best of
  five) + the latency rounds (ceil(repositories / concurrency) x pages per repository x latency);
  target: plan within 2x of it;
- ``agenttasks validate -f DIR`` against ``import httpx`` + the same libyaml load.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness import (
    CLI,
    arguments,
    bench_env,
    libyaml_seconds,
    median_seconds,
    served_sandbox,
)
from plan import recorded, seed, write_state

from reconciler.github.session import ClientSettings
from reconciler.spec.load import load

CONCURRENCY = ClientSettings().concurrency
FILES = 20


def generate(directory: Path, count: int, repos: int) -> Path:
    """``FILES`` tasks files of ``count`` tasks over ``repos`` repositories, in one directory."""
    folder = directory / "tasks"
    folder.mkdir()
    per_file = math.ceil(count / FILES)
    for f in range(FILES):
        lines = ["version: 1"]
        if f == 0:
            lines += ["settings:", f"  max_creates: {count}"]
        lines += ["defaults:", "  base_ref: main", "tasks:"]
        for i in range(f * per_file, min(count, (f + 1) * per_file)):
            lines += [f"  task-{i:05d}:", f"    repo: bench-org/repo-{i % repos:03d}"]
            if i % 3 == 0:
                lines += [
                    "    prompt: |",
                    f"      Fix bug #{i} in the login flow.",
                    "      Test it.",
                ]
            elif i % 3 == 1:
                lines += [f"    prompt: Tidy module {i}.", "    model: claude-sonnet-4.6"]
            else:
                lines += [f"    prompt: Upgrade service {i}.", "    create_pull_request: true"]
        (folder / f"team-{f:02d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def timed(command: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """Wall times of ``runs`` fresh processes (after a warm-up); exit 0 or 2 only."""
    walls = []
    for attempt in range(runs + 1):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, env=env, check=False)
        wall = time.perf_counter() - started
        if done.returncode not in (0, 2):
            sys.stderr.write(done.stdout.decode()[-2000:] + done.stderr.decode()[-2000:])
            raise SystemExit(f"{command[3:5]} exited {done.returncode}: see above")
        if attempt:
            walls.append(wall)
    return walls


def peak_rss_kb(command: list[str], env: dict[str, str]) -> int:
    """The peak resident set of one run of ``command`` (Linux: ru_maxrss in KB)."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    _, _, usage = os.wait4(process.pid, 0)
    return int(usage.ru_maxrss)


def main() -> None:
    args = arguments(__doc__, tasks=10_000, repos=500)
    env = bench_env()
    load_before = os.getloadavg()
    created_at = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp, served_sandbox(args.latency_ms) as url:
        folder = generate(Path(tmp), args.tasks, args.repos)
        desired = load([folder])
        ids = seed(url, desired, created_at)
        write_state(folder / "agenttasks.state.json", desired, ids, created_at)
        httpx_start = median_seconds([sys.executable, "-c", "import httpx"], args.runs, env)
        parse = libyaml_seconds(sorted(folder.glob("*.yaml")))
        plan_cmd = [*CLI, "--api-url", url, "plan", "--detailed-exitcode", "-f", str(folder)]
        recorded(url)
        plans = timed(plan_cmd, args.runs, env)
        recorded(url)
        subprocess.run(plan_cmd, capture_output=True, env=env, check=False)
        requests = len(recorded(url))
        rss = peak_rss_kb(plan_cmd, env)
        validates = timed([*CLI, "validate", "-f", str(folder)], args.runs, env)
        validate_rss = peak_rss_kb([*CLI, "validate", "-f", str(folder)], env)
    load_after = os.getloadavg()

    per_repo = math.ceil(args.tasks / args.repos)
    per_page = math.ceil(per_repo / 100)
    pages = args.repos * per_page
    rounds = math.ceil(args.repos / CONCURRENCY) * per_page * args.latency_ms / 1000
    plan_floor = httpx_start + parse + rounds
    validate_floor = httpx_start + parse
    plan_median, validate_median = statistics.median(plans), statistics.median(validates)
    print(f"declared tasks / files / repos  {args.tasks} / {FILES} / {args.repos}")
    print(f"machine                         {os.cpu_count()} cores; load {load_before[0]:.2f}")
    print(f"                                before, {load_after[0]:.2f} after (1-minute average)")
    print(f"import httpx (fresh process)    {httpx_start:7.3f} s")
    print(f"libyaml load of the 20 files    {parse:7.3f} s   (CSafeLoader, best of 5)")
    print(f"latency rounds                  {rounds:7.3f} s   (ceil({args.repos}/{CONCURRENCY}) x")
    print(f"                                          {per_page} page(s) x {args.latency_ms} ms)")
    print(f"plan                            {plan_median:7.3f} s   (median of {args.runs})")
    print(f"plan floor                      {plan_floor:7.3f} s")
    print(f"plan / floor                    {plan_median / plan_floor:7.2f}x   (target: <= 2x)")
    print(f"plan requests / pages + 1       {requests} / {pages + 1}   (target: equal)")
    print(f"plan peak RSS                   {rss / 1024:7.1f} MB   (target: < 300 MB)")
    print(f"validate                        {validate_median:7.3f} s")
    print(f"validate floor                  {validate_floor:7.3f} s")
    print(f"validate / floor                {validate_median / validate_floor:7.2f}x")
    print(f"validate peak RSS               {validate_rss / 1024:7.1f} MB")


if __name__ == "__main__":
    main()
