"""Turn pydantic validation errors on a loaded YAML tree into ``file:line:col`` problems.

Each error's ``loc`` is walked through the parsed tree (``tree``), which knows where each key and
value stands. Messages name the field as a dotted path and never echo the value (a value may be
a secret pasted by mistake).
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from reconciler.errors import Position, Problem
from reconciler.spec.names import key_problem
from reconciler.spec.schema import FIELDS
from reconciler.spec.secretscan import shown
from reconciler.spec.tree import Map, Seq

_NO_TASKS = "write 'tasks: {}' to declare none"

_TYPE_WORDS = {
    "string_type": "a string",
    "bool_type": "a boolean (true or false)",
    "int_type": "an integer",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def position_of(root: Any, loc: Sequence[int | str], file: str, *, key: bool = False) -> Position:
    """Where ``loc`` points in the tree (its key with ``key``); the nearest parent when missing."""
    line, col = (root.line, root.col) if isinstance(root, Map | Seq) else (0, 0)
    node = root
    for index, step in enumerate(loc):
        if step == "[key]":
            break
        is_key = (index + 1 < len(loc) and loc[index + 1] == "[key]") or (
            key and index == len(loc) - 1
        )
        if isinstance(node, Map) and step in node.places:  # both parse paths place every key
            is_last = index == len(loc) - 1
            key_line, key_col, value_line, value_col = node.places[step]
            child = node[step]
            use_key = is_key or (is_last and isinstance(child, Map | Seq))
            line, col = (key_line, key_col) if use_key else (value_line, value_col)
            node = child
        elif isinstance(node, Seq) and isinstance(step, int) and step < len(node):
            line, col = node.places[step]
            node = node[step]
        else:
            break
    return Position(file, line + 1, col + 1)


def dotted(loc: Sequence[int | str]) -> str:
    """``('tasks', 'x', 'retry', 'on', 0)`` → ``tasks.x.retry.on[0]``; each key as ``shown``."""
    text = ""
    for step in loc:
        if step == "[key]":
            continue
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{shown(step)}" if text else shown(step)
    return text


def _model_for(loc: Sequence[int | str]) -> str:
    path = [s for s in loc if isinstance(s, str)]
    if path[:1] == ["tasks"] and len(path) >= 2:
        return "retry" if path[2:3] == ["retry"] else "task"
    if path[:1] in (["settings"], ["defaults"]):
        return "retry" if path[1:2] == ["retry"] else path[0]
    return ""


@functools.lru_cache(maxsize=1024)
def _hint(name: str, model: str) -> str:
    # Cached: a hostile file repeats one misspelling thousands of times, and difflib is slow.
    known = list(FIELDS[model].model_fields)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f"; known fields: {', '.join(known)}"


def _unknown_field(loc: Sequence[int | str]) -> str:
    name = str(loc[-1])
    parent = dotted(loc[:-1])
    hint = _hint(name, _model_for(loc[:-1]))
    return f"{parent + ': ' if parent else ''}unknown field '{shown(name)}'{hint}"


def message_for(error: ErrorDetails, root: Any) -> str:
    """One human sentence for one pydantic error."""
    loc, kind, ctx = error["loc"], error["type"], error.get("ctx") or {}
    where = dotted(loc)
    if kind == "extra_forbidden":
        return _unknown_field(loc)
    if loc == ("tasks",) and kind != "missing":
        return f"tasks: must be a mapping of task keys to tasks; {_NO_TASKS}"
    if kind == "missing":
        hints: dict[tuple[int | str, ...], str] = {("version",): " (add 'version: 1')"}
        hints[("tasks",)] = f" ({_NO_TASKS})"
        hint = hints.get(tuple(loc), "")
        return f"missing required field '{where}'{hint}"
    if loc == ("version",):
        return "unsupported version; this agenttasks reads 'version: 1'"
    if kind == "string_pattern_mismatch" and "[key]" in loc:
        return f"{where}: {key_problem(str(loc[-2]))}"
    if kind in _TYPE_WORDS:
        return f"{where}: must be {_TYPE_WORDS[kind]}"
    if kind == "literal_error":
        return f"{where}: must be one of {ctx.get('expected', '')}"
    if kind == "too_short" and where.endswith(".on"):
        return f"{where}: must list at least one state"
    if kind in ("repository", "prompt", "secret"):
        return f"{where}: {error['msg']}"
    return f"{where}: {error['msg'][0].lower()}{error['msg'][1:]}"


def problems(error: ValidationError, root: Any, file: str) -> list[Problem]:
    """Every error of a validation, each at its place."""
    return [
        Problem(
            position_of(root, e["loc"], file, key=e["type"] == "extra_forbidden"),
            message_for(e, root),
        )
        for e in error.errors(include_url=False, include_input=False)
    ]
