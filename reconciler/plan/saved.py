"""The saved plan (``plan --out``): its JSON format, ``plan_id``, and the staleness checks. Pure.

A saved plan holds everything needed to re-render it (so ``show`` prints it byte for byte, ages
measured from ``created_at``) and to check, before applying, that nothing moved since it was made:
the state's lineage and serial and the digest of the desired set. It never holds a token.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime
from typing import Any, NoReturn

from pydantic import ConfigDict, TypeAdapter, ValidationError

from reconciler import __version__
from reconciler.errors import StateConflict, UsageError
from reconciler.models import Desired, Model
from reconciler.plan.model import Action, Kind, Plan

FORMAT = 1
_PLAN = TypeAdapter(Plan)


class SavedSelection(Model):
    """The selection the plan was made with, so ``apply PLANFILE`` can plan the same way again."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    targets: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    max_creates: int | None = None
    adopt_window: str | None = None


class SavedPlan(Model):
    """A plan as written by ``plan --out``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = FORMAT
    plan_id: str
    created_at: datetime
    tool_version: str
    lineage: str | None
    serial: int
    state_path: str
    files: tuple[str, ...]
    desired_digest: str
    selection: SavedSelection = SavedSelection()
    plan: dict[str, Any]

    def restore(self) -> Plan:
        """The plan itself."""
        return _PLAN.validate_python(self.plan)


def desired_digest(desired: Desired) -> str:
    """SHA-256 of the normalised desired set: each key's repository, spec and policies."""
    items = [
        [
            key,
            task.repo_key,
            task.digest,
            task.on_change.value,
            sorted(task.retry.on) if task.retry else None,
            task.retry.max_attempts if task.retry else None,
        ]
        for key, task in sorted(desired.tasks.items())
    ]
    data = json.dumps([items, desired.max_creates], separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


def _action_identity(action: Action) -> dict[str, Any]:
    """What an action does, without live states or times."""
    return {
        "key": action.key,
        "kind": action.kind.value,
        "repo": action.repo,
        "body": action.body.to_json() if action.body else None,
        "digest": action.digest,
        "attempt": action.attempt,
        "task_id": action.task.id if action.task else None,
        "old_task_id": action.old_task_id,
        "forget_after_import": action.forget_after_import,
        "earlier_runs": [run.task_id for run in action.earlier_runs],
    }


def plan_id(*, lineage: str | None, serial: int, digest: str, plan: Plan) -> str:
    """The same inputs always give the same id: no times, no live states."""
    actions = [_action_identity(a) for a in plan.actions]
    data = json.dumps(
        [FORMAT, lineage, serial, digest, actions], separators=(",", ":"), sort_keys=True
    )
    return hashlib.sha256(data.encode()).hexdigest()


def save_plan(
    plan: Plan,
    *,
    desired: Desired,
    lineage: str | None,
    serial: int,
    state_path: str,
    created_at: datetime,
    selection: SavedSelection,
) -> str:
    """The saved plan's JSON text."""
    digest = desired_digest(desired)
    saved = SavedPlan(
        plan_id=plan_id(lineage=lineage, serial=serial, digest=digest, plan=plan),
        created_at=created_at,
        tool_version=__version__,
        lineage=lineage,
        serial=serial,
        state_path=state_path,
        files=desired.files,
        desired_digest=digest,
        selection=selection,
        plan=_PLAN.dump_python(plan, mode="json"),
    )
    return json.dumps(saved.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"


def load_plan(text: str, *, path: str) -> SavedPlan:
    """Read a saved plan, or say why it is not one."""
    try:
        raw = json.loads(text)
        if isinstance(raw, dict) and isinstance(raw.get("format"), int) and raw["format"] > FORMAT:
            raise UsageError(f"{path} is a plan of a newer format; upgrade agenttasks to apply it")
        return SavedPlan.model_validate(raw)
    except (json.JSONDecodeError, ValidationError, RecursionError):
        raise UsageError(
            f"{path} is not a saved plan (make one with: agenttasks plan --out FILE)"
        ) from None


def is_saved_plan(text: str) -> bool:
    """Whether ``text`` is a saved plan (of this format or a newer one): ``plan --out`` may
    overwrite only such a file."""
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return False
    if not isinstance(raw, dict) or not isinstance(raw.get("format"), int):
        return False
    if raw["format"] > FORMAT:
        return "plan_id" in raw and "plan" in raw
    try:
        SavedPlan.model_validate(raw)
    except (ValidationError, RecursionError):
        return False
    return True


def check_current(saved: SavedPlan, *, lineage: str | None, serial: int, desired: Desired) -> None:
    """Refuse a plan made for another state, a stale state, or other tasks files (exit 5)."""
    if saved.lineage is not None and saved.lineage != lineage:
        raise StateConflict(
            f"the saved plan was made for a different state ({saved.state_path}); run plan again"
        )
    if saved.serial != serial or (saved.lineage is None and lineage is not None):
        raise StateConflict(
            f"the saved plan is stale: the state changed since it was made (serial {saved.serial},"
            f" now {serial}); run plan again"
        )
    if desired_digest(desired) != saved.desired_digest:
        raise StateConflict("the tasks files changed since the plan was made; run plan again")


_SPEC_DRIVEN = frozenset({Kind.CREATE, Kind.REPLACE, Kind.FORGET})
_FIELDS = ("repo", "body", "digest", "attempt", "old task", "task", "earlier runs", "forget")


def _fields(action: Action) -> dict[str, object]:
    """What applying ``action`` does, field by field (``_FIELDS``): no reasons, times or live
    states."""
    return {
        "repo": action.repo,
        "body": action.body.to_json() if action.body else None,
        "digest": action.digest,
        "attempt": action.attempt,
        "old task": action.old_task_id,
        "task": action.task.model_dump(mode="json")
        if action.kind == Kind.IMPORT and action.task
        else None,
        "earlier runs": [run.model_dump(mode="json") for run in action.earlier_runs],
        "forget": action.forget_after_import,
    }


def _first_field(saved: Action, fresh: Action) -> str:
    ours, theirs = _fields(saved), _fields(fresh)
    name = next(n for n in _FIELDS if ours[n] != theirs[n])
    if name == "body" and isinstance(ours["body"], dict) and isinstance(theirs["body"], dict):
        keys = sorted(ours["body"].keys() | theirs["body"].keys())
        changed = [k for k in keys if ours["body"].get(k) != theirs["body"].get(k)]
        return "prompt" if changed == ["prompt"] else "body"
    return name


def check_untampered(saved: Plan, fresh: Plan) -> None:
    """Refuse (exit 5), naming the first difference, a saved plan whose actions are not the ones
    the re-read tasks files, the state and the API imply now (``fresh``, planned with the saved
    selection). ``plan_id`` cannot protect a file: whoever edits it can recompute an unkeyed hash.

    Spec-driven actions (create, replace, forget) must be the same set; each live-driven one in
    the file (an import, a re-run, a recreate) must still be called for, and is the only kind of
    action ``fresh`` may have beyond the file's: a live change since review is not applied unseen.
    """
    fresh_by_key = {a.key: a for a in fresh.actions if a.kind != Kind.NOOP}
    seen: set[str] = set()
    for action in saved.actions:
        if action.kind == Kind.NOOP:
            continue
        where = f"task.{action.key}"
        if action.key in seen:
            _refuse(f"{where}: the saved plan has its {action.kind.value} twice")
        seen.add(action.key)
        match = fresh_by_key.get(action.key)
        if match is None or match.kind != action.kind:
            article = "an" if match and match.kind.value[0] in "aeiou" else "a"
            now = f"; they call for {article} {match.kind.value}" if match else ""
            _refuse(
                f"{where}: the saved plan has a {action.kind.value} the tasks files and state do"
                f" not call for{now}"
            )
        if _fields(action) != _fields(match):
            _refuse(
                f"{where}: the saved plan's {action.kind.value} differs from the tasks files in"
                f" {_first_field(action, match)}"
            )
    for action in fresh.actions:
        if action.kind in _SPEC_DRIVEN and action.key not in seen:
            _refuse(f"task.{action.key}: the saved plan leaves out its {action.kind.value}")


def _refuse(difference: str) -> NoReturn:
    raise StateConflict(
        f"the saved plan does not match the tasks files and the state: {difference}; run plan again"
    )


def approved(saved: Plan, fresh: Plan) -> Plan:
    """What ``apply PLANFILE`` runs once ``check_untampered`` passed: the fresh plan's own actions
    for the keys the file approves (and its no-ops), its own unconfirmed and dropped creates — the
    file is the approval, never the source of what is done."""
    keys = {a.key for a in saved.actions if a.kind != Kind.NOOP}
    kept = tuple(a for a in fresh.actions if a.kind == Kind.NOOP or a.key in keys)
    return replace(fresh, actions=kept)
