"""Start-up and validate speed, each against its baseline measured in the same run.

Run by hand: ``python bench/startup.py [--runs N] [--tasks N]``. Prints medians of

- ``agenttasks --help`` against ``python -c pass`` (target: within 0.25 s of bare Python);
- ``agenttasks validate`` on a generated file of N tasks shaped like ``tasks.yaml.example``
  against its floor: ``python -c "import httpx"`` (a start-up no Python HTTP client avoids) + a
  libyaml load of the same file (PyYAML's ``CSafeLoader``, in-process, best of five), as
  ``bench/scale.py`` measures it (target: at most 2 times).

Every measurement is a fresh process, as a user or CI would run it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import CLI, libyaml_seconds


def generate(directory: Path, count: int) -> Path:
    """A tasks file of ``count`` tasks over 40 repositories, in the example's shapes."""
    (directory / "prompts").mkdir()
    (directory / "prompts" / "search.md").write_text("Profile search and make it fast.\n")
    lines = [
        "version: 1",
        "settings:",
        "  max_creates: 10000",
        "defaults:",
        "  repo: octo-org/web",
        "  base_ref: main",
        "  create_pull_request: true",
        "tasks:",
    ]
    for i in range(count):
        lines += [f"  task-{i:05d}:", f"    repo: octo-org/repo-{i % 40}"]
        if i % 5 == 0:
            lines += [
                "    prompt: |",
                f"      Fix bug #{i} in the login flow.",
                "      Add a test.",
            ]
        elif i % 5 == 1:
            lines += [f"    prompt: Tidy module {i}.", "    model: claude-sonnet-4.6"]
        elif i % 5 == 2:
            lines += ["    prompt_file: prompts/search.md", f"    base_ref: release/{i}"]
            lines += ["    retry:", "      on: [failed, timed_out]", "      max_attempts: 3"]
        elif i % 5 == 3:
            lines += [f"    prompt: Upgrade Node in service {i}.", "    on_change: ignore"]
        else:
            lines += [f"    prompt: Add dark mode to page {i}.", "    create_pull_request: false"]
    path = directory / "tasks.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def median_seconds(command: list[str], runs: int, cwd: Path) -> float:
    """Median wall time of ``runs`` fresh processes (after one warm-up run)."""
    times = []
    for attempt in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        if attempt:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tasks", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp)
        path = generate(here, args.tasks)
        size_kb = path.stat().st_size // 1024
        bare = median_seconds([sys.executable, "-c", "pass"], args.runs, here)
        helps = median_seconds([*CLI, "--help"], args.runs, here)
        httpx_start = median_seconds([sys.executable, "-c", "import httpx"], args.runs, here)
        parse = libyaml_seconds([path])
        validate = median_seconds([*CLI, "validate", "-f", str(path)], args.runs, here)
    floor = httpx_start + parse
    load = os.getloadavg()[0]
    print(f"runs per figure: {args.runs} (medians); tasks: {args.tasks} ({size_kb} KiB)")
    print(f"machine: {os.cpu_count()} cores, load {load:.2f} (1-minute average, at the end)")
    print(f"python -c pass          {bare:7.3f} s")
    print(f"agenttasks --help       {helps:7.3f} s   +{helps - bare:.3f} s   (target: +0.25 s)")
    print(f"import httpx            {httpx_start:7.3f} s")
    print(f"libyaml load            {parse:7.3f} s   (CSafeLoader, in-process, best of 5)")
    print(f"floor                   {floor:7.3f} s")
    print(f"agenttasks validate     {validate:7.3f} s   {validate / floor:.2f}x   (target: 2x)")


if __name__ == "__main__":
    main()
