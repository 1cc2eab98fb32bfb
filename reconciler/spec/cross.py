"""Checks across every declared task, whatever file it came from (pure)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations, product

from reconciler.errors import Position, Problem
from reconciler.models import DesiredTask
from reconciler.spec.matching import MATCHED_FIELDS, lookup_values, probe_values
from reconciler.spec.secretscan import shown

Entry = Callable[[str, str], tuple[tuple[str, str], ...]]
# Every subset of the matched fields: the shapes a task's declared fields can take.
_SHAPES = tuple(
    frozenset(c) for n in range(len(MATCHED_FIELDS) + 1) for c in combinations(MATCHED_FIELDS, n)
)


def _duplicate_keys(tasks: list[DesiredTask]) -> list[Problem]:
    first: dict[str, DesiredTask] = {}
    problems = []
    for task in tasks:
        if task.key in first:
            where = first[task.key].position
            problems.append(
                Problem(task.position, f"task '{shown(task.key)}' is already defined at {where}")
            )
        else:
            first[task.key] = task
    return problems


def _entries(task: DesiredTask, fields: frozenset[str], entry: Entry) -> list[tuple[object, ...]]:
    """``task``'s values of ``fields``, each as every index entry ``entry`` gives it."""
    names = sorted(fields)
    return [
        tuple(zip(names, values, strict=True))
        for values in product(*(entry(n, getattr(task.body, n)) for n in names))
    ]


def _lookalikes(tasks: list[DesiredTask]) -> list[Problem]:
    """Each task recovery could not tell apart from an earlier one (DESIGN §4): same repository
    and prompt, and every field both declare could be answered the same (``spec/matching.py``).

    Linear, not pairwise (a hostile file of thousands of tasks with one prompt must not take
    minutes): each task is filed under every subset of the fields it declares, and looked up, for
    each shape an earlier task may have, under the fields the two share.
    """
    # Only tasks that share a repository and a prompt can be lookalikes: most share neither, and
    # the index below costs sixteen shapes a task (10,000 tasks: a third of a second).
    sharing: dict[tuple[str, str], int] = {}
    for task in tasks:
        group = (task.repo_key, task.body.prompt)
        sharing[group] = sharing.get(group, 0) + 1
    seen: dict[tuple[object, ...], DesiredTask] = {}
    problems = []
    candidates = [t for t in tasks if sharing[(t.repo_key, t.body.prompt)] > 1]
    for task in sorted(candidates, key=lambda t: t.position):
        group = (task.repo_key, task.body.prompt)
        declared = frozenset(f for f in MATCHED_FIELDS if getattr(task.body, f) is not None)
        earlier = [
            seen[key]
            for shape in _SHAPES
            for entry in _entries(task, shape & declared, probe_values)
            if (key := (group, shape, shape & declared, entry)) in seen
            and seen[key].key != task.key
        ]
        if earlier:
            first = min(earlier, key=lambda t: t.position)
            problems.append(
                Problem(
                    task.position,
                    f"task '{shown(task.key)}' cannot be told apart from '{shown(first.key)}'"
                    f" ({first.position}): same repository and prompt, and no field both set"
                    f" ({', '.join(MATCHED_FIELDS)}) differs",
                )
            )
        for shared in _SHAPES:
            if shared <= declared:
                for entry in _entries(task, shared, lookup_values):
                    seen.setdefault((group, declared, shared, entry), task)
    return problems


def _settings_twice(settings: list[Position]) -> list[Problem]:
    return [
        Problem(p, f"settings are already given at {settings[0]}; keep them in one file")
        for p in settings[1:]
    ]


def cross_file_problems(tasks: list[DesiredTask], settings: list[Position]) -> list[Problem]:
    """Keys defined twice, tasks that cannot be told apart, settings in several files."""
    return _duplicate_keys(tasks) + _lookalikes(tasks) + _settings_twice(settings)
