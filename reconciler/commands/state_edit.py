"""``state list|show|rm``, ``import`` and ``force-unlock``: reading and hand-editing the state."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel

from reconciler.apply.transitions import with_created, without
from reconciler.commands.context import (
    Context,
    Result,
    lock_state,
    open_api,
    opened_state,
    server_now,
    workspace,
)
from reconciler.errors import AgentTasksError, StateConflict, StateError, UsageError
from reconciler.plan.model import Action, Kind
from reconciler.plan.planner import intent_import
from reconciler.plan.remote import first_session_mismatch
from reconciler.state.backend import Backend
from reconciler.state.format import Record, State
from reconciler.state.store import StateStore


def _read(ctx: Context, files: Sequence[Path], state: Path | str | None) -> tuple[str, State]:
    with opened_state(ctx, files, state) as backend:
        return backend.location, backend.read().state or State()


def run_list(ctx: Context, *, files: Sequence[Path], state: Path | str | None) -> Result:
    """One line per tracked key: key, repository, task id, last state seen."""
    path, current = _read(ctx, files, state)
    lines = [
        f"{key}\t{r.repo}\t{r.task_id}\t{r.last_state.value if r.last_state else '-'}"
        for key, r in sorted(current.tasks.items())
    ]
    lines += [
        f"{key}\t{i.repo}\t(unconfirmed create)\t-" for key, i in sorted(current.intents.items())
    ]
    lines += [
        f"{key}\t{t.repo}\t{t.task_id}\t(forgotten)"
        for key, t in sorted(current.tombstones.items())
    ]
    text = "\n".join(lines) + "\n" if lines else f"No tasks are tracked in {path}.\n"
    return Result(text)


def run_show(ctx: Context, *, files: Sequence[Path], state: Path | str | None, key: str) -> Result:
    """A key's record (or intent, or tombstone) as JSON."""
    path, current = _read(ctx, files, state)
    tables: tuple[tuple[str, Mapping[str, BaseModel]], ...] = (
        ("record", current.tasks),
        ("intent", current.intents),
        ("tombstone", current.tombstones),
    )
    for kind, table in tables:
        if key in table:
            data = {"key": key, "kind": kind, **table[key].model_dump(mode="json")}
            return Result(json.dumps(data, indent=2, sort_keys=True) + "\n")
    raise UsageError(f"no key '{key}' in {path}")


def run_rm(
    ctx: Context,
    *,
    files: Sequence[Path],
    state: Path | str | None,
    key: str,
    tombstone: bool,
    lock_timeout: float | None,
) -> Result:
    """Drop a key's record (and unconfirmed create), or with ``tombstone`` its tombstone."""
    with (
        opened_state(ctx, files, state) as backend,
        lock_state(ctx, backend, command=f"state rm {key}", timeout=lock_timeout) as lease,
    ):
        path = backend.location
        store = StateStore(lease)
        current = store.state
        if tombstone:
            if key not in current.tombstones:
                raise UsageError(f"no tombstone for '{key}' in {path}")
            gone = current.tombstones[key]
            store.save(
                current.model_copy(update={"tombstones": without(current.tombstones, key)}),
                ctx.now(),
            )
            when = f"{gone.forgotten_at:%Y-%m-%d}"
            return Result(
                f"Removed the tombstone of '{key}' (task {gone.task_id}, forgotten {when}).\n"
            )
        if key not in current.tasks and key not in current.intents:
            raise UsageError(f"no key '{key}' in {path}")
        record, intent = current.tasks.get(key), current.intents.get(key)
        update = {"tasks": without(current.tasks, key), "intents": without(current.intents, key)}
        store.save(current.model_copy(update=update), ctx.now())
    if record is not None:
        dropped = f"task {record.task_id} in {record.repo}"
    else:
        dropped = f"an unconfirmed create in {intent.repo if intent else '?'}"
    return Result(
        f"Removed '{key}' ({dropped}) from {path}. The task itself is untouched on GitHub;"
        " if the key is still declared, the next plan finds it again (a task created within"
        " --adopt-window, default 30 days).\n"
    )


def run_import(
    ctx: Context,
    *,
    files: Sequence[Path],
    state: Path | str | None,
    key: str,
    task_id: str,
    force: bool,
    lock_timeout: float | None,
) -> Result:
    """Record an existing task under a declared key, once the planner's rule says it was started
    from the key's spec: the unfinished create's body when the key has one, else the declared one.

    The id given replaces the planner's search, so an ambiguity the planner refused (an unfinished
    create matching several tasks) is resolved by naming one of them (docs/state.md).
    """
    work = workspace(ctx, files, state)
    spec = work.desired.tasks.get(key)
    if spec is None:
        raise UsageError(f"'{key}' is not declared in {', '.join(work.files)}; declare it first")
    intent = work.state.intents.get(key)
    repo, body = (intent.repo, intent.body) if intent else (spec.repo, spec.body)
    with open_api(ctx) as client:
        user = client.user_id()
        task = client.get_task(repo, task_id)
        now = server_now(client, ctx)
    differs = first_session_mismatch(body, task)
    if differs is not None and not force:
        spec_of = f"of the unfinished create of '{key}'" if intent else f"declared for '{key}'"
        raise AgentTasksError(
            f"task {task_id} was not started from the {differs} {spec_of}; check the id,"
            " or pass --force to record it anyway"
        )
    with (
        opened_state(ctx, files, state) as backend,
        lock_state(ctx, backend, command=f"import {key}", timeout=lock_timeout) as lease,
    ):
        store = StateStore(lease)
        current = store.state
        if any(r.task_id == task_id for k, r in current.tasks.items() if k != key):
            raise StateConflict(f"task {task_id} is already recorded under another key")
        _check_not_an_earlier_run(current, key, task_id)
        action = (
            intent_import(key, intent, task, record=current.tasks.get(key), declared=True)
            if intent
            else Action(
                key,
                Kind.IMPORT,
                spec.repo,
                body=spec.body,
                digest=spec.digest,
                attempt=_next_attempt(current.tasks.get(key), task_id),
            )
        )
        imported = with_created(current, action, task, now=now)
        # Another user's creates still unconfirmed keep the state theirs: writing this token's
        # user would lift the guard (planner.check_user) that keeps them from being created again.
        others = current.user_id is not None and current.user_id != user and imported.intents
        saver = current.user_id if others else user
        store.save(imported.model_copy(update={"user_id": saver}), now)
    return Result(
        f"Imported task {task.id} ({task.state.value}) as '{key}' in {work.state_path}.\n"
    )


def _check_not_an_earlier_run(state: State, key: str, task_id: str) -> None:
    """Importing one of the key's earlier runs would make it the current run again: the newer
    one would become an earlier run, and a failed old one would be re-run beside it."""
    record, intent = state.tasks.get(key), state.intents.get(key)
    earlier = (*(record.earlier_runs if record else ()), *(intent.earlier_runs if intent else ()))
    if record is not None and any(run.task_id == task_id for run in earlier):
        raise UsageError(
            f"task {task_id} is an earlier run of '{key}', whose current task is"
            f" {record.task_id}; the state keeps it as an earlier run"
        )


def _next_attempt(prior: Record | None, task_id: str) -> int:
    """The run an imported task is: after the key's recorded one (which becomes an earlier run),
    or that same run again; a retry policy is never reset by an import."""
    if prior is None:
        return 1
    return prior.attempt if prior.task_id == task_id else prior.attempt + 1


def run_force_unlock(
    ctx: Context, *, files: Sequence[Path], state: Path | str | None, lock_id: str
) -> Result:
    """Break the lock whose id is ``lock_id`` (a local lock only when its holder has died)."""
    with opened_state(ctx, files, state) as backend:
        return Result(backend.force_unlock(lock_id) + "\n")


def run_migrate(
    ctx: Context,
    *,
    files: Sequence[Path],
    state: Path | str | None,
    to: str,
    lock_timeout: float | None,
) -> Result:
    """Copy the state verbatim to another location, under both locks; the source is kept."""
    with opened_state(ctx, files, state) as source, opened_state(ctx, files, to) as target:
        return _migrate(ctx, source, target, to=to, lock_timeout=lock_timeout)


def _migrate(
    ctx: Context, source: Backend, target: Backend, *, to: str, lock_timeout: float | None
) -> Result:
    if source.location == target.location:
        raise UsageError(f"--to {to}: that is where the state already is")
    command = f"state migrate --to {target.location}"
    with (
        lock_state(ctx, source, command=command, timeout=lock_timeout) as held,
        lock_state(ctx, target, command=command, timeout=lock_timeout) as taken,
    ):
        copied = source.read().state
        if copied is None:
            raise UsageError(f"there is no state at {source.location} to migrate")
        there = target.read()
        if there.state is not None and there.state.lineage != copied.lineage:
            raise StateConflict(
                f"{target.location} holds another state (lineage {there.state.lineage}, not"
                f" {copied.lineage}); nothing was copied. Migrate to an empty location."
            )
        if there.state is not None and there.state.serial > copied.serial:
            raise StateConflict(
                f"{target.location} holds a newer serial of this state ({there.state.serial} >"
                f" {copied.serial}); nothing was copied"
            )
        target.write(taken, copied, expected=there.version)
        if target.read().state != copied:
            raise StateError(
                f"the copy at {target.location} does not read back as written; {source.location}"
                " is unchanged"
            )
        assert held.held
    return Result(
        f"Copied the state (lineage {copied.lineage}, serial {copied.serial}) from"
        f" {source.location} to {target.location} and read it back. The source was not changed:"
        " point --state at the new location, then remove the old copy when you no longer need"
        " it.\n"
    )
