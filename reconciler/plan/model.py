"""What a plan is: actions, their order, counts, and the live view of tracked tasks. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from reconciler.models import RemoteTask, RequestBody, TaskState
from reconciler.state.format import EarlierRun


class Kind(StrEnum):
    """What happens to a key; the order here is the order of the plan's blocks (DESIGN §4)."""

    CREATE = "create"
    IMPORT = "import"
    REPLACE = "replace"
    RERUN = "rerun"
    RECREATE = "recreate"
    FORGET = "forget"
    NOOP = "no-op"


ORDER = {kind: index for index, kind in enumerate(Kind)}
CREATES = frozenset({Kind.CREATE, Kind.REPLACE, Kind.RERUN, Kind.RECREATE})


class Sync(StrEnum):
    """How the state and the API agree about a key."""

    SYNCED = "synced"
    PENDING = "pending"
    UNKNOWN = "unknown"
    MISSING = "missing"


class Bucket(StrEnum):
    """A task state grouped by what a person should do about it."""

    PROGRESSING = "progressing"
    NEEDS_PERSON = "needs a person"
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"


_BUCKETS = {
    TaskState.QUEUED: Bucket.PROGRESSING,
    TaskState.IN_PROGRESS: Bucket.PROGRESSING,
    TaskState.WAITING_FOR_USER: Bucket.NEEDS_PERSON,
    TaskState.IDLE: Bucket.NEEDS_PERSON,
    TaskState.COMPLETED: Bucket.DONE,
    TaskState.FAILED: Bucket.FAILED,
    TaskState.TIMED_OUT: Bucket.FAILED,
    TaskState.CANCELLED: Bucket.FAILED,
}


def bucket(state: TaskState | None) -> Bucket:
    """The bucket of a task state; ``unknown`` for None and values this version does not know."""
    return _BUCKETS.get(state, Bucket.UNKNOWN) if state is not None else Bucket.UNKNOWN


@dataclass(frozen=True)
class Action:
    """One key's fate in a plan, with the reason a reviewer reads."""

    key: str
    kind: Kind
    repo: str
    reason: str = ""
    body: RequestBody | None = None
    digest: str | None = None
    attempt: int = 1
    task: RemoteTask | None = None
    old_task_id: str | None = None
    earlier_runs: tuple[EarlierRun, ...] = ()
    forget_after_import: bool = False
    notes: tuple[str, ...] = ()

    @property
    def creates(self) -> bool:
        """Whether applying this action sends a POST."""
        return self.kind in CREATES

    @property
    def verbs(self) -> tuple[str, ...]:
        """``task_changes[].actions`` of the JSON output."""
        if self.kind == Kind.IMPORT:
            return ("import", "forget") if self.forget_after_import else ("import",)
        if self.kind in (Kind.REPLACE, Kind.RERUN):
            return ("create", "forget")
        if self.kind == Kind.RECREATE:
            return ("create",)
        return (self.kind.value,)


@dataclass(frozen=True)
class Status:
    """A row of the live table: one tracked (or unresolved) key."""

    key: str
    repo: str
    sync: Sync
    state: TaskState | None
    created_at: datetime | None
    html_url: str | None
    task_id: str | None = None

    @property
    def bucket(self) -> Bucket:
        """What the state means for a person."""
        return bucket(self.state)


@dataclass(frozen=True)
class Attention:
    """A declared key that will not be acted on without a person's decision."""

    key: str
    message: str


@dataclass(frozen=True)
class Counts:
    """The numbers of the summary sentence."""

    imported: int = 0
    added: int = 0
    forgotten: int = 0

    @property
    def changes(self) -> bool:
        """Whether applying would change anything (live-state changes alone are not changes)."""
        return bool(self.imported or self.added or self.forgotten)


@dataclass(frozen=True)
class Duration:
    """How long applying the plan's creates takes at least, when over a minute: the waits GitHub's
    create limits (and the state branch's commits) impose, estimated by the apply's own limiter."""

    seconds: float
    creates: int
    limits: tuple[tuple[int, float], ...]  # (count, window seconds) of the create rate applied
    branch: bool = False  # a github: state: its commits count against the same limits


@dataclass(frozen=True)
class Plan:
    """Every action, sorted by (action order, key), and what is around them."""

    actions: tuple[Action, ...]
    statuses: tuple[Status, ...] = ()
    attention: tuple[Attention, ...] = ()
    drift: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()
    dropped_intents: tuple[str, ...] = ()
    targeted: bool = False
    offline: bool = False  # made without the API (plan --offline): no matching, no live states
    declared: int = 0
    tracked: int = 0
    repositories: int = 0
    duration: Duration | None = None
    # (key, repository, "failed,timed_out/3") per selected declared key with a retry policy: what
    # the re-runs live state drives are allowed by, so the review digest covers it (plan/review.py)
    policies: tuple[tuple[str, str, str], ...] = ()

    @property
    def changes(self) -> tuple[Action, ...]:
        """Actions that change something (no-ops left out)."""
        return tuple(a for a in self.actions if a.kind != Kind.NOOP)

    @property
    def counts(self) -> Counts:
        """Replace and re-run count one add and one forget; an import of a gone key, one forget."""
        imported = sum(a.kind == Kind.IMPORT for a in self.actions)
        added = sum(a.creates for a in self.actions)
        forgotten = sum(
            a.kind in (Kind.FORGET, Kind.REPLACE, Kind.RERUN) or a.forget_after_import
            for a in self.actions
        )
        return Counts(imported, added, forgotten)


def sort_actions(actions: list[Action]) -> tuple[Action, ...]:
    """Deterministic order: by action kind, then key."""
    return tuple(sorted(actions, key=lambda a: (ORDER[a.kind], a.key)))
