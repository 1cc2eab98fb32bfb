"""``Sandbox``: the Python API over one store, for tests, ``demo`` and ``sandbox:PATH``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import httpx

from reconciler.sandbox import actions, comments, repocontrol
from reconciler.sandbox.clock import real_clock
from reconciler.sandbox.faults import FaultRule
from reconciler.sandbox.gitobjects import lookup
from reconciler.sandbox.gitrepo import full_ref, git_db, repo_data
from reconciler.sandbox.lifecycle import phase, updated_at
from reconciler.sandbox.runs import set_run
from reconciler.sandbox.store import ActiveFault, Config, RecordedRequest, Store, StoredTask
from reconciler.sandbox.taskjson import OMITTABLE_SESSION_FIELDS
from reconciler.sandbox.transport import make_transport
from reconciler.sandbox.wire import Request, Response


@dataclass(frozen=True)
class TaskView:
    """A task as the sandbox holds it, at the sandbox's current time."""

    id: str
    repo: str
    creator_id: int
    prompt: str
    state: str
    archived: bool
    created_at: datetime
    updated_at: datetime
    base_ref: str | None
    head_ref: str | None
    model: str | None
    custom_agent: str | None
    create_pull_request: bool


@dataclass(frozen=True)
class CommentView:
    """An issue comment as the sandbox holds it."""

    id: int
    body: str
    login: str
    user_type: str
    created_at: datetime
    updated_at: datetime


class Sandbox:
    """The agent tasks API in memory.

    ``Sandbox(*, user_id=1, token=None, repos=None, speed=1.0, seed=0, clock=None)``: requests
    need a token (any token, or exactly ``token`` when given; ``map_token`` adds others) and act
    as ``user_id``; ``repos`` limits the repositories that exist (else every valid name does);
    ``speed`` scales the lifecycle; ``seed`` makes ids and rate-based faults repeatable;
    ``clock`` is a callable returning an aware UTC datetime (``ManualClock``), None = real time.
    ``anonymous=True`` also accepts requests without a token (``sandbox:PATH``); ``latency_ms``
    is added to every answer when served (in-process it is ignored, like all latency).
    ``normalise=True`` echoes sessions as GitHub may (``refs/heads/`` refs, pinned model versions)
    and ``omit_session_fields`` (of ``base_ref``, ``head_ref``, ``model``) leaves those fields out
    of every session (docs/sandbox.md "Normalised answers").
    """

    def __init__(
        self,
        *,
        user_id: int = 1,
        token: str | None = None,
        repos: Iterable[str] | None = None,
        speed: float = 1.0,
        seed: int = 0,
        clock: Callable[[], datetime] | None = None,
        anonymous: bool = False,
        latency_ms: int = 0,
        normalise: bool = False,
        omit_session_fields: Iterable[str] = (),
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        omitted = frozenset(omit_session_fields)
        if unknown := sorted(omitted - set(OMITTABLE_SESSION_FIELDS)):
            names = ", ".join(OMITTABLE_SESSION_FIELDS)
            raise ValueError(f"cannot omit session field(s) {', '.join(unknown)}: use {names}")
        allowed = None if repos is None else frozenset(r.lower() for r in repos)
        config = Config(
            user_id, token, anonymous, allowed, speed, seed, latency_ms, normalise, omitted
        )
        self.store = Store(config=config)
        self.clock: Callable[[], datetime] = clock or real_clock
        self.lock = threading.Lock()

    def now(self) -> datetime:
        """The sandbox's current time."""
        return self.store.effective_now(self.clock())

    def transport(
        self, after: Callable[[Request, Response], None] | None = None
    ) -> httpx.MockTransport:
        """An httpx transport answering from this sandbox, in-process (see ``transport.py``)."""
        return make_transport(self.store, self.clock, self.lock, after)

    def create_task(
        self,
        repo: str,
        prompt: str = "A sandbox task",
        *,
        creator_id: int | None = None,
        base_ref: str | None = None,
        head_ref: str | None = None,
        model: str | None = None,
        custom_agent: str | None = None,
        create_pull_request: bool = False,
        created_at: datetime | None = None,
    ) -> str:
        """Add a task without a request (another creator's, or bulk seeding); returns its id."""
        owner, _, name = repo.partition("/")
        if not actions.valid_repository(owner, name):
            raise ValueError(f"{repo!r} is not a valid owner/name")
        new = actions.NewTask(
            owner=owner,
            repo=name,
            prompt=prompt,
            creator_id=self.store.config.user_id if creator_id is None else creator_id,
            base_ref=base_ref,
            head_ref=head_ref,
            model=model,
            custom_agent=custom_agent,
            create_pull_request=create_pull_request,
        )
        with self.lock:
            return actions.create(self.store, new, created_at or self.now()).id

    def archive(self, task_id: str) -> None:
        """Archive a task (``KeyError`` if unknown)."""
        with self.lock:
            actions.archive(self.store, task_id, self.now())

    def unarchive(self, task_id: str) -> None:
        """Unarchive a task."""
        with self.lock:
            actions.unarchive(self.store, task_id, self.now())

    def delete(self, task_id: str) -> None:
        """Delete a task: its GET answers 404 from now on."""
        with self.lock:
            actions.delete(self.store, task_id)

    def set_state(self, task_id: str, state: str | Enum) -> None:
        """Force a task's state from now on (accepts ``TaskState`` members too)."""
        value = state.value if isinstance(state, Enum) else state
        with self.lock:
            actions.set_state(self.store, task_id, str(value), self.now())

    def map_token(self, token: str, user_id: int) -> None:
        """Requests with ``token`` act as ``user_id``."""
        with self.lock:
            self.store.tokens[token] = user_id

    def add_fault(self, rule: FaultRule | str) -> None:
        """Add a fault rule (a ``FaultRule`` or its text form, see ``faults.py``)."""
        parsed = FaultRule.parse(rule) if isinstance(rule, str) else rule
        with self.lock:
            self.store.faults.append(ActiveFault(parsed))

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        with self.lock:
            self.store.faults.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request received (method, path, query, json, time, fault), oldest first."""
        with self.lock:
            return list(self.store.requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self.lock:
            self.store.requests.clear()

    def set_repo(self, repo: str, *, empty: bool = False) -> None:
        """Make ``repo`` GitHub's empty repository (no branches: the git database answers 409)
        or, with ``empty=False``, freshly initialised (``main`` at one commit with a README)."""
        with self.lock:
            repocontrol.make_repo(self.store, repo, empty=empty)

    def commit(
        self,
        repo: str,
        branch: str,
        files: dict[str, bytes | str | None],
        message: str = repocontrol.DEFAULT_MESSAGE,
    ) -> str:
        """Another writer commits ``files`` (path → content, None deletes) on ``branch``,
        creating it if missing; returns the new head's sha."""
        raw = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
        with self.lock:
            return repocontrol.commit_files(self.store, repo, branch, raw, self.now(), message)

    def ref(self, repo: str, ref: str) -> str | None:
        """The sha ``ref`` (``heads/main`` or ``refs/heads/main``) points at, or None."""
        owner, name = repocontrol.split_repo(repo)
        with self.lock:
            return git_db(self.store, owner, name).refs.get(full_ref(ref))

    def file(self, repo: str, path: str, ref: str = "heads/main") -> bytes | None:
        """The bytes of ``path`` at the head of ``ref``, or None when absent."""
        owner, name = repocontrol.split_repo(repo)
        with self.lock:
            db = git_db(self.store, owner, name)
            commit = db.commit(db.refs.get(full_ref(ref), ""))
            entry = lookup(db, commit.tree, path) if commit else None
            return db.blob(entry.sha) if entry else None

    def set_run(self, repo: str, run_id: int | None = None, **fields: object) -> int:
        """Create a workflow run (``run_id`` None: the next id) or change one; returns its id.
        Fields: ``status``, ``conclusion``, ``run_attempt``, ``path``, ``head_sha``,
        ``head_branch``, ``event``, ``name``."""
        with self.lock:
            return set_run(self.store, repo, run_id, dict(fields), self.now())

    def add_pull(self, repo: str, number: int, **fields: object) -> None:
        """Seed pull request ``number`` (or change one). Fields: ``head_sha``, ``head_ref``,
        ``base_ref``, ``state`` (open, closed), ``merged_at`` (a datetime), ``merge_commit_sha``,
        ``title``, ``author``, ``author_id``."""
        with self.lock:
            comments.set_pull(self.store, repo, number, dict(fields), self.now())

    def add_comment(
        self,
        repo: str,
        number: int,
        body: str,
        *,
        login: str,
        user_id: int | None = None,
        user_type: str = "User",
        association: str = "NONE",
    ) -> int:
        """A comment by another author (``user_type`` User or Bot) on a seeded pull request;
        returns its id."""
        with self.lock:
            return comments.add_comment(
                self.store,
                repo,
                number,
                body,
                self.now(),
                login=login,
                user_id=user_id,
                user_type=user_type,
                association=association,
            )

    def comments(self, repo: str, number: int) -> list[CommentView]:
        """The comments of pull request ``number``, oldest first."""
        owner, name = repocontrol.split_repo(repo)
        with self.lock:
            stored = repo_data(self.store, owner, name).comments.values()
            return [
                CommentView(c.id, c.body, c.login, c.user_type, c.created_at, c.updated_at)
                for c in stored
                if c.number == number
            ]

    def tasks(self) -> list[TaskView]:
        """Every task, archived or not, by any creator, in creation order."""
        now = self.now()
        with self.lock:
            return [_view(t, now, self.store.config.speed) for t in self.store.tasks.values()]


def _view(task: StoredTask, now: datetime, speed: float) -> TaskView:
    current = phase(task, now, speed)
    return TaskView(
        id=task.id,
        repo=task.full_name,
        creator_id=task.creator_id,
        prompt=task.prompt,
        state=current.state,
        archived=task.archived_at is not None,
        created_at=task.created_at,
        updated_at=updated_at(task, current),
        base_ref=task.base_ref,
        head_ref=task.head_ref,
        model=task.model,
        custom_agent=task.custom_agent,
        create_pull_request=task.create_pull_request,
    )
