"""``agenttasks validate`` on hostile tasks files just under the 2 MiB cap, against a benign one.

Run by hand: ``python bench/hostile.py [--runs N] [SHAPE-SUBSTRING ...]``. Each shape of
``tests/spec/hostile_shapes.py`` (the soak test's shapes) is written to a temporary directory and
validated in fresh processes; prints per shape the median seconds, the ratio to the baseline (a
benign 2 MiB file of ordinary tasks, measured in the same run), the exit code and the lines of
error, then the worst. Target (issue 11): every shape within 20 s on the pure-Python parse path.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The shapes are the soak test's own; run as a script, the repository root is not on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.spec.hostile_shapes import BASELINE, FULL_SIZE, SHAPES

CLI = [sys.executable, "-m", "reconciler", "validate"]
TARGET_S = 20.0


def measure(directory: Path, runs: int) -> tuple[float, int, int]:
    """Median seconds of ``runs`` fresh ``validate`` processes, the exit code, the error lines."""
    times, code, lines = [], 0, 0
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(CLI, cwd=directory, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        code, lines = done.returncode, len(done.stderr.splitlines())
    return statistics.median(times), code, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("shapes", nargs="*", help="only the shapes whose names contain these")
    args = parser.parse_args()
    chosen = [BASELINE] + [
        name
        for name in SHAPES
        if name != BASELINE and (not args.shapes or any(s in name for s in args.shapes))
    ]
    results: dict[str, tuple[float, int, int, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for number, name in enumerate(chosen):
            directory = Path(tmp) / str(number)
            directory.mkdir()
            for file, text in SHAPES[name](FULL_SIZE).items():
                (directory / file).write_text(text, encoding="utf-8")
            size = (directory / "tasks.yaml").stat().st_size
            results[name] = (*measure(directory, args.runs), size)
    base = results[BASELINE][0]
    print(f"runs per figure: {args.runs} (medians); target: {TARGET_S:.0f} s per shape")
    print(f"{'shape':28} {'KiB':>6} {'seconds':>8} {'ratio':>6}  exit  lines")
    for name, (seconds, code, lines, size) in results.items():
        print(
            f"{name:28} {size // 1024:6} {seconds:8.2f} {seconds / base:5.2f}x  {code:4}  {lines:5}"
        )
    worst = max(results, key=lambda n: results[n][0])
    seconds = results[worst][0]
    verdict = "met" if seconds < TARGET_S else "MISSED"
    print(f"worst: {worst}, {seconds:.2f} s, {seconds / base:.2f}x the baseline ({verdict})")


if __name__ == "__main__":
    main()
