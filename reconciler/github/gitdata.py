"""The git database, contents and workflow-run endpoints a ``github:`` state uses (CI.md §2.1),
as requests and parsed answers. Pure, like ``endpoints``: no I/O.

Every path is built from a checked ``owner/name`` under ``/repos/{owner}/{repo}/``; reads that
decide anything send ``Cache-Control: no-cache`` (GitHub may serve a cached GET for up to 60 s).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from reconciler.github.endpoints import ApiRequest, parse_model
from reconciler.github.urls import split_repo
from reconciler.models import Lenient

NO_CACHE = (("Cache-Control", "no-cache"),)
RAW = (("Accept", "application/vnd.github.raw+json"), *NO_CACHE)


class _Object(Lenient):
    sha: str


class Ref(Lenient):
    """``GET …/git/ref/heads/{branch}``: the branch and the commit it points at."""

    object: _Object


class Commit(Lenient):
    """A commit as created or read: its sha and its tree's."""

    sha: str
    tree: _Object


class Tree(Lenient):
    sha: str


class Run(Lenient):
    """A workflow run, as far as a lock's owner goes."""

    id: int
    status: str | None = None
    run_attempt: int | None = None


def _base(repo: str) -> str:
    owner, name = split_repo(repo)
    return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"


def _branch(branch: str) -> str:
    return "heads/" + quote(branch, safe="/")


def get_ref(repo: str, branch: str) -> ApiRequest:
    return ApiRequest(
        "GET",
        f"{_base(repo)}/git/ref/{_branch(branch)}",
        what=f"branch {branch} of {repo}",
        repo=repo,
        headers=NO_CACHE,
    )


def create_ref(repo: str, branch: str, sha: str) -> ApiRequest:
    body = {"ref": f"refs/heads/{branch}", "sha": sha}
    return ApiRequest(
        "POST", f"{_base(repo)}/git/refs", body=body, what=f"branch {branch} of {repo}", repo=repo
    )


def update_ref(repo: str, branch: str, sha: str) -> ApiRequest:
    """Never ``force``: the swap must be a fast forward (CI.md §2.1)."""
    body = {"sha": sha, "force": False}
    path = f"{_base(repo)}/git/refs/{_branch(branch)}"
    return ApiRequest("PATCH", path, body=body, what=f"branch {branch} of {repo}", repo=repo)


def get_commit(repo: str, sha: str) -> ApiRequest:
    path = f"{_base(repo)}/git/commits/{quote(sha, safe='')}"
    return ApiRequest("GET", path, what=f"commit {sha} of {repo}", repo=repo)


def create_tree(
    repo: str, base_tree: str | None, changes: Mapping[str, bytes | None]
) -> ApiRequest:
    """A tree on ``base_tree`` where each path of ``changes`` holds its text, or is deleted."""
    entries: list[dict[str, object]] = []
    for path, data in sorted(changes.items()):
        entry: dict[str, object] = {"path": path, "mode": "100644", "type": "blob"}
        entry.update({"sha": None} if data is None else {"content": data.decode("utf-8")})
        entries.append(entry)
    body: dict[str, object] = {"tree": entries}
    if base_tree is not None:
        body["base_tree"] = base_tree
    return ApiRequest(
        "POST", f"{_base(repo)}/git/trees", body=body, what=f"a tree in {repo}", repo=repo
    )


def create_commit(repo: str, message: str, tree: str, parents: tuple[str, ...]) -> ApiRequest:
    body = {"message": message, "tree": tree, "parents": list(parents)}
    return ApiRequest(
        "POST", f"{_base(repo)}/git/commits", body=body, what=f"a commit in {repo}", repo=repo
    )


def get_content(repo: str, path: str, ref: str) -> ApiRequest:
    """A file's raw bytes at ``ref``."""
    target = f"{_base(repo)}/contents/{quote(path, safe='/')}"
    return ApiRequest(
        "GET",
        target,
        (("ref", ref),),
        what=f"{path} at {ref[:12]} in {repo}",
        repo=repo,
        headers=RAW,
    )


def get_run(repo: str, run_id: int) -> ApiRequest:
    path = f"{_base(repo)}/actions/runs/{run_id}"
    return ApiRequest(
        "GET", path, what=f"workflow run {run_id} of {repo}", repo=repo, headers=NO_CACHE
    )


def parse_ref(body: bytes, where: str) -> str:
    return parse_model(Ref, body, where).object.sha


def parse_commit(body: bytes, where: str) -> Commit:
    return parse_model(Commit, body, where)


def parse_tree(body: bytes, where: str) -> str:
    return parse_model(Tree, body, where).sha


def parse_run(body: bytes, where: str) -> Run:
    return parse_model(Run, body, where)
