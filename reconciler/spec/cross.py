"""Checks across every declared task, whatever file it came from (pure)."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from reconciler.errors import Position, Problem
from reconciler.models import DesiredTask

MATCHED_FIELDS = ("base_ref", "head_ref", "model", "custom_agent")


def _duplicate_keys(tasks: list[DesiredTask]) -> list[Problem]:
    first: dict[str, DesiredTask] = {}
    problems = []
    for task in tasks:
        if task.key in first:
            where = first[task.key].position
            problems.append(
                Problem(task.position, f"task '{task.key}' is already defined at {where}")
            )
        else:
            first[task.key] = task
    return problems


def _indistinguishable(a: DesiredTask, b: DesiredTask) -> bool:
    """Tasks that matching (DESIGN §4) could not tell apart: a field only one declares matches."""
    for name in MATCHED_FIELDS:
        left, right = getattr(a.body, name), getattr(b.body, name)
        if left is not None and right is not None and left != right:
            return False
    return True


def _lookalikes(tasks: list[DesiredTask]) -> list[Problem]:
    groups: dict[tuple[str, str], list[DesiredTask]] = defaultdict(list)
    for task in tasks:
        groups[(task.repo_key, task.body.prompt)].append(task)
    problems = []
    for group in groups.values():
        for a, b in combinations(sorted(group, key=lambda t: t.position), 2):
            if a.key != b.key and _indistinguishable(a, b):
                problems.append(
                    Problem(
                        b.position,
                        f"task '{b.key}' cannot be told apart from '{a.key}' ({a.position}):"
                        " same repository and prompt, and no field both set"
                        f" ({', '.join(MATCHED_FIELDS)}) differs",
                    )
                )
    return problems


def _settings_twice(settings: list[Position]) -> list[Problem]:
    return [
        Problem(p, f"settings are already given at {settings[0]}; keep them in one file")
        for p in settings[1:]
    ]


def cross_file_problems(tasks: list[DesiredTask], settings: list[Position]) -> list[Problem]:
    """Keys defined twice, tasks that cannot be told apart, settings in several files."""
    return _duplicate_keys(tasks) + _lookalikes(tasks) + _settings_twice(settings)
