"""The sandbox's in-memory store: tasks, token map, faults, recorded requests, and its codec.

Pure data: nothing here reads a clock or a file. Randomness comes from a counter mixed with the
seed, so the same seed and the same requests give the same ids, and a store loaded from disk keeps
drawing where it stopped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any

from reconciler.sandbox.faults import FaultRule
from reconciler.sandbox.repodata import RepoData, repo_from_json, repo_json

FORMAT = 2  # 2 added ``repos`` (git databases, workflow runs); format 1 files are still read
READABLE_FORMATS = (1, 2)
MAX_RECORDED = 10_000  # a long-running served sandbox keeps only the latest requests


@dataclass
class Config:
    """How the sandbox behaves; fixed at start."""

    user_id: int = 1
    token: str | None = None
    anonymous: bool = False  # accept requests without a token (the ``sandbox:PATH`` form)
    repos: frozenset[str] | None = None  # lower-cased owner/name; None = every valid name
    speed: float = 1.0
    seed: int = 0
    latency_ms: int = 0
    # Echo a session's fields as GitHub may (``refs/heads/`` refs, pinned models): see
    # ``taskjson.session_json``; and the session fields left out of every answer.
    normalise: bool = False
    omit_session_fields: frozenset[str] = frozenset()


@dataclass
class StoredTask:
    """A task as the store keeps it; its state is derived from ``created_at`` and the clock.

    Only ``archived_at``, ``touched_at``, ``forced_state`` and ``forced_at`` change after
    creation: the listing's render cache (``taskjson.encoded_task``) keys on them and on the phase.
    """

    id: str
    owner: str
    repo: str
    creator_id: int
    prompt: str
    created_at: datetime
    outcome: str
    session_id: str
    pull_id: int
    base_ref: str | None = None
    head_ref: str | None = None
    model: str | None = None
    custom_agent: str | None = None
    create_pull_request: bool = False
    archived_at: datetime | None = None
    forced_state: str | None = None
    forced_at: datetime | None = None
    touched_at: datetime | None = None  # archive / unarchive: a change with no state change

    @property
    def full_name(self) -> str:
        """``owner/repo`` as created."""
        return f"{self.owner}/{self.repo}"

    @cached_property
    def repo_key(self) -> str:
        """``owner/repo`` lower-cased, as GitHub compares names. Cached: a listing compares it
        for every stored task, and owner and repo never change once created."""
        return self.full_name.lower()


@dataclass
class RecordedRequest:
    """A request the sandbox received: what tests assert on."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    json: Any
    time: datetime
    fault: str | None = None
    user_id: int = 0  # whom the token acted as (0: no token accepted): who sent what, in tests


@dataclass
class ActiveFault:
    """A fault rule and how often it has fired."""

    rule: FaultRule
    fired: int = 0


# A task's encoded JSON, the task it was rendered from and the changing inputs it was rendered
# with (see ``taskjson.encoded_task``).
Rendered = tuple[StoredTask, tuple[object, ...], bytes]


@dataclass
class Store:
    """Everything the handler reads and changes.

    Tasks are added and removed through ``add``, ``remove`` and ``replace_tasks`` only, which keep
    ``by_repo`` (each repository's tasks, in creation order, so a listing reads only its own) in
    step with ``tasks`` and drop cached renderings.
    """

    config: Config = field(default_factory=Config)
    tasks: dict[str, StoredTask] = field(default_factory=dict)
    by_repo: dict[str, dict[str, StoredTask]] = field(default_factory=dict)
    rendered: dict[str, Rendered] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    faults: list[ActiveFault] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    received: int = 0
    draws: int = 0
    clock_offset: float = 0.0
    frozen_at: datetime | None = None
    rate_window: dict[int, tuple[datetime, int]] = field(default_factory=dict)
    repos: dict[str, RepoData] = field(default_factory=dict)  # lower-cased owner/repo → data

    def add(self, task: StoredTask) -> None:
        """Keep a new task; one kept under the same id is removed first, whatever its repository."""
        if task.id in self.tasks:
            self.remove(task.id)
        self.tasks[task.id] = task
        self.by_repo.setdefault(task.repo_key, {})[task.id] = task

    def remove(self, task_id: str) -> None:
        """Forget a task (``KeyError`` if unknown)."""
        task = self.tasks.pop(task_id)
        siblings = self.by_repo[task.repo_key]
        del siblings[task_id]
        if not siblings:
            del self.by_repo[task.repo_key]
        self.rendered.pop(task_id, None)

    def replace_tasks(self, tasks: list[StoredTask]) -> None:
        """Hold exactly ``tasks``, in this order (a repeated id keeps the last, as a dict does)."""
        self.tasks = {t.id: t for t in tasks}
        self.by_repo = {}
        for task in self.tasks.values():
            self.by_repo.setdefault(task.repo_key, {})[task.id] = task
        self.rendered = {}

    def repo_tasks(self, repo_key: str) -> list[StoredTask]:
        """The tasks of one repository (lower-cased ``owner/repo``), in creation order."""
        return list(self.by_repo.get(repo_key, {}).values())

    def record(self, entry: RecordedRequest) -> None:
        """Keep a received request (the latest ``MAX_RECORDED`` of them)."""
        self.received += 1
        self.requests.append(entry)
        if len(self.requests) > MAX_RECORDED:
            del self.requests[: len(self.requests) - MAX_RECORDED]

    def draw(self) -> int:
        """The next 256-bit draw: deterministic in (seed, number of draws), like a generator
        reseeded per draw, but a pure function the architecture check can see is one."""
        self.draws += 1
        digest = hashlib.sha256(f"{self.config.seed}:{self.draws}".encode()).digest()
        return int.from_bytes(digest, "big")

    def chance(self) -> float:
        """A draw in [0, 1): a fault's ``rate`` fires when it is below the rate."""
        return self.draw() / 2**256

    def new_uuid(self) -> str:
        """A UUID4-shaped id (version 4, RFC 4122 variant) from the next draw."""
        bits = self.draw() >> 128
        bits = (bits & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
        bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)  # variant 10xx
        text = f"{bits:032x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    def effective_now(self, now: datetime) -> datetime:
        """The sandbox's time: the adapter's clock, shifted or frozen by the control route."""
        if self.frozen_at is not None:
            return self.frozen_at
        return now + timedelta(seconds=self.clock_offset)


@lru_cache(maxsize=8192)  # pure, and asked once per task per listing
def stable_id(kind: str, name: str) -> int:
    """A positive database-style id for an owner or repository, stable across runs."""
    digest = hashlib.sha256(f"{kind}:{name.lower()}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 900_000_000 + 1_000_000


def iso(moment: datetime) -> str:
    """GitHub's timestamp form: UTC, seconds precision, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def task_to_json(task: StoredTask) -> dict[str, Any]:
    """A stored task as JSON for the data file."""
    # The declared fields only: cached properties also live in the instance's __dict__.
    out: dict[str, Any] = {f.name: getattr(task, f.name) for f in fields(task)}
    for key in ("created_at", "archived_at", "forced_at", "touched_at"):
        value = out[key]
        out[key] = value.isoformat() if value else None
    return out


def task_from_json(data: dict[str, Any]) -> StoredTask:
    """A stored task read back from the data file."""
    values = dict(data)
    for key in ("archived_at", "forced_at", "touched_at"):
        values[key] = _when(values.get(key))
    values["created_at"] = datetime.fromisoformat(values["created_at"])
    return StoredTask(**values)


def dump(store: Store) -> dict[str, Any]:
    """What ``--data`` and ``sandbox:PATH`` persist: tasks, token map, the draw counter, and
    each repository's git database and workflow runs."""
    return {
        "format": FORMAT,
        "draws": store.draws,
        "tokens": dict(store.tokens),
        "tasks": [task_to_json(t) for t in store.tasks.values()],
        "repos": {key: repo_json(data) for key, data in store.repos.items()},
    }


def load_into(store: Store, data: dict[str, Any]) -> None:
    """Restore what ``dump`` wrote; a file of another format is refused."""
    if data.get("format") not in READABLE_FORMATS:
        raise ValueError(f"sandbox data format {data.get('format')!r} is not {FORMAT}")
    store.draws = int(data["draws"])
    store.tokens = {str(k): int(v) for k, v in data["tokens"].items()}
    store.replace_tasks([task_from_json(t) for t in data["tasks"]])
    repos = data.get("repos", {})  # format 1 had none
    store.repos = {str(key): repo_from_json(value) for key, value in repos.items()}
