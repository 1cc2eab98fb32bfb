"""Git database objects in GitHub's JSON shapes (``git-ref``, ``git-commit``, ``git-tree``,
``blob``, ``short-blob``)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.gitobjects import Commit, GitDb, Person, Tree
from reconciler.sandbox.store import iso


@dataclass(frozen=True)
class Where:
    """A repository as links name it: the request's API base and ``owner/repo``."""

    base_url: str
    full_name: str

    def api(self, tail: str) -> str:
        return f"{self.base_url}/repos/{self.full_name}/{tail}"

    def html(self, tail: str) -> str:
        return f"https://github.com/{self.full_name}/{tail}"


def node_id(kind: str, sha: str) -> str:
    """A GraphQL-looking node id, stable for the object."""
    return base64.b64encode(f"{kind}:{sha}".encode()).decode("ascii").rstrip("=")


def ref_json(where: Where, name: str, sha: str) -> dict[str, Any]:
    """``git-ref``: ``name`` is the full ``refs/…`` name; refs point at commits here."""
    return {
        "ref": name,
        "node_id": node_id("Ref", name),
        "url": where.api(f"git/{name}"),
        "object": {"type": "commit", "sha": sha, "url": where.api(f"git/commits/{sha}")},
    }


def _person(person: Person) -> dict[str, str]:
    return {"name": person.name, "email": person.email, "date": iso(person.date)}


def commit_json(where: Where, sha: str, commit: Commit) -> dict[str, Any]:
    """``git-commit``, unsigned."""
    return {
        "sha": sha,
        "node_id": node_id("Commit", sha),
        "url": where.api(f"git/commits/{sha}"),
        "html_url": where.html(f"commit/{sha}"),
        "author": _person(commit.author),
        "committer": _person(commit.committer),
        "tree": {"sha": commit.tree, "url": where.api(f"git/trees/{commit.tree}")},
        "message": commit.message,
        "parents": [
            {
                "sha": parent,
                "url": where.api(f"git/commits/{parent}"),
                "html_url": where.html(f"commit/{parent}"),
            }
            for parent in commit.parents
        ],
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
    }


def _entries(db: GitDb, where: Where, tree: Tree, prefix: str, recursive: bool) -> list[Any]:
    out: list[dict[str, Any]] = []
    for name in sorted(tree):
        entry = tree[name]
        item: dict[str, Any] = {
            "path": prefix + name,
            "mode": entry.mode,
            "type": entry.kind,
            "sha": entry.sha,
        }
        blob = db.blob(entry.sha) if entry.kind == "blob" else None
        if blob is not None:
            item["size"] = len(blob)
            item["url"] = where.api(f"git/blobs/{entry.sha}")
        elif entry.kind == "tree":
            item["url"] = where.api(f"git/trees/{entry.sha}")
        out.append(item)
        subtree = db.tree(entry.sha) if recursive and entry.kind == "tree" else None
        if subtree is not None:
            out.extend(_entries(db, where, subtree, f"{prefix}{name}/", recursive))
    return out


def tree_json(db: GitDb, where: Where, sha: str, tree: Tree, *, recursive: bool) -> Any:
    """``git-tree``: the entries, or with ``recursive`` every entry below too; never truncated."""
    return {
        "sha": sha,
        "url": where.api(f"git/trees/{sha}"),
        "tree": _entries(db, where, tree, "", recursive),
        "truncated": False,
    }


def blob_json(where: Where, sha: str, data: bytes) -> dict[str, Any]:
    """``blob``: base64 content, as GitHub sends it (wrapped at 60 characters)."""
    encoded = base64.b64encode(data).decode("ascii")
    wrapped = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    return {
        "sha": sha,
        "node_id": node_id("Blob", sha),
        "size": len(data),
        "url": where.api(f"git/blobs/{sha}"),
        "content": wrapped,
        "encoding": "base64",
    }
