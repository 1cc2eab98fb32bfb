"""What the sandbox keeps per repository beyond tasks: its git database, workflow runs, pull
requests and issue comments."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from reconciler.sandbox.gitobjects import (
    Commit,
    Entry,
    GitDb,
    Person,
    build_tree,
    db_from_json,
    db_json,
)

RUN_STATUSES = frozenset({"requested", "queued", "in_progress", "waiting", "pending", "completed"})
RUN_CONCLUSIONS = frozenset(
    {
        "success",
        "failure",
        "neutral",
        "cancelled",
        "skipped",
        "timed_out",
        "action_required",
        "startup_failure",
        "stale",
    }
)
# The initial commit is dated and authored the same way in every sandbox, so every fresh
# repository's main branch has the same, known sha.
INITIAL_DATE = datetime(2026, 1, 1, tzinfo=UTC)
SANDBOX_PERSON = Person("sandbox", "sandbox@users.noreply.github.com", INITIAL_DATE)


@dataclass
class StoredRun:
    """A workflow run as the control route set it."""

    id: int
    run_number: int
    path: str
    head_sha: str
    head_branch: str | None
    status: str
    conclusion: str | None
    run_attempt: int
    event: str
    name: str
    created_at: datetime
    updated_at: datetime


@dataclass
class StoredPull:
    """A pull request as a test seeded it (the sandbox opens and merges none by itself)."""

    number: int
    id: int
    title: str
    head_ref: str
    head_sha: str
    base_ref: str
    state: str  # open | closed
    merged_at: datetime | None
    merge_commit_sha: str | None
    author: str
    author_id: int
    created_at: datetime
    updated_at: datetime


@dataclass
class StoredComment:
    """An issue comment: on a pull request (its number) of the repository."""

    id: int
    number: int
    body: str
    login: str
    user_id: int
    user_type: str  # User | Bot
    association: str  # author_association
    created_at: datetime
    updated_at: datetime


@dataclass
class RepoData:
    """One repository's git database (None until first used), workflow runs by id, pull
    requests by number and issue comments by id (in creation order)."""

    git: GitDb | None = None
    runs: dict[int, StoredRun] = field(default_factory=dict)
    pulls: dict[int, StoredPull] = field(default_factory=dict)
    comments: dict[int, StoredComment] = field(default_factory=dict)


def initialised(name: str) -> GitDb:
    """A repository as GitHub creates it with a README: ``main`` at one root commit."""
    db = GitDb()
    readme = db.put(f"# {name}\n".encode())
    tree = build_tree(db, None, {"README.md": Entry("100644", "blob", readme)})
    commit = db.put(Commit(tree, (), "Initial commit", SANDBOX_PERSON, SANDBOX_PERSON))
    db.refs["refs/heads/main"] = commit
    return db


def run_json(run: StoredRun) -> dict[str, Any]:
    """A run for the data file."""
    out = asdict(run)
    out["created_at"] = run.created_at.isoformat()
    out["updated_at"] = run.updated_at.isoformat()
    return out


def run_from_json(data: dict[str, Any]) -> StoredRun:
    """A run read back from the data file."""
    values = dict(data)
    values["created_at"] = datetime.fromisoformat(values["created_at"])
    values["updated_at"] = datetime.fromisoformat(values["updated_at"])
    return StoredRun(**values)


_DATES = ("created_at", "updated_at", "merged_at")


def _dated_json(record: StoredPull | StoredComment) -> dict[str, Any]:
    out = asdict(record)
    for key in _DATES:
        if key in out:
            out[key] = None if out[key] is None else out[key].isoformat()
    return out


def _dated(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for key in _DATES:
        if out.get(key) is not None:
            out[key] = datetime.fromisoformat(out[key])
    return out


def repo_json(data: RepoData) -> dict[str, Any]:
    """A repository's data for the data file."""
    return {
        "git": None if data.git is None else db_json(data.git),
        "runs": [run_json(r) for r in data.runs.values()],
        "pulls": [_dated_json(p) for p in data.pulls.values()],
        "comments": [_dated_json(c) for c in data.comments.values()],
    }


def repo_from_json(data: dict[str, Any]) -> RepoData:
    """A repository's data read back from the data file (files written before pull requests
    and comments existed have none)."""
    git = None if data.get("git") is None else db_from_json(data["git"])
    runs = [run_from_json(r) for r in data.get("runs", [])]
    pulls = [StoredPull(**_dated(p)) for p in data.get("pulls", [])]
    comments = [StoredComment(**_dated(c)) for c in data.get("comments", [])]
    return RepoData(
        git,
        {r.id: r for r in runs},
        {p.number: p for p in pulls},
        {c.id: c for c in comments},
    )
