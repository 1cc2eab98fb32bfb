"""Issue comments on pull requests, and the pull requests associated with a commit.

- ``GET /repos/{o}/{r}/issues/{n}/comments``: every comment of pull request ``n``, oldest first,
  paged (``per_page`` up to 100, ``page``, ``since``) with ``Link``; ``POST``: 201, a new comment
  written by the token's identity.
- ``PATCH /repos/{o}/{r}/issues/comments/{id}``: 200, the comment with its new body;
  ``DELETE``: 204.
- ``GET /repos/{o}/{r}/commits/{sha}/pulls``: the pull requests whose head or merge commit is
  ``sha``.

A comment body over 65,536 characters is GitHub's 422 (``body is too long (maximum is 65536
characters)``). What an installation token (``ghs_``, the Actions GITHUB_TOKEN) writes is authored
by ``github-actions[bot]``, as on GitHub; any other token writes as its user (``sandbox-user-N``).
Like GitHub, the API lets a writer edit or delete anyone's comment: keeping off other authors'
comments is the client's job. The sandbox opens no pull request itself: a test seeds them
(``Sandbox.add_pull``, ``POST /_sandbox/pulls``), and comments by other authors too
(``Sandbox.add_comment``, ``POST /_sandbox/comments``); an issue number with no pull request is a
404.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from reconciler.sandbox import actions
from reconciler.sandbox.endpoints import Caller, not_found
from reconciler.sandbox.ghjson import ACTIONS_BOT, repository, simple_user
from reconciler.sandbox.gitrepo import is_sha, json_body, repo_data
from reconciler.sandbox.listing import link_header
from reconciler.sandbox.query import parse_time
from reconciler.sandbox.repodata import StoredComment, StoredPull
from reconciler.sandbox.store import Store, iso, stable_id
from reconciler.sandbox.wire import (
    FieldError,
    Request,
    Response,
    json_response,
    validation_failed,
)

MAX_BODY = 65536  # characters, GitHub's limit for an issue comment's body
COMMENT_DOCS = "https://docs.github.com/rest/issues/comments"
FIRST_COMMENT_ID = 2_000_000_001
FIRST_PULL_ID = 3_000_000_001
AUTHOR_TYPES = ("User", "Bot")
ASSOCIATIONS = (
    "COLLABORATOR",
    "CONTRIBUTOR",
    "FIRST_TIMER",
    "FIRST_TIME_CONTRIBUTOR",
    "MANNEQUIN",
    "MEMBER",
    "NONE",
    "OWNER",
)
PULL_STATES = ("open", "closed")


def _page(request: Request) -> tuple[int, int]:
    """``per_page`` and ``page`` as GitHub reads them: an unreadable value is the default, and
    ``per_page`` is capped at 100."""

    def number(name: str, default: int) -> int:
        values = [v for k, v in request.query if k == name]
        try:
            value = int(values[-1]) if values else default
        except ValueError:
            return default
        return value if value >= 1 else default

    return min(number("per_page", 30), 100), number("page", 1)


def _paged(request: Request, items: list[dict[str, Any]]) -> Response:
    per_page, page = _page(request)
    pages = max(1, math.ceil(len(items) / per_page))
    shown = items[(page - 1) * per_page : page * per_page]
    return json_response(200, shown, ("link", link_header(request, page, per_page, pages)))


def _author(caller: Caller) -> tuple[str, int, str]:
    """Who writes what this caller posts: the Actions bot for an installation token."""
    if caller.installation:
        return ACTIONS_BOT[0], ACTIONS_BOT[1], "Bot"
    return f"sandbox-user-{caller.user_id}", caller.user_id, "User"


def comment_json(comment: StoredComment, base_url: str, owner: str, repo: str) -> dict[str, Any]:
    """``issue-comment``."""
    api = f"{base_url}/repos/{owner}/{repo}"
    user = simple_user(base_url, comment.login, comment.user_id, comment.user_type)
    if comment.user_type == "Bot":
        user["html_url"] = f"https://github.com/apps/{comment.login.removesuffix('[bot]')}"
    return {
        "id": comment.id,
        "node_id": f"IC_sandbox{comment.id}",
        "url": f"{api}/issues/comments/{comment.id}",
        "html_url": (
            f"https://github.com/{owner}/{repo}/pull/{comment.number}#issuecomment-{comment.id}"
        ),
        "body": comment.body,
        "user": user,
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.updated_at),
        "issue_url": f"{api}/issues/{comment.number}",
        "author_association": comment.association,
        "performed_via_github_app": None,
    }


def _body_problem(body: dict[str, object]) -> Response | None:
    text = body.get("body")
    if "body" not in body:
        return _invalid("missing_field", "body is missing")
    if not isinstance(text, str):
        return _invalid("invalid", "body is not a string")
    if len(text) > MAX_BODY:
        return _invalid("custom", f"body is too long (maximum is {MAX_BODY} characters)")
    return None


def _invalid(code: str, message: str) -> Response:
    return validation_failed([FieldError("body", code, message, resource="IssueComment")])


def _issue(store: Store, owner: str, repo: str, number: str) -> StoredPull | None:
    if not actions.visible(store, owner, repo) or not number.isdigit():
        return None
    return repo_data(store, owner, repo).pulls.get(int(number))


def new_comment_id(store: Store) -> int:
    """The next comment id: unique across every repository of the sandbox."""
    taken = [i for data in store.repos.values() for i in data.comments]
    return max(taken, default=FIRST_COMMENT_ID - 1) + 1


def list_comments(store: Store, request: Request, owner: str, repo: str, number: str) -> Response:
    """``GET …/issues/{n}/comments``: oldest first, paged, ``since`` by last update."""
    pull = _issue(store, owner, repo, number)
    if pull is None:
        return not_found()
    since_values = [v for k, v in request.query if k == "since"]
    since = parse_time(since_values[-1]) if since_values else None
    found = [
        comment_json(c, request.base_url, owner, repo)
        for c in repo_data(store, owner, repo).comments.values()
        if c.number == pull.number and (since is None or c.updated_at >= since)
    ]
    return _paged(request, found)


def _comment_text(request: Request) -> str | Response:
    """The ``body`` a create or an update carries, or the error GitHub answers instead."""
    body = json_body(request, COMMENT_DOCS)
    if isinstance(body, Response):
        return body
    if (problem := _body_problem(body)) is not None:
        return problem
    return str(body["body"])


def create_comment(
    store: Store, request: Request, owner: str, repo: str, number: str, caller: Caller
) -> Response:
    """``POST …/issues/{n}/comments``: 201 with the comment and its ``Location``."""
    pull = _issue(store, owner, repo, number)
    if pull is None:
        return not_found()
    text = _comment_text(request)
    if isinstance(text, Response):
        return text
    login, user_id, kind = _author(caller)
    association = "NONE" if kind == "Bot" else "COLLABORATOR"
    comment = StoredComment(
        new_comment_id(store),
        pull.number,
        text,
        login,
        user_id,
        kind,
        association,
        caller.now,
        caller.now,
    )
    repo_data(store, owner, repo).comments[comment.id] = comment
    encoded = comment_json(comment, request.base_url, owner, repo)
    return json_response(201, encoded, ("location", encoded["url"]))


def _comment(store: Store, owner: str, repo: str, comment_id: str) -> StoredComment | None:
    if not actions.visible(store, owner, repo) or not comment_id.isdigit():
        return None
    return repo_data(store, owner, repo).comments.get(int(comment_id))


def update_comment(
    store: Store, request: Request, owner: str, repo: str, comment_id: str, caller: Caller
) -> Response:
    """``PATCH …/issues/comments/{id}``: 200 with the new body."""
    comment = _comment(store, owner, repo, comment_id)
    if comment is None:
        return not_found()
    text = _comment_text(request)
    if isinstance(text, Response):
        return text
    comment.body = text
    comment.updated_at = caller.now
    return json_response(200, comment_json(comment, request.base_url, owner, repo))


def delete_comment(store: Store, owner: str, repo: str, comment_id: str) -> Response:
    """``DELETE …/issues/comments/{id}``: 204."""
    comment = _comment(store, owner, repo, comment_id)
    if comment is None:
        return not_found()
    del repo_data(store, owner, repo).comments[comment.id]
    return Response(204)


def pull_json(pull: StoredPull, base_url: str, owner: str, repo: str) -> dict[str, Any]:
    """``pull-request-simple``."""
    api = f"{base_url}/repos/{owner}/{repo}"
    html = f"https://github.com/{owner}/{repo}/pull/{pull.number}"
    user = simple_user(base_url, pull.author, pull.author_id)
    repo_json = repository(base_url, owner, repo)
    owner_json = repo_json["owner"]

    def side(ref: str, sha: str) -> dict[str, Any]:
        return {
            "label": f"{owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "repo": repo_json,
            "user": owner_json,
        }

    base_sha = pull.merge_commit_sha or pull.head_sha
    links = {
        "self": f"{api}/pulls/{pull.number}",
        "html": html,
        "issue": f"{api}/issues/{pull.number}",
        "comments": f"{api}/issues/{pull.number}/comments",
        "review_comments": f"{api}/pulls/{pull.number}/comments",
        "review_comment": f"{api}/pulls/comments{{/number}}",
        "commits": f"{api}/pulls/{pull.number}/commits",
        "statuses": f"{api}/statuses/{pull.head_sha}",
    }
    closed = None if pull.state == "open" else iso(pull.merged_at or pull.updated_at)
    return {
        "url": links["self"],
        "id": pull.id,
        "node_id": f"PR_sandbox{pull.id}",
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": links["issue"],
        "commits_url": links["commits"],
        "review_comments_url": links["review_comments"],
        "review_comment_url": links["review_comment"],
        "comments_url": links["comments"],
        "statuses_url": links["statuses"],
        "number": pull.number,
        "state": pull.state,
        "locked": False,
        "title": pull.title,
        "user": user,
        "body": None,
        "labels": [],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": iso(pull.created_at),
        "updated_at": iso(pull.updated_at),
        "closed_at": closed,
        "merged_at": None if pull.merged_at is None else iso(pull.merged_at),
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": side(pull.head_ref, pull.head_sha),
        "base": side(pull.base_ref, base_sha),
        "_links": {key: {"href": value} for key, value in links.items()},
        "author_association": "COLLABORATOR",
        "auto_merge": None,
        "draft": False,
    }


def pulls_for_commit(store: Store, request: Request, owner: str, repo: str, sha: str) -> Response:
    """``GET …/commits/{sha}/pulls``: the pull requests whose head or merge commit is ``sha``,
    newest first; none is an empty list."""
    if not actions.visible(store, owner, repo):
        return not_found()
    pulls = sorted(repo_data(store, owner, repo).pulls.values(), key=lambda p: -p.number)
    found = [
        pull_json(p, request.base_url, owner, repo)
        for p in pulls
        if sha in (p.head_sha, p.merge_commit_sha)
    ]
    return _paged(request, found)


_PULL_FIELDS: dict[str, type] = {
    "title": str,
    "head_ref": str,
    "head_sha": str,
    "base_ref": str,
    "state": str,
    "merged_at": datetime,
    "merge_commit_sha": str,
    "author": str,
    "author_id": int,
}


def set_pull(
    store: Store, repo_name: str, number: int, fields: dict[str, Any], now: datetime
) -> None:
    """Seed pull request ``number`` or change the given fields of one (``ValueError`` names a
    bad field). A new one is open, from ``head_ref`` ``feature-N`` at ``head_sha``, onto
    ``main``, by ``sandbox-user-1``."""
    owner, _, repo = repo_name.partition("/")
    if not actions.valid_repository(owner, repo):
        raise ValueError(f"{repo_name!r} is not a valid owner/name")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError("a pull request number is a whole number from 1")
    for key, value in fields.items():
        wanted = _PULL_FIELDS.get(key)
        if wanted is None:
            raise ValueError(f"unknown pull request field {key}")
        nullable = key in ("merged_at", "merge_commit_sha")
        if not (value is None and nullable) and (
            not isinstance(value, wanted) or isinstance(value, bool)
        ):
            raise ValueError(f"pull request field {key} must be a {wanted.__name__}")
    for key in ("head_sha", "merge_commit_sha"):
        if fields.get(key) is not None and not is_sha(fields[key]):
            raise ValueError(f"{key} must be a full lower-case sha")
    if fields.get("state", "open") not in PULL_STATES:
        raise ValueError(f"a pull request's state is one of {', '.join(PULL_STATES)}")
    pulls = repo_data(store, owner, repo).pulls
    old = pulls.get(number)
    values: dict[str, Any] = (
        {
            "title": f"Pull request {number}",
            "head_ref": f"feature-{number}",
            "head_sha": "0" * 40,
            "base_ref": "main",
            "state": "open",
            "merged_at": None,
            "merge_commit_sha": None,
            "author": "sandbox-user-1",
            "author_id": 1,
        }
        if old is None
        else {key: getattr(old, key) for key in _PULL_FIELDS}
    )
    values.update(fields)
    taken = [p.id for data in store.repos.values() for p in data.pulls.values()]
    pull_id = old.id if old else max(taken, default=FIRST_PULL_ID - 1) + 1
    created = old.created_at if old else now
    pulls[number] = StoredPull(
        number=number, id=pull_id, created_at=created, updated_at=now, **values
    )


def add_comment(
    store: Store,
    repo_name: str,
    number: int,
    body: str,
    now: datetime,
    *,
    login: str,
    user_id: int | None = None,
    user_type: str = "User",
    association: str = "NONE",
) -> int:
    """A comment by anyone (another user, another bot) on pull request ``number``, which must
    have been seeded; returns its id."""
    owner, _, repo = repo_name.partition("/")
    if not actions.valid_repository(owner, repo):
        raise ValueError(f"{repo_name!r} is not a valid owner/name")
    if number not in repo_data(store, owner, repo).pulls:
        raise ValueError(f"{repo_name} has no pull request {number}; add it first")
    if not isinstance(body, str) or len(body) > MAX_BODY:
        raise ValueError(f"a comment's body is a string of at most {MAX_BODY} characters")
    if not isinstance(login, str) or not login:
        raise ValueError("a comment's author needs a login")
    if user_type not in AUTHOR_TYPES:
        raise ValueError(f"user_type is one of {', '.join(AUTHOR_TYPES)}")
    if association not in ASSOCIATIONS:
        raise ValueError(f"association is one of {', '.join(ASSOCIATIONS)}")
    author_id = stable_id("user", login) if user_id is None else user_id
    comment = StoredComment(
        new_comment_id(store), number, body, login, author_id, user_type, association, now, now
    )
    repo_data(store, owner, repo).comments[comment.id] = comment
    return comment.id
