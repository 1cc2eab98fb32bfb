"""The planner: (desired, state, remote, now) → Plan. Pure; its identity rule is ``remote``'s.

Keys are decided in a fixed order — unresolved intents first, then declared keys, then records no
longer declared, each sorted by key — and a remote task claimed by one key is never offered to
another, so the plan depends neither on the YAML's order nor on the listings' (DESIGN §4).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import get_close_matches
from fnmatch import fnmatchcase

from reconciler import defaults
from reconciler.errors import StateConflict, TooManyCreates, UsageError
from reconciler.models import Desired, DesiredTask, OnChange, RemoteTask
from reconciler.plan.liveview import drift, statuses
from reconciler.plan.model import Action, Attention, Kind, Plan, sort_actions
from reconciler.plan.remote import (
    Remote,
    ambiguous_create,
    find,
    lost_create,
    recordless_since,
    sent_at,
    settle_window,
)
from reconciler.plan.unseen import unseen_difference
from reconciler.spec.schema import DEFAULT_MAX_CREATES
from reconciler.state.format import EarlierRun, Intent, Record, State


@dataclass(frozen=True, kw_only=True)
class Options:
    """What the command line adds to a plan."""

    targets: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    replace: frozenset[str] = frozenset()
    max_creates: int | None = None
    adopt_window: timedelta = timedelta(days=defaults.ADOPT_WINDOW_DAYS)
    # No API (plan --offline: a fork's pull request gets no token): nothing is matched, tracked
    # tasks are not looked at, unconfirmed creates stay unconfirmed.
    offline: bool = False
    post_timeout: float = defaults.POST_TIMEOUT

    def selects(self, key: str) -> bool:
        """Whether ``--target``/``--exclude`` leave ``key`` in the plan."""
        if not self.targets and not self.excludes:  # asked of every key, several times a plan
            return True
        wanted = not self.targets or matches(key, self.targets)
        return wanted and not matches(key, self.excludes)

    def replaces(self, key: str) -> bool:
        """Whether ``--replace`` names ``key`` (globs, as ``--target``)."""
        return matches(key, self.replace)


def matches(key: str, patterns: Iterable[str]) -> bool:
    """The one rule of ``--target``, ``--exclude`` and ``--replace``: shell globs (``*``, ``?``,
    ``[...]``), case-sensitive, over the whole key."""
    return bool(patterns) and any(fnmatchcase(key, pattern) for pattern in patterns)


def check_selection(options: Options, desired: Desired, state: State) -> None:
    """Refuse a ``--target`` or ``--exclude`` matching no declared or tracked key, and a
    ``--replace`` matching no declared key: silently planning nothing (or not re-running, or
    starting what was meant to be held back) would read as success."""
    declared = sorted(desired.tasks)
    known = sorted(set(declared) | set(state.tasks) | set(state.intents))
    checks = (
        ("--target", options.targets, known, "no declared or tracked key"),
        # A mistyped --exclude would start the very task it meant to hold back.
        ("--exclude", options.excludes, known, "no declared or tracked key"),
        ("--replace", tuple(sorted(options.replace)), declared, "no declared key"),
    )
    for option, patterns, keys, what in checks:
        for pattern in patterns:
            if not any(matches(key, (pattern,)) for key in keys):
                close = get_close_matches(pattern, keys, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise UsageError(
                    f"{option} {pattern!r} matches {what} ({len(declared)} declared){hint}"
                )


@dataclass
class _Run:
    desired: Desired
    state: State
    remote: Remote
    now: datetime
    options: Options
    known: set[str]
    claimed: set[str] = field(default_factory=set)
    actions: list[Action] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    attention: list[Attention] = field(default_factory=list)


def _changed_fields(record: Record, task: DesiredTask) -> str:
    if record.repo.lower() != task.repo_key:
        return "repository changed"
    if record.body is None:
        return "spec changed"
    old, new = record.body.to_json(), task.body.to_json()
    names = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    changed = f"{', '.join(names) or 'spec'} changed"
    unseen = unseen_difference(record.body.prompt, task.body.prompt)
    if unseen is None:
        return changed
    # The block would show the same text: say where it differs.
    only = "" if names == ["prompt"] else "; the prompt"
    return f"{changed}{only} only in characters that look the same: {unseen}"


def intent_import(
    key: str, intent: Intent, task: RemoteTask, *, record: Record | None, declared: bool
) -> Action:
    """Record ``task`` as what ``intent``'s POST started (the planner's import, and ``import``'s
    for a key with an unfinished create): the intent's spec, attempt and earlier runs."""
    return Action(
        key,
        Kind.IMPORT,
        intent.repo,
        reason="the create whose answer was lost did start this task",
        body=intent.body,
        digest=intent.digest,
        attempt=intent.attempt,
        task=task,
        old_task_id=record.task_id if record else None,
        earlier_runs=intent.earlier_runs,
        forget_after_import=not declared,
    )


def _resolve_intent(run: _Run, key: str, intent: Intent) -> bool:
    """Plan an import for a matched intent; True when the key is settled for this plan."""
    found = lost_create(run.remote, intent, known=run.known, claimed=run.claimed)
    if found.ambiguous:
        raise StateConflict(ambiguous_create(key, found))
    if found.one is not None:
        run.claimed.add(found.one.id)
        declared = key in run.desired.tasks
        record = run.state.tasks.get(key)
        run.actions.append(intent_import(key, intent, found.one, record=record, declared=declared))
        return True
    if run.options.offline or run.now < sent_at(intent) + settle_window(run.options.post_timeout):
        run.unresolved.append(key)
        return True
    run.dropped.append(key)
    return False


def _recordless(run: _Run, key: str, task: DesiredTask) -> None:
    tombstone = run.state.tombstones.get(key)
    if tombstone and not run.options.replaces(key):
        when = tombstone.forgotten_at.date().isoformat()
        run.attention.append(
            Attention(key, f"was run and forgotten on {when}; use --replace {key} to run it again")
        )
        return
    since = recordless_since(run.now, run.options.adopt_window)
    found = (
        ()
        if tombstone
        else find(
            run.remote, task.repo_key, task.body, known=run.known, since=since, claimed=run.claimed
        ).tasks
    )
    run.claimed.update(d.id for d in found)
    if found:  # several: the newest is imported, the others kept as earlier runs (DESIGN §4)
        others = tuple(
            EarlierRun(task_id=d.id, state=d.state, note="started from the same spec")
            for d in found[1:]
        )
        note = (
            (f"{len(others)} older task(s) from the same spec kept as earlier runs",)
            if others
            else ()
        )
        run.actions.append(
            Action(
                key,
                Kind.IMPORT,
                task.repo,
                "a task started from this spec exists on GitHub",
                body=task.body,
                digest=task.digest,
                task=found[0],
                # The newest is run N of N: a retry policy counts the runs the state forgot.
                attempt=len(found),
                earlier_runs=others,
                notes=note,
            )
        )
        return
    reason = "forgotten earlier; --replace runs it again" if tombstone else "not created yet"
    run.actions.append(
        Action(key, Kind.CREATE, task.repo, reason, body=task.body, digest=task.digest)
    )


def _new_task(
    key: str,
    kind: Kind,
    task: DesiredTask,
    record: Record,
    reason: str,
    *,
    remote: RemoteTask | None,
) -> Action:
    attempt = (
        record.attempt + 1
        if kind == Kind.RERUN
        else (1 if kind == Kind.REPLACE else record.attempt)
    )
    return Action(
        key,
        kind,
        task.repo,
        reason,
        body=task.body,
        digest=task.digest,
        attempt=attempt,
        task=remote,
        old_task_id=record.task_id,
    )


def _unchanged(key: str, record: Record, remote: RemoteTask | None, note: str = "") -> Action:
    return Action(
        key,
        Kind.NOOP,
        record.repo,
        attempt=record.attempt,
        task=remote,
        old_task_id=record.task_id,
        notes=(note,) if note else (),
    )


def _retry_reason(task: DesiredTask, record: Record, remote: RemoteTask) -> str | None:
    retry = task.retry
    if retry is None or remote.archived_at is not None:  # archived tasks are never re-run
        return None
    if remote.state.value not in retry.on or record.attempt >= retry.max_attempts:
        return None
    return f"retry {record.attempt + 1} of {retry.max_attempts} after {remote.state.value}"


def _tracked(run: _Run, key: str, task: DesiredTask, record: Record) -> None:
    repo_key = record.repo.lower()
    remote = run.remote.task(repo_key, record.task_id)
    if record.digest != task.digest:
        changed = _changed_fields(record, task)
        if task.on_change == OnChange.REPLACE:
            reason = f"{changed}; task {record.task_id} stays on GitHub as it is"
            run.actions.append(_new_task(key, Kind.REPLACE, task, record, reason, remote=remote))
        else:
            note = f"{changed}, but on_change: ignore keeps task {record.task_id}"
            run.actions.append(_unchanged(key, record, remote, note))
        return
    if run.options.replaces(key):
        run.actions.append(_new_task(key, Kind.RERUN, task, record, "--replace", remote=remote))
        return
    if remote is not None:
        retry = _retry_reason(task, record, remote)
        if retry:
            run.actions.append(_new_task(key, Kind.RERUN, task, record, retry, remote=remote))
        else:
            run.actions.append(_unchanged(key, record, remote))
        return
    if run.options.offline:
        run.actions.append(_unchanged(key, record, None))
        return
    listing = run.remote.listings.get(repo_key)
    if (
        listing is not None
        and listing.ok
        and record.creator_id == run.remote.user_id
        and record.task_id in run.remote.gone
    ):
        reason = f"task {record.task_id} is gone from GitHub (its GET answered 404)"
        run.actions.append(_new_task(key, Kind.RECREATE, task, record, reason, remote=None))
        return
    run.actions.append(_unchanged(key, record, None, _missing_reason(run, record)))


def _missing_reason(run: _Run, record: Record) -> str:
    listing = run.remote.listings.get(record.repo.lower())
    if listing is not None and not listing.ok:
        return f"{record.repo} answered {listing.status} to the listing: not found or no access"
    if record.creator_id != run.remote.user_id:
        return (
            f"task {record.task_id} was created by user {record.creator_id}, not this token's"
            f" user ({run.remote.user_id}), and this token cannot see it"
        )
    return f"task {record.task_id} could not be found"


def _guard(run: _Run, actions: tuple[Action, ...]) -> None:
    creates = sum(a.creates for a in actions)
    option, setting = run.options.max_creates, run.desired.max_creates
    limit = (
        option if option is not None else setting if setting is not None else DEFAULT_MAX_CREATES
    )
    if creates <= limit:
        return
    source = (
        "--max-creates"
        if option is not None
        else f"settings.max_creates in {run.desired.settings_file}"
        if setting is not None
        else "the default max_creates"
    )
    raise TooManyCreates(
        f"this plan would create {creates} tasks, more than {limit} ({source}); if that is"
        f" intended, raise settings.max_creates or pass --max-creates {creates}"
    )


def check_user(state: State, user_id: int) -> None:
    """Refuse (``StateConflict``) a token of another user than the one that saved the state while
    creates are unconfirmed: their tasks are searched among this user's, would not be found, and
    would be created again. Every intent counts, selected or not (docs/state.md)."""
    if not state.intents or state.user_id is None or state.user_id == user_id:
        return
    keys = sorted(state.intents)
    imports = "; ".join(f"agenttasks import {k} TASK_ID" for k in keys)
    drops = "; ".join(f"agenttasks state rm {k}" for k in keys)
    raise StateConflict(
        f"the state has {len(keys)} unconfirmed create(s) ({', '.join(keys)}) sent with the token"
        f" of user {state.user_id}, but this token is user {user_id}: their tasks would not be"
        f" found and could be created again. Run plan and apply with user {state.user_id}'s token"
        f" until they are settled; or check on GitHub and record each task with: {imports}; or,"
        f" if no task was started, drop the create with: {drops}"
    )


def plan(
    desired: Desired, state: State, remote: Remote, now: datetime, options: Options = Options()
) -> Plan:
    """Decide every key's action (DESIGN §4); raise on an ambiguous intent, on unconfirmed creates
    of another token user, or on too many creates."""
    check_selection(options, desired, state)
    check_user(state, remote.user_id)
    run = _Run(desired, state, remote, now, options, known=set(state.known_task_ids))
    settled = {
        key
        for key in sorted(state.intents)
        if options.selects(key) and _resolve_intent(run, key, state.intents[key])
    }
    for key in sorted(desired.tasks):
        if key in settled or not options.selects(key):
            continue
        record = state.tasks.get(key)
        if record is None:
            _recordless(run, key, desired.tasks[key])
        else:
            _tracked(run, key, desired.tasks[key], record)
    for key in sorted(state.tasks):
        if key not in desired.tasks and key not in settled and options.selects(key):
            record = state.tasks[key]
            reason = f"no longer declared; task {record.task_id} keeps running on GitHub"
            remote_task = remote.task(record.repo.lower(), record.task_id)
            run.actions.append(
                Action(
                    key,
                    Kind.FORGET,
                    record.repo,
                    reason,
                    task=remote_task,
                    old_task_id=record.task_id,
                )
            )
    actions = sort_actions(run.actions)
    _guard(run, actions)
    return Plan(
        actions=actions,
        statuses=() if options.offline else statuses(state, run.actions, run.unresolved),
        attention=tuple(sorted(run.attention, key=lambda a: a.key)),
        drift=() if options.offline else drift(state, run.actions),
        unresolved=tuple(sorted(run.unresolved)),
        dropped_intents=tuple(sorted(run.dropped)),
        targeted=bool(options.targets or options.excludes),
        offline=options.offline,
        policies=tuple(
            (key, task.repo, f"{','.join(sorted(task.retry.on))}/{task.retry.max_attempts}")
            for key, task in sorted(desired.tasks.items())
            if task.retry is not None and options.selects(key)
        ),
        declared=len(desired.tasks),
        tracked=len(state.tasks),
        repositories=len(
            {t.repo_key for t in desired.tasks.values()}
            | {r.repo.lower() for r in state.tasks.values()}
        ),
    )
