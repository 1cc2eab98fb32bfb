"""What tests do to repositories that the public API cannot: empty or initialise one, commit as
another writer, set workflow runs, seed pull requests and other authors' comments. Shared by the
control routes and the Python API; each raises ``ValueError`` for a bad value (a 422 on the control
route)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.sandbox import actions
from reconciler.sandbox.comments import add_comment, set_pull
from reconciler.sandbox.gitobjects import Person
from reconciler.sandbox.gitrepo import OTHER_WRITER, git_db, push, set_empty
from reconciler.sandbox.query import parse_time
from reconciler.sandbox.runs import set_run
from reconciler.sandbox.store import Store
from reconciler.sandbox.wire import Response, json_response

DEFAULT_MESSAGE = "sandbox: a commit by another writer"


def split_repo(name: object) -> tuple[str, str]:
    """``owner/repo`` as its two names (``ValueError`` for an invalid name)."""
    owner, _, repo = str(name).partition("/")
    if not actions.valid_repository(owner, repo):
        raise ValueError(f"{name!r} is not a valid owner/name")
    return owner, repo


def make_repo(store: Store, name: str, *, empty: bool) -> None:
    """Make a repository empty (no branches) or freshly initialised (``main``, one commit)."""
    owner, repo = split_repo(name)
    set_empty(store, owner, repo, empty=empty)


def commit_files(
    store: Store,
    name: str,
    branch: str,
    files: dict[str, bytes | None],
    now: datetime,
    message: str = DEFAULT_MESSAGE,
) -> str:
    """Another writer commits ``files`` (path → bytes, None deletes) on ``branch`` (created if
    missing); returns the commit's sha."""
    owner, repo = split_repo(name)
    db = git_db(store, owner, repo)
    if db.empty:
        raise ValueError(f"{name} is an empty repository; initialise it first")
    return push(db, f"refs/heads/{branch}", files, message, Person(*OTHER_WRITER, now))


def _files(raw: object) -> dict[str, bytes | None]:
    if not isinstance(raw, dict) or not all(isinstance(v, str) or v is None for v in raw.values()):
        raise ValueError("files must map paths to strings or null")
    return {str(path): None if text is None else text.encode() for path, text in raw.items()}


def route(store: Store, parts: list[str], body: dict[str, Any], now: datetime) -> Response | None:
    """``POST /_sandbox/repos``, ``/commits``, ``/runs``, ``/pulls``, ``/comments``; None for
    others."""
    if parts == ["repos"]:
        empty = body.get("empty", False)
        if not isinstance(empty, bool):
            raise ValueError("empty must be a boolean")
        make_repo(store, str(body.get("repo")), empty=empty)
        return json_response(200, {"repo": body["repo"], "empty": empty})
    if parts == ["commits"]:
        message = str(body.get("message", DEFAULT_MESSAGE))
        files = _files(body.get("files", {}))
        sha = commit_files(store, str(body.get("repo")), str(body["branch"]), files, now, message)
        return json_response(201, {"sha": sha})
    if parts == ["runs"]:
        fields = {k: v for k, v in body.items() if k not in ("repo", "id")}
        run_id = body.get("id")
        if run_id is not None and (not isinstance(run_id, int) or isinstance(run_id, bool)):
            raise ValueError("id must be an integer")
        return json_response(
            201, {"id": set_run(store, str(body.get("repo")), run_id, fields, now)}
        )
    if parts == ["pulls"]:
        return _pull(store, body, now)
    if parts == ["comments"]:
        comment_id = add_comment(
            store,
            str(body.get("repo")),
            _number(body.get("number")),
            body.get("body", ""),
            now,
            login=body.get("login", ""),
            user_id=body.get("user_id"),
            user_type=body.get("user_type", "User"),
            association=body.get("association", "NONE"),
        )
        return json_response(201, {"id": comment_id})
    return None


def _number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("number must be an integer")
    return value


def _pull(store: Store, body: dict[str, Any], now: datetime) -> Response:
    fields = {k: v for k, v in body.items() if k not in ("repo", "number")}
    if isinstance(fields.get("merged_at"), str):
        merged = parse_time(fields["merged_at"])
        if merged is None:
            raise ValueError("merged_at must be an ISO 8601 date-time")
        fields["merged_at"] = merged
    number = _number(body.get("number"))
    set_pull(store, str(body.get("repo")), number, fields, now)
    return json_response(201, {"number": number})
