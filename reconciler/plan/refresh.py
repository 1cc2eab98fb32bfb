"""Ask the API, as cheaply as possible, what the planner needs to know (DESIGN §4 "Refresh").

Per repository: one filtered listing (``sort=created_at``, ascending, 100 a page, ``creator_id`` and
``since`` narrowed to what the state and the declared keys can need); the archived listing when
intents or keys without a record need candidates (they come from both listings) or when two or more
tracked ids are missing from the active one, else one GET per missing id; one GET per match
candidate. Repositories are listed concurrently. A failed listing is never read as empty.

``plan`` reads the tracked repositories' active listings while the tasks files are parsed
(``early_queries``, ``commands/prefetch.py``); ``refresh`` uses each one its own query is covered
by (``Early``), cut to what that query would have been answered, and asks for nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from reconciler.errors import NotFound
from reconciler.github.client import AgentTasksClient
from reconciler.github.endpoints import ListParams
from reconciler.models import Desired, RemoteTask
from reconciler.plan.planner import Options
from reconciler.plan.remote import (
    Remote,
    RepoListing,
    candidate_ids,
    intent_since,
    listing_query,
    recordless_since,
)
from reconciler.state.format import State


@dataclass(frozen=True)
class Query:
    """What to ask one repository's listing."""

    repo: str
    since: datetime | None
    creator_ids: tuple[int, ...]
    match_since: datetime | None  # the oldest a match candidate may be; None: no matching here


def queries(
    desired: Desired, state: State, user_id: int, now: datetime, options: Options
) -> dict[str, Query]:
    """The listing query of each repository, keyed by lower-cased name. Pure."""
    oldest: dict[str, datetime] = {}
    names: dict[str, str] = {}
    creators: dict[str, set[int]] = {}
    matchers: dict[str, datetime] = {}

    def add(repo: str, bound: datetime, creator: int | None = None, *, match: bool = False) -> None:
        key = repo.lower()
        if key in names:  # once per task: the rest is once per repository
            oldest[key] = min(oldest[key], bound)
        else:
            names[key], oldest[key], creators[key] = repo, bound, {user_id}
        if creator is not None:
            creators[key].add(creator)
        if match:
            matchers[key] = min(matchers.get(key, bound), bound)

    selects = options.selects
    for key, record in state.tasks.items():
        if selects(key):
            add(record.repo, record.created_at, record.creator_id)
    for key, intent in state.intents.items():
        if selects(key):
            add(intent.repo, intent_since(intent), match=True)
    recordless = recordless_since(now, options.adopt_window)
    for key, task in desired.tasks.items():
        if not selects(key):
            continue
        if key not in state.tasks and key not in state.tombstones:
            add(task.repo, recordless, match=True)
        elif task.repo_key not in names:
            add(task.repo, now)
    return {
        key: Query(names[key], oldest[key], tuple(sorted(creators[key])), matchers.get(key))
        for key in sorted(names)
    }


@dataclass(frozen=True)
class Early:
    """A repository's active listing, read while the tasks files were (commands/prefetch.py)."""

    query: Query
    tasks: tuple[RemoteTask, ...] | None  # None: the repository answered 404

    def covers(self, query: Query) -> bool:
        """Whether this listing holds every task ``query``'s active listing would."""
        if self.query.creator_ids != query.creator_ids:
            return False
        early, own = _sent(self.query.since), _sent(query.since)
        return early is None or (own is not None and early <= own)

    def narrowed(self, query: Query) -> tuple[RemoteTask, ...]:
        """The tasks ``query`` would have been answered: ``since`` means "updated at or after",
        as the API receives it. A task without ``updated_at`` is kept, as the server may have
        listed it."""
        tasks, since = self.tasks or (), _sent(query.since)
        if since is None or since == _sent(self.query.since):
            return tasks
        return tuple(t for t in tasks if t.updated_at is None or t.updated_at >= since)


def _sent(since: datetime | None) -> datetime | None:
    """``since`` as the API receives it: in whole seconds (``urls.format_time``)."""
    return since.replace(microsecond=0) if since is not None else None


# The server's time read for the plan's own queries may be behind the one read for the early ones
# (it is the last whole-second ``Date`` plus the time since): the early window starts this much
# earlier, so the plan's own still falls inside it.
_CLOCK_SLACK = timedelta(minutes=5)


def early_queries(state: State, user_id: int, now: datetime, options: Options) -> dict[str, Query]:
    """The active listing of each repository the state tracks, asked before the tasks files are
    read: ``since`` lowered to the recordless window, as no declared key can ask for an older
    one, so the plan's own query of the repository is always covered (``Early.covers``). Pure."""
    floor = recordless_since(now, options.adopt_window) - _CLOCK_SLACK
    return {
        key: replace(
            query, since=min(query.since, floor) if query.since else None, match_since=None
        )
        for key, query in queries(Desired({}, ()), state, user_id, now, options).items()
    }


def early_listings(client: AgentTasksClient, asked: Mapping[str, Query]) -> dict[str, Early]:
    """``early_queries``' listings, concurrently."""

    def one(query: Query) -> Early:
        try:
            return Early(query, client.list_repo_tasks(query.repo, _params(query)).tasks)
        except NotFound:
            return Early(query, None)

    return dict(zip(asked, client.fan_out(one, asked.values()), strict=True))


def _params(query: Query, *, archived: bool = False) -> ListParams:
    return listing_query(query.since, query.creator_ids, archived=archived)


def _listing(client: AgentTasksClient, query: Query, early: Early | None) -> RepoListing:
    """The active listing (read early when that covers it), and the archived one too when keys
    of the repository need candidates (an archived task is still the one a lost create or a lost
    state started)."""
    try:
        if early is None or not early.covers(query):
            tasks = client.list_repo_tasks(query.repo, _params(query)).tasks
        elif early.tasks is None:
            return RepoListing(status=404)
        else:
            tasks = early.narrowed(query)
        if query.match_since is None:
            return RepoListing(tasks=tasks)
        archived = client.list_repo_tasks(query.repo, _params(query, archived=True)).tasks
    except NotFound:
        return RepoListing(status=404)
    return RepoListing(tasks=tasks, archived=archived)


def _tracked_ids(state: State, options: Options) -> dict[str, list[str]]:
    """The selected records' task ids by lower-cased repository (one pass over the state)."""
    tracked: dict[str, list[str]] = {}
    for key, record in state.tasks.items():
        if options.selects(key):
            tracked.setdefault(record.repo.lower(), []).append(record.task_id)
    return tracked


def _missing_ids(tracked: list[str], listing: RepoListing) -> list[str]:
    listed = {t.id for t in listing.every}
    return sorted(task_id for task_id in tracked if task_id not in listed)


def _find_missing(
    client: AgentTasksClient, query: Query, missing: list[str]
) -> tuple[list[RemoteTask], set[str]]:
    """Tasks found again (archived, or beyond the filters), and ids the API says are gone."""
    if len(missing) >= 2:
        archived = client.list_repo_tasks(query.repo, _params(query, archived=True)).tasks
        found = [t for t in archived if t.id in missing]
        return found, set(missing) - {t.id for t in found}
    found_one: list[RemoteTask] = []
    gone: set[str] = set()
    for task_id in missing:
        try:
            found_one.append(client.get_task(query.repo, task_id))
        except NotFound:
            gone.add(task_id)
    return found_one, gone


def refresh(
    client: AgentTasksClient,
    desired: Desired,
    state: State,
    now: datetime,
    options: Options,
    early: Mapping[str, Early] | None = None,
) -> Remote:
    """Everything the planner needs from the API, in as few requests as DESIGN §4 allows;
    ``early``: listings already read (``early_listings``), not asked again."""
    user_id = client.user_id()
    plan = queries(desired, state, user_id, now, options)
    read = early or {}
    listings = dict(
        zip(
            plan,
            client.fan_out(lambda k: _listing(client, plan[k], read.get(k)), plan),
            strict=True,
        )
    )
    tracked = _tracked_ids(state, options)
    missing = {
        key: ids
        for key, listing in listings.items()
        if listing.ok and (ids := _missing_ids(tracked.get(key, []), listing))
    }
    found: dict[str, RemoteTask] = {}
    gone: set[str] = set()
    # Where the archived listing was read already, an id absent from both is gone (no GET).
    gone.update(i for k, ids in missing.items() if plan[k].match_since is not None for i in ids)
    lookups = [k for k in missing if plan[k].match_since is None]
    for tasks, gone_ids in client.fan_out(
        lambda k: _find_missing(client, plan[k], missing[k]), lookups
    ):
        found.update({t.id: t for t in tasks})
        gone |= gone_ids
    remote = Remote(user_id, listings, found, frozenset(gone))
    known = set(state.known_task_ids)
    candidates = sorted(
        {
            task_id
            for key, query in plan.items()
            if query.match_since is not None
            for task_id in candidate_ids(remote, key, known=known, since=query.match_since)
        }
    )
    by_id = {t.id: (key, t) for key, listing in listings.items() for t in listing.every}
    details = client.fan_out(lambda i: client.get_task(plan[by_id[i][0]].repo, i), candidates)
    return Remote(user_id, listings, found, frozenset(gone), {d.id: d for d in details})
