"""What the sandbox keeps per repository beyond tasks: its git database and its workflow runs."""

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
class RepoData:
    """One repository's git database (None until first used) and workflow runs by id."""

    git: GitDb | None = None
    runs: dict[int, StoredRun] = field(default_factory=dict)


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


def repo_json(data: RepoData) -> dict[str, Any]:
    """A repository's data for the data file."""
    return {
        "git": None if data.git is None else db_json(data.git),
        "runs": [run_json(r) for r in data.runs.values()],
    }


def repo_from_json(data: dict[str, Any]) -> RepoData:
    """A repository's data read back from the data file."""
    git = None if data.get("git") is None else db_from_json(data["git"])
    runs = [run_from_json(r) for r in data.get("runs", [])]
    return RepoData(git, {r.id: r for r in runs})
