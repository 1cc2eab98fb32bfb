"""The requests a state-on-a-branch client makes, as small helpers over an httpx client."""

from __future__ import annotations

from typing import Any

import httpx

REPO = "/repos/octo-org/web"
BRANCH = "agenttasks-state"


def head(http: httpx.Client, branch: str = BRANCH) -> str | None:
    """The branch's head sha, or None (404)."""
    answer = http.get(f"{REPO}/git/ref/heads/{branch}", headers={"Cache-Control": "no-cache"})
    if answer.status_code == 404:
        return None
    answer.raise_for_status()
    sha: str = answer.json()["object"]["sha"]
    return sha


def tree(http: httpx.Client, entries: list[dict[str, Any]], base: str | None = None) -> str:
    """POST a tree; its sha."""
    body: dict[str, Any] = {"tree": entries}
    if base is not None:
        body["base_tree"] = base
    answer = http.post(f"{REPO}/git/trees", json=body)
    assert answer.status_code == 201, answer.text
    sha: str = answer.json()["sha"]
    return sha


def blob_entry(path: str, content: str | None) -> dict[str, Any]:
    """A tree entry writing ``content`` inline, or deleting ``path`` when None."""
    entry: dict[str, Any] = {"path": path, "mode": "100644", "type": "blob"}
    if content is None:
        entry["sha"] = None
    else:
        entry["content"] = content
    return entry


def commit(http: httpx.Client, tree_sha: str, parents: list[str], message: str = "m") -> str:
    """POST a commit; its sha."""
    body = {"message": message, "tree": tree_sha, "parents": parents}
    answer = http.post(f"{REPO}/git/commits", json=body)
    assert answer.status_code == 201, answer.text
    sha: str = answer.json()["sha"]
    return sha


def tree_of(http: httpx.Client, commit_sha: str) -> str:
    """A commit's tree sha."""
    sha: str = http.get(f"{REPO}/git/commits/{commit_sha}").json()["tree"]["sha"]
    return sha


def save(
    http: httpx.Client, parent: str, files: dict[str, str | None]
) -> tuple[str, httpx.Response]:
    """One state save: tree on the parent's tree, commit, swap. The new commit and the swap."""
    entries = [blob_entry(path, content) for path, content in files.items()]
    new = commit(http, tree(http, entries, tree_of(http, parent)), [parent])
    swap = http.patch(f"{REPO}/git/refs/heads/{BRANCH}", json={"sha": new, "force": False})
    return new, swap


def first_write(http: httpx.Client, files: dict[str, str]) -> tuple[str, httpx.Response]:
    """Initialise the branch: a root commit and a ref create."""
    root = commit(http, tree(http, [blob_entry(p, c) for p, c in files.items()]), [])
    created = http.post(f"{REPO}/git/refs", json={"ref": f"refs/heads/{BRANCH}", "sha": root})
    return root, created


def raw(http: httpx.Client, path: str, ref: str) -> httpx.Response:
    """The file's bytes at ``ref`` (raw media type)."""
    accept = {"Accept": "application/vnd.github.raw+json"}
    return http.get(f"{REPO}/contents/{path}", params={"ref": ref}, headers=accept)
