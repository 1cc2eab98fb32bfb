"""GitHub Actions' workflow commands and files, as values (CI.md §4, docs/ci.md). Pure.

Annotations (``::notice file=…,line=…,col=…,title=…::message``) put what each entry of a tasks file
will do on its key's line; they are escaped (data: ``%``, CR, LF; properties also ``:`` and ``,``),
sorted by severity then place, and capped per step with one closing "N more" notice. The step's
outputs are written in the runner's ``name<<DELIMITER`` form, the delimiter checked against every
value. User text printed to the log sits inside a ``::stop-commands::TOKEN`` … ``::TOKEN::`` block;
the random token and every file and stream are the shell's (``commands/github.py``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from reconciler.apply.report import ApplyStatus, Report
from reconciler.errors import Position, Problem
from reconciler.plan.model import Counts, Kind, Plan
from reconciler.plan.review import review_digest
from reconciler.render.common import HEADLINES

SUMMARY_LIMIT = 1024 * 1024  # bytes per step's summary: GitHub refuses a larger upload
TITLE = "agenttasks"


class Level(StrEnum):
    """An annotation's command, most severe first."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


SEVERITY = {level: index for index, level in enumerate(Level)}
# GitHub shows 10 warnings and 10 errors per step (50 per job); it documents no cap for notices,
# so they get 10 too. 30 in all, so a job of one agenttasks step stays under 50.
CAPS: Mapping[Level, int] = {Level.ERROR: 10, Level.WARNING: 10, Level.NOTICE: 10}


@dataclass(frozen=True)
class Annotation:
    """One ``::LEVEL …::message`` line; without ``file`` it shows on the run, not on a line."""

    level: Level
    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    title: str = TITLE


def escape_data(text: str) -> str:
    """A command's message: ``%``, CR and LF escaped as the runner unescapes them."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: as data, and ``:`` and ``,`` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation_line(annotation: Annotation) -> str:
    """The workflow command for ``annotation``."""
    props: list[tuple[str, str]] = []
    if annotation.file:
        props.append(("file", annotation.file))
        if annotation.line:
            props.append(("line", str(annotation.line)))
            if annotation.col:
                props.append(("col", str(annotation.col)))
    props.append(("title", annotation.title))
    joined = ",".join(f"{name}={escape_property(value)}" for name, value in props)
    return f"::{annotation.level} {joined}::{escape_data(annotation.message)}"


def _place(annotation: Annotation) -> tuple[int, str, int, int, str]:
    return (
        SEVERITY[annotation.level],
        annotation.file or "",
        annotation.line or 0,
        annotation.col or 0,
        annotation.message,
    )


def capped(annotations: Sequence[Annotation], caps: Mapping[Level, int] = CAPS) -> list[Annotation]:
    """Sorted by severity, then file, line and column; at most ``caps[level]`` of each level,
    and when any were left out, one closing notice (within the notices' cap) saying how many."""
    ordered = sorted(annotations, key=_place)
    over = any(sum(a.level == level for a in ordered) > cap for level, cap in caps.items())
    room = dict(caps)
    if over:
        room[Level.NOTICE] -= 1  # the closing notice's place
    kept: list[Annotation] = []
    for annotation in ordered:
        if room[annotation.level] > 0:
            room[annotation.level] -= 1
            kept.append(annotation)
    left = len(ordered) - len(kept)
    if left:
        kept.append(Annotation(Level.NOTICE, f"{left} more: see the job summary"))
    return kept


def workspace_file(file: str, *, cwd: str, workspace: str | None) -> str:
    """``file`` as GitHub names it on a pull request: relative to the workspace (the repository
    root) when it is inside it, else as given."""
    if workspace is None:
        return file
    full = posixpath.normpath(posixpath.join(cwd, file))
    root = posixpath.normpath(workspace)
    if full == root or not full.startswith(root.rstrip("/") + "/"):
        return file
    return posixpath.relpath(full, root)


Where = Callable[[str], Position | None]


def _at(level: Level, message: str, position: Position | None) -> Annotation:
    if position is None:
        return Annotation(level, message)
    line = position.line or None
    return Annotation(level, message, position.file, line, position.col if line else None)


def _reason(reason: str) -> str:
    return f": {reason}" if reason and reason != "not created yet" else ""


def plan_annotations(plan: Plan, where: Where) -> list[Annotation]:
    """What the plan does to each key, on its key's line: creates, imports and re-runs as
    notices; keys that need attention, unconfirmed creates and ``on_change: ignore`` notes as
    warnings. A forgotten key has no line left; it is in the summary."""
    found: list[Annotation] = []
    for action in plan.actions:
        if action.kind == Kind.NOOP:
            found += [
                _at(Level.WARNING, f"task.{action.key}: {note}", where(action.key))
                for note in action.notes
            ]
        elif action.kind != Kind.FORGET:
            message = f"task.{action.key} {HEADLINES[action.kind]} in {action.repo}"
            found.append(_at(Level.NOTICE, message + _reason(action.reason), where(action.key)))
    found += [
        _at(Level.WARNING, f"task.{a.key} needs attention: {a.message}", where(a.key))
        for a in plan.attention
    ]
    found += [
        _at(Level.WARNING, f"task.{key}: a create was sent but its answer was lost", where(key))
        for key in plan.unresolved
    ]
    return found


def problem_annotations(
    problems: Sequence[Problem], file: Callable[[str], str]
) -> list[Annotation]:
    """Refusals of the tasks files, as errors on their lines (``file`` names a file for GitHub)."""
    return [
        _at(
            Level.ERROR, p.message, Position(file(p.position.file), p.position.line, p.position.col)
        )
        for p in problems
    ]


_REPORT_LEVELS = {
    ApplyStatus.CREATED: Level.NOTICE,
    ApplyStatus.IMPORTED: Level.NOTICE,
    ApplyStatus.FORGOTTEN: Level.NOTICE,
    ApplyStatus.SKIPPED: Level.WARNING,
    ApplyStatus.UNCONFIRMED: Level.ERROR,
    ApplyStatus.FAILED: Level.ERROR,
}


def report_annotations(report: Report, where: Where) -> list[Annotation]:
    """What an apply did to each key: created or imported as notices, skipped as warnings,
    failed or unconfirmed creates as errors."""
    found = []
    for outcome in report.outcomes:
        task = f" (task {outcome.task_id})" if outcome.task_id else ""
        detail = f": {outcome.detail}" if outcome.detail else ""
        message = f"task.{outcome.key} {outcome.status}{task}{detail}"
        found.append(_at(_REPORT_LEVELS[outcome.status], message, where(outcome.key)))
    return found


def count_outputs(counts: Counts) -> dict[str, str]:
    """The plan's numbers as step outputs."""
    return {
        "to-add": str(counts.added),
        "to-import": str(counts.imported),
        "to-forget": str(counts.forgotten),
        "to-change": "0",
    }


def plan_outputs(plan: Plan, code: int) -> dict[str, str]:
    """``exitcode``, ``digest`` (the review digest) and the counts of a plan."""
    return {"exitcode": str(code), "digest": review_digest(plan), **count_outputs(plan.counts)}


def report_outputs(plan: Plan, report: Report, code: int) -> dict[str, str]:
    """A plan's outputs for the plan that was applied, and what the apply did."""
    done = {
        str(status): str(report.count(status))
        for status in (ApplyStatus.CREATED, ApplyStatus.IMPORTED, ApplyStatus.FAILED)
    }
    return {**plan_outputs(plan, code), **done}


def output_file(outputs: Mapping[str, str], delimiter: str) -> str:
    """``name<<DELIMITER``, the value, ``DELIMITER``: the runner's multi-line form for every
    output. Refuses a delimiter found in a name or value (it would end the value early)."""
    parts = []
    for name, value in outputs.items():
        if not delimiter or delimiter in value or delimiter in name or "\n" in name:
            raise ValueError("the output delimiter occurs in an output")
        parts.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(parts)


def stop_commands(token: str) -> str:
    """The line after which the runner runs no workflow command until ``resume_commands``."""
    return f"::stop-commands::{token}"


def resume_commands(token: str) -> str:
    """The line that ends a ``stop_commands`` block."""
    return f"::{token}::"


_ZWSP = "\u200b"


def inert_text(text: str) -> str:
    """Text the runner reads no command in even outside a stop-commands block (defence in
    depth: the two streams' blocks are closed one after the other): a line that would start with
    ``::`` after its leading spaces gets a zero-width space before them, and ``##[`` is written
    ``#`` + zero-width space + ``#[``. A reader sees the same characters."""
    lines = []
    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith("::"):
            line = line[: len(line) - len(stripped)] + _ZWSP + stripped
        lines.append(line.replace("##[", f"#{_ZWSP}#["))
    return "\n".join(lines)


def inert_json(text: str) -> str:
    """JSON the runner reads no command in, with the same value: an indented JSON line starts
    with a quote or a bracket, never ``::``, and ``##[`` (the legacy form, honoured anywhere in a
    line) can only sit in a string, where ``#\\u0023[`` means the same."""
    return text.replace("##[", "#\\u0023[")


def fitted_summary(render: Callable[[int], str], budget: int, floor: int) -> str:
    """The Markdown ``render(limit)`` gives, in at most ``budget`` UTF-8 bytes: the limit (in
    characters) shrinks until it fits, so the renderer's own cut notes say what was left out; ""
    when not even ``floor`` characters fit."""
    limit = budget
    while limit >= floor:
        text = render(limit)
        size = len(text.encode("utf-8"))
        if size <= budget:
            return text
        limit = min(limit - 1, limit * budget // size * 95 // 100)
    return ""
