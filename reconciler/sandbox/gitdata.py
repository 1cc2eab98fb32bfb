"""Git trees, commits and blobs: create and get, as GitHub's git database API does."""

from __future__ import annotations

import base64
import binascii

from reconciler.sandbox.endpoints import Caller, not_found
from reconciler.sandbox.gitjson import Where, blob_json, commit_json, tree_json
from reconciler.sandbox.gitobjects import (
    BLOB_MODES,
    TREE_MODE,
    Commit,
    Entry,
    GitDb,
    Person,
    TreeError,
    build_tree,
)
from reconciler.sandbox.gitrefs import open_db, open_for_write
from reconciler.sandbox.gitrepo import GIT_DOCS
from reconciler.sandbox.query import parse_time
from reconciler.sandbox.store import Store
from reconciler.sandbox.wire import Request, Response, error, json_response

TREES_DOCS = f"{GIT_DOCS}/trees"
COMMITS_DOCS = f"{GIT_DOCS}/commits"
BLOBS_DOCS = f"{GIT_DOCS}/blobs"
_KIND_OF_MODE = {"100644": "blob", "100755": "blob", "120000": "blob", TREE_MODE: "tree"}


def _entry(db: GitDb, item: object) -> tuple[str, Entry | None] | str:
    """One ``tree[]`` item as (path, entry or None to delete), or the problem with it."""
    if not isinstance(item, dict) or not isinstance(item.get("path"), str):
        return "tree.path is missing"
    path, mode, kind = item["path"], item.get("mode"), item.get("type")
    if mode not in (*BLOB_MODES, TREE_MODE, "160000"):
        return f"tree.mode {mode!r} is not one of 100644, 100755, 040000, 160000, 120000"
    if kind != _KIND_OF_MODE.get(str(mode), "commit"):
        return f"tree.type {kind!r} does not match mode {mode}"
    if "sha" in item and "content" in item:
        return "tree.sha and tree.content cannot both be given"
    if "content" in item:
        if not isinstance(item["content"], str) or kind != "blob":
            return "tree.content must be a string, for a blob"
        return path, Entry(str(mode), "blob", db.put(item["content"].encode()))
    sha = item.get("sha")
    if sha is None:
        return (path, None) if "sha" in item else "tree.sha or tree.content is required"
    known = {"blob": db.blob, "tree": db.tree}.get(str(kind))
    if not isinstance(sha, str) or (known is not None and known(sha) is None):
        return f"tree.sha {sha} is not a valid {kind}"
    return path, Entry(str(mode), str(kind), sha)


def create_tree(store: Store, request: Request, owner: str, repo: str) -> Response:
    """``POST /repos/{o}/{r}/git/trees`` ``{base_tree?, tree: [...]}`` → 201 ``git-tree``."""
    docs = f"{TREES_DOCS}#create-a-tree"
    opened = open_for_write(store, request, owner, repo, docs)
    if isinstance(opened, Response):
        return opened
    db, body = opened
    items, base = body.get("tree"), body.get("base_tree")
    if not isinstance(items, list):
        return error(422, 'Invalid request.\n\n"tree" wasn\'t supplied.', docs=docs)
    if base is not None and (not isinstance(base, str) or db.tree(base) is None):
        return error(422, f"base_tree {base} is not a valid tree", docs=docs)
    changes: dict[str, Entry | None] = {}
    for item in items:
        found = _entry(db, item)
        if isinstance(found, str):
            return error(422, found, docs=docs)
        changes[found[0]] = found[1]
    try:
        sha = build_tree(db, base, changes)
    except TreeError as bad:
        return error(422, str(bad), docs=docs)
    where = Where(request.base_url, f"{owner}/{repo}")
    answer = tree_json(db, where, sha, db.tree(sha) or {}, recursive=False)
    return json_response(201, answer, ("location", answer["url"]))


def _tree_sha(db: GitDb, name: str) -> str | None:
    # GitHub takes a tree's sha, a commit's (its tree) or a branch or tag name.
    commit = db.commit(name) or db.commit(
        db.refs.get(f"refs/heads/{name}") or db.refs.get(f"refs/tags/{name}") or ""
    )
    if commit is not None:
        return commit.tree
    return name if db.tree(name) is not None else None


def get_tree(store: Store, request: Request, owner: str, repo: str, name: str) -> Response:
    """``GET /repos/{o}/{r}/git/trees/{tree_sha}[?recursive=1]``."""
    db = open_db(store, owner, repo, f"{TREES_DOCS}#get-a-tree")
    if isinstance(db, Response):
        return db
    sha = _tree_sha(db, name)
    if sha is None:
        return not_found()
    recursive = any(key == "recursive" for key, _ in request.query)
    where = Where(request.base_url, f"{owner}/{repo}")
    return json_response(200, tree_json(db, where, sha, db.tree(sha) or {}, recursive=recursive))


def _person(value: object, default: Person) -> Person | str:
    if value is None:
        return default
    if not isinstance(value, dict) or not all(
        isinstance(value.get(k), str) for k in ("name", "email")
    ):
        return "author and committer need a name and an email"
    when = parse_time(str(value["date"])) if value.get("date") else default.date
    if when is None:
        return f"{value['date']!r} is not an ISO 8601 date-time"
    return Person(str(value["name"]), str(value["email"]), when)


def _caller_person(caller: Caller) -> Person:
    login = f"sandbox-user-{caller.user_id}"
    return Person(login, f"{caller.user_id}+{login}@users.noreply.github.com", caller.now)


def _commit_from(db: GitDb, body: dict[str, object], caller: Caller) -> Commit | str:
    message, tree, parents = body.get("message"), body.get("tree"), body.get("parents", [])
    if not isinstance(message, str):
        return 'Invalid request.\n\n"message" wasn\'t supplied.'
    if not isinstance(tree, str):
        return 'Invalid request.\n\n"tree" wasn\'t supplied.'
    if db.tree(tree) is None:
        return "Tree SHA does not exist"
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        return "parents must be a list of shas"
    if any(db.commit(p) is None for p in parents):
        return "Parent SHA does not exist or is not a commit object"
    author = _person(body.get("author"), _caller_person(caller))
    if isinstance(author, str):
        return author
    committer = _person(body.get("committer"), author)
    if isinstance(committer, str):
        return committer
    return Commit(tree, tuple(parents), message, author, committer)


def create_commit(
    store: Store, request: Request, owner: str, repo: str, caller: Caller
) -> Response:
    """``POST /repos/{o}/{r}/git/commits`` ``{message, tree, parents?, author?, committer?}``."""
    docs = f"{COMMITS_DOCS}#create-a-commit"
    opened = open_for_write(store, request, owner, repo, docs)
    if isinstance(opened, Response):
        return opened
    db, body = opened
    commit = _commit_from(db, body, caller)
    if isinstance(commit, str):
        return error(422, commit, docs=docs)
    sha = db.put(commit)
    answer = commit_json(Where(request.base_url, f"{owner}/{repo}"), sha, commit)
    return json_response(201, answer, ("location", answer["url"]))


def get_commit(store: Store, request: Request, owner: str, repo: str, sha: str) -> Response:
    """``GET /repos/{o}/{r}/git/commits/{commit_sha}``."""
    db = open_db(store, owner, repo, f"{COMMITS_DOCS}#get-a-commit-object")
    if isinstance(db, Response):
        return db
    commit = db.commit(sha)
    if commit is None:
        return not_found()
    return json_response(200, commit_json(Where(request.base_url, f"{owner}/{repo}"), sha, commit))


def create_blob(store: Store, request: Request, owner: str, repo: str) -> Response:
    """``POST /repos/{o}/{r}/git/blobs`` ``{content, encoding?}`` → 201 ``{url, sha}``."""
    docs = f"{BLOBS_DOCS}#create-a-blob"
    opened = open_for_write(store, request, owner, repo, docs)
    if isinstance(opened, Response):
        return opened
    db, body = opened
    content, encoding = body.get("content"), body.get("encoding", "utf-8")
    if not isinstance(content, str):
        return error(422, 'Invalid request.\n\n"content" wasn\'t supplied.', docs=docs)
    if encoding not in ("utf-8", "base64"):
        return error(422, f"encoding {encoding!r} is not utf-8 or base64", docs=docs)
    try:
        data = (
            base64.b64decode(content, validate=True) if encoding == "base64" else content.encode()
        )
    except binascii.Error:
        return error(422, "content is not valid base64", docs=docs)
    sha = db.put(data)
    url = Where(request.base_url, f"{owner}/{repo}").api(f"git/blobs/{sha}")
    return json_response(201, {"url": url, "sha": sha}, ("location", url))


def get_blob(store: Store, request: Request, owner: str, repo: str, sha: str) -> Response:
    """``GET /repos/{o}/{r}/git/blobs/{file_sha}``: base64 content."""
    db = open_db(store, owner, repo, f"{BLOBS_DOCS}#get-a-blob")
    if isinstance(db, Response):
        return db
    data = db.blob(sha)
    if data is None:
        return not_found()
    return json_response(200, blob_json(Where(request.base_url, f"{owner}/{repo}"), sha, data))
