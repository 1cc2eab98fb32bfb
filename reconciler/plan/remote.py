"""What the API said during a refresh, and the rules for matching a task to a spec. Pure.

The refresh (``plan/refresh.py``) fills a ``Remote``; the planner reads it. Matching (DESIGN §4)
is how agenttasks finds a task again when a POST's answer was lost or the state file is gone: the
task's first session carries the prompt and refs it was started with.

The identity rule is written here once: ``listing_query`` is the listing every caller asks for,
``find`` (over ``candidate_ids`` and ``first_session_mismatch``) the tasks started from a body,
newest first, and ``lost_create`` the search for an unfinished create. The planner, apply's
end-of-run re-check (``apply/recheck.py``) and ``import`` (``commands/state_edit.py``) all decide
"is this the task we lost?" through them, and say an ambiguity with ``ambiguous_create``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from reconciler.github.endpoints import ListParams
from reconciler.models import RemoteTask, RequestBody, TaskDetail
from reconciler.spec.digest import normalise_prompt
from reconciler.spec.matching import MATCHED_FIELDS, answered_as
from reconciler.state.format import Intent

LOOKBACK = timedelta(minutes=5)
SETTLE_MARGIN = timedelta(seconds=40)  # DESIGN §4: the POST timeout + 10 s + 30 s


@dataclass(frozen=True)
class RepoListing:
    """One repository's listing: ``status`` 200 with its tasks, or the status that failed it.

    ``archived`` holds the archived listing's tasks when it was asked for (always when the
    repository has keys to match: DESIGN §4, candidates come from both listings).
    """

    status: int = 200
    tasks: tuple[RemoteTask, ...] = ()
    archived: tuple[RemoteTask, ...] = ()

    @property
    def every(self) -> tuple[RemoteTask, ...]:
        """The active listing's tasks, then the archived listing's."""
        return self.tasks + self.archived

    @cached_property
    def by_id(self) -> dict[str, RemoteTask]:
        """Each listed task by id (the active listing's wins): one look-up per tracked task."""
        return {task.id: task for task in reversed(self.every)}

    @property
    def ok(self) -> bool:
        """Whether the token could list the repository."""
        return self.status == 200


@dataclass(frozen=True)
class Remote:
    """Everything the refresh learned: listings, single GETs, and candidates' details."""

    user_id: int
    listings: dict[str, RepoListing] = field(default_factory=dict)
    found: dict[str, RemoteTask] = field(default_factory=dict)
    gone: frozenset[str] = frozenset()
    details: dict[str, TaskDetail] = field(default_factory=dict)

    def task(self, repo_key: str, task_id: str) -> RemoteTask | None:
        """The task as listed or fetched, or None."""
        listing = self.listings.get(repo_key)
        found = listing.by_id.get(task_id) if listing else None
        return found if found is not None else self.found.get(task_id)


def settle_window(post_timeout: float) -> timedelta:
    """How long after a POST its task may still appear in a listing."""
    return timedelta(seconds=post_timeout) + SETTLE_MARGIN


def listing_query(
    since: datetime | None, creator_ids: tuple[int, ...], *, archived: bool = False
) -> ListParams:
    """A repository's listing as every caller asks for it: oldest first, 100 a page, narrowed to
    ``creator_ids`` and to tasks created at or after ``since`` (DESIGN §4 "Refresh")."""
    return ListParams(
        per_page=100,
        sort="created_at",
        direction="asc",
        since=since,
        creator_ids=creator_ids,
        is_archived=True if archived else None,
    )


def sent_at(intent: Intent) -> datetime:
    """When ``intent``'s POST left: its server time, else (an old state) its local start time."""
    return intent.server_time or intent.started_at


def intent_since(intent: Intent) -> datetime:
    """The oldest a task started by ``intent``'s POST can be: when it left, less the lookback."""
    return sent_at(intent) - LOOKBACK


def recordless_since(now: datetime, adopt_window: timedelta) -> datetime:
    """The oldest a declared key's lost task can be when the key has no record: ``adopt_window``
    before the server's ``now``, state or no state (docs/state.md "The matching window").

    Never the state's last save: a save (a targeted apply, ``import``, ``state rm``, a restored
    backup) does not look at the keys it does not touch, so it must not narrow their window.
    """
    return now - adopt_window


def first_session_mismatch(body: RequestBody, detail: TaskDetail) -> str | None:
    """The first field of ``body`` the task's first session was not started with, or None when it
    was started from ``body``; a field the body leaves out matches anything, and each declared one
    is compared by the one tolerant rule (``spec/matching.py``)."""
    if not detail.sessions:
        return "prompt"
    first = min(detail.sessions, key=lambda s: s.created_at)
    if first.prompt is None or normalise_prompt(first.prompt) != body.prompt:
        return "prompt"
    agent = detail.custom_agent.id if detail.custom_agent else None
    answered = {
        "base_ref": first.base_ref,
        "head_ref": first.head_ref,
        "model": first.model,
        "custom_agent": agent,
    }
    for name in MATCHED_FIELDS:
        wanted = getattr(body, name)
        if wanted is not None and not answered_as(name, wanted, answered[name]):
            return name
    return None


def first_session_matches(body: RequestBody, detail: TaskDetail) -> bool:
    """Whether the task was started from ``body``; a field the body leaves out matches anything."""
    return first_session_mismatch(body, detail) is None


def candidate_ids(remote: Remote, repo_key: str, *, known: set[str], since: datetime) -> list[str]:
    """Tasks that may be a lost one: by the token's user, unknown to the state, recent enough;
    active or archived (a task archived before the next plan is still the one we lost)."""
    listing = remote.listings.get(repo_key)
    if listing is None or not listing.ok:
        return []
    return sorted(
        task.id
        for task in listing.every
        if task.creator_id == remote.user_id and task.id not in known and task.created_at >= since
    )


@dataclass(frozen=True)
class Matches:
    """Every task started from one body, newest first: one, none, or several."""

    tasks: tuple[TaskDetail, ...] = ()

    @property
    def one(self) -> TaskDetail | None:
        """The task, when exactly one matched."""
        return self.tasks[0] if len(self.tasks) == 1 else None

    @property
    def ambiguous(self) -> bool:
        """Whether two or more tasks matched."""
        return len(self.tasks) > 1

    @property
    def ids(self) -> tuple[str, ...]:
        """The matching tasks' ids, newest first."""
        return tuple(t.id for t in self.tasks)


def find(
    remote: Remote,
    repo_key: str,
    body: RequestBody,
    *,
    known: set[str],
    since: datetime,
    claimed: set[str],
) -> Matches:
    """The candidates of ``repo_key`` started from ``body``, leaving out tasks already claimed."""
    found = [
        remote.details[i]
        for i in candidate_ids(remote, repo_key, known=known, since=since)
        if i in remote.details
        and i not in claimed
        and first_session_matches(body, remote.details[i])
    ]
    return Matches(tuple(sorted(found, key=lambda d: (d.created_at, d.id), reverse=True)))


def lost_create(remote: Remote, intent: Intent, *, known: set[str], claimed: set[str]) -> Matches:
    """The tasks ``intent``'s POST may have started: one is it, several are an ambiguity."""
    return find(
        remote,
        intent.repo.lower(),
        intent.body,
        known=known,
        since=intent_since(intent),
        claimed=claimed,
    )


def ambiguous_create(key: str, matches: Matches) -> str:
    """What the planner refuses with, and apply reports, when an intent matches several tasks."""
    return (
        f"the unfinished create of '{key}' matches {len(matches.tasks)} tasks"
        f" ({', '.join(matches.ids)}); choose the right one with: agenttasks import {key} TASK_ID"
    )
