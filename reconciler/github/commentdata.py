"""The pull-request comment endpoints and the sticky comment's marker (CI.md §5), as requests,
parsed answers and rules. Pure, like ``gitdata``: no I/O.

The marker is the first line of the comment agenttasks posts; it names the tasks-file set, the
plan's review digest and the run that posted it::

    <!-- agenttasks:plan v=1 files=<16 hex> digest=sha256:<64 hex> run=<run URL or empty> -->

A comment is ours when it starts with a marker of this version for the same tasks-file set **and**
its author is the identity that posts (``comment_author``); anyone can write the marker, so the
author check is what makes it ours.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from pydantic import RootModel

from reconciler.github.endpoints import ApiRequest, parse_model
from reconciler.github.gitdata import NO_CACHE
from reconciler.github.urls import split_repo
from reconciler.models import Lenient, Model

MARKER_VERSION = 1
# Whom GitHub shows as the author of what an installation token writes (the Actions
# GITHUB_TOKEN): its GET /user answers 403, so the identity cannot be asked (dflook's rule too).
ACTIONS_BOT = "github-actions[bot]"
PER_PAGE = 100
_MARKER = re.compile(
    r"<!-- agenttasks:plan v=(?P<v>\d+) files=(?P<files>[0-9a-f]{16})"
    r" digest=(?P<digest>sha256:[0-9a-f]{64}) run=(?P<run>\S*) -->"
)
_RUN_URL = re.compile(r"https?://[^\s<>\"']+")


class Author(Lenient):
    login: str
    type: str = "User"


class Comment(Lenient):
    """An issue comment, as far as finding ours goes."""

    id: int
    body: str = ""
    user: Author | None = None
    html_url: str = ""

    @property
    def login(self) -> str | None:
        """Its author's login (None for a deleted account, "ghost")."""
        return self.user.login if self.user else None


class _Ref(Lenient):
    ref: str
    sha: str


class Pull(Lenient):
    """A pull request associated with a commit."""

    number: int
    state: str
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    head: _Ref
    base: _Ref


class _Login(Lenient):
    login: str


@dataclass(frozen=True)
class Marker:
    """What the sticky comment's first line says."""

    files: str  # files_hash of the tasks-file set
    digest: str  # sha256:<hex>, the plan's review digest
    run: str | None  # the run that posted it, when known

    def line(self) -> str:
        """The marker as the comment's first line (an HTML comment: hidden when rendered)."""
        run = self.run if self.run and _RUN_URL.fullmatch(self.run) else ""
        return (
            f"<!-- agenttasks:plan v={MARKER_VERSION} files={self.files}"
            f" digest={self.digest} run={run} -->"
        )


REVIEWED_BYTES = 16_000  # past this, the reviewed actions are left out: the digest still binds
_REVIEWED = re.compile(r"^<!-- agenttasks:reviewed (\[.*\]) -->$", re.MULTILINE)


def reviewed_line(items: Sequence[Sequence[str | None]]) -> str | None:
    """The reviewed spec-driven actions as a hidden line under the marker, so an apply refused
    for a different plan can name what changed (``+task.x``); None when too long to carry."""
    text = json.dumps([list(item) for item in items], separators=(",", ":"), ensure_ascii=True)
    if len(text) > REVIEWED_BYTES or "-->" in text:
        return None
    return f"<!-- agenttasks:reviewed {text} -->"


def parse_reviewed(body: str) -> tuple[tuple[str | None, ...], ...] | None:
    """The reviewed actions a comment carries on its second line (under the marker), or None
    (absent, or not what we write): never a line further down, where other text goes."""
    lines = body.split("\n", 2)
    found = _REVIEWED.fullmatch(lines[1]) if len(lines) > 1 else None
    if found is None:
        return None
    try:
        items = json.loads(found.group(1))
    except json.JSONDecodeError:
        return None
    if not all(
        isinstance(i, list) and all(v is None or isinstance(v, str) for v in i) for i in items
    ):
        return None
    return tuple(tuple(i) for i in items)


@dataclass(frozen=True)
class MarkedComment:
    """Our comment on a pull request and its parsed marker."""

    comment: Comment
    marker: Marker


def files_hash(paths: Iterable[str]) -> str:
    """The tasks-file set's name in the marker: 16 hex of SHA-256 over the sorted, distinct
    paths (relative to the repository root, ``/``-separated)."""
    data = json.dumps(sorted(set(paths)), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def parse_marker(body: str) -> Marker | None:
    """The marker a comment starts with, or None (another version, or none at all)."""
    found = _MARKER.match(body)
    if found is None or int(found["v"]) != MARKER_VERSION:
        return None
    return Marker(found["files"], found["digest"], found["run"] or None)


def comment_author(login: str | None, override: str | None = None) -> str:
    """Who our comments are by: ``--comment-author`` when given, else the token's ``GET /user``
    login, else (an installation token, which gets 403 there) ``github-actions[bot]``."""
    return override or login or ACTIONS_BOT


def find_marked(comments: Sequence[Comment], *, files: str, author: str) -> MarkedComment | None:
    """The newest comment by ``author`` (logins compare case-insensitively, as GitHub's do)
    starting with a marker for ``files``; a marker by anyone else is never ours."""
    for comment in reversed(comments):
        if (comment.login or "").lower() != author.lower():
            continue
        marker = parse_marker(comment.body)
        if marker is not None and marker.files == files:
            return MarkedComment(comment, marker)
    return None


def _base(repo: str) -> str:
    owner, name = split_repo(repo)
    return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"


def get_user() -> ApiRequest:
    return ApiRequest("GET", "/user", what="the token's user")


def list_comments(repo: str, number: int) -> ApiRequest:
    """The first page of a pull request's comments, 100 a page, never from a cache."""
    return ApiRequest(
        "GET",
        f"{_base(repo)}/issues/{number}/comments",
        (("per_page", str(PER_PAGE)),),
        what=f"pull request #{number} of {repo}",
        repo=repo,
        headers=NO_CACHE,
    )


def create_comment(repo: str, number: int, body: str) -> ApiRequest:
    return ApiRequest(
        "POST",
        f"{_base(repo)}/issues/{number}/comments",
        body={"body": body},
        what=f"pull request #{number} of {repo}",
        repo=repo,
    )


def update_comment(repo: str, comment_id: int, body: str) -> ApiRequest:
    return ApiRequest(
        "PATCH",
        f"{_base(repo)}/issues/comments/{comment_id}",
        body={"body": body},
        what=f"comment #{comment_id} of {repo}",
        repo=repo,
    )


def pulls_for_commit(repo: str, sha: str) -> ApiRequest:
    return ApiRequest(
        "GET",
        f"{_base(repo)}/commits/{quote(sha, safe='')}/pulls",
        (("per_page", str(PER_PAGE)),),
        what=f"commit {sha[:12]} of {repo}",
        repo=repo,
        headers=NO_CACHE,
    )


def parse_login(body: bytes, where: str) -> str:
    return parse_model(_Login, body, where).login


def parse_comment(body: bytes, where: str) -> Comment:
    return parse_model(Comment, body, where)


def parse_comments(body: bytes, where: str) -> list[Comment]:
    return list(parse_model(_Comments, body, where).root)


def parse_pulls(body: bytes, where: str) -> list[Pull]:
    return list(parse_model(_Pulls, body, where).root)


class _Comments(RootModel[tuple[Comment, ...]]):
    model_config = Model.model_config  # a list's model cannot derive from Model; its rule


class _Pulls(RootModel[tuple[Pull, ...]]):
    model_config = Model.model_config
