"""A repository's git database inside the store: created on first use, emptied, written to.

Every validly named repository starts initialised (``main`` at one root commit holding a README)
the first time its git database is used; ``set_empty`` makes it GitHub's empty repository (no
branches: the git database answers 409) or initialises it again. The writes here are the ones no
API request makes: another writer's commit (the ``race`` fault, ``Sandbox.push``).
"""

from __future__ import annotations

import json
from datetime import datetime

from reconciler.sandbox.gitobjects import Commit, Entry, GitDb, Person, build_tree
from reconciler.sandbox.repodata import RepoData, initialised
from reconciler.sandbox.store import Store
from reconciler.sandbox.wire import Request, Response, error

GIT_DOCS = "https://docs.github.com/rest/git"
EMPTY_REPOSITORY = "Git Repository is empty."
OTHER_WRITER = ("another-writer", "another-writer@users.noreply.github.com")
RACE_MESSAGE = "sandbox: another writer moved this ref"


def repo_data(store: Store, owner: str, repo: str) -> RepoData:
    """The repository's data, created empty-handed on first use."""
    return store.repos.setdefault(f"{owner}/{repo}".lower(), RepoData())


def git_db(store: Store, owner: str, repo: str) -> GitDb:
    """The repository's git database, initialised on first use."""
    data = repo_data(store, owner, repo)
    if data.git is None:
        data.git = initialised(repo)
    return data.git


def set_empty(store: Store, owner: str, repo: str, *, empty: bool) -> None:
    """Make the repository empty (no objects, no refs) or freshly initialised."""
    repo_data(store, owner, repo).git = GitDb(empty=True) if empty else initialised(repo)


def full_ref(ref: str) -> str:
    """``heads/x`` as ``refs/heads/x`` (a name already starting with ``refs/`` is kept)."""
    return ref if ref.startswith("refs/") else f"refs/{ref}"


def push(
    db: GitDb,
    ref: str,
    files: dict[str, bytes | None],
    message: str,
    author: Person,
) -> str:
    """Commit ``files`` (path → bytes, None deletes) on top of ``ref`` and move it; a missing
    ref is created at a root commit. Returns the new commit's sha."""
    name = full_ref(ref)
    head = db.refs.get(name)
    parent = db.commit(head) if head else None
    changes = {
        path: None if data is None else Entry("100644", "blob", db.put(data))
        for path, data in files.items()
    }
    tree = build_tree(db, parent.tree if parent else None, changes)
    parents = (head,) if head and parent else ()
    sha = db.put(Commit(tree, parents, message, author, author))
    db.refs[name] = sha
    return sha


def race(db: GitDb, ref: str, now: datetime) -> bool:
    """Another writer commits on ``ref`` (or creates it) with the same files; False when the
    repository is empty and no one could have written."""
    if db.empty:
        return False
    author = Person(*OTHER_WRITER, now)
    push(db, ref, {}, RACE_MESSAGE, author)
    return True


def json_body(request: Request, docs: str) -> dict[str, object] | Response:
    """The request's JSON object, or GitHub's 400 for anything else."""
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return error(400, "Problems parsing JSON", docs=docs)
    if not isinstance(body, dict):
        return error(400, "Body should be a JSON object", docs=docs)
    return body


def is_sha(value: object) -> bool:
    """Whether ``value`` is a full, lower-case hex sha1."""
    return (
        isinstance(value, str) and len(value) == 40 and all(c in "0123456789abcdef" for c in value)
    )
