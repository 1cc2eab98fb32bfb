"""``agenttasks validate``: check tasks files offline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reconciler.commands.context import Result, tasks_files
from reconciler.spec.load import load


def run_validate(files: Sequence[Path]) -> Result:
    """Load every tasks file; the counts on success, every problem (SpecError) otherwise."""
    desired = load(tasks_files(files))
    n_tasks, n_repos = len(desired.tasks), len(desired.repositories)
    tasks = "task" if n_tasks == 1 else "tasks"
    repos = "repository" if n_repos == 1 else "repositories"
    return Result(f"{n_tasks} {tasks} in {n_repos} {repos}: valid.\n")
