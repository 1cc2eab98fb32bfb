"""A repository's git database: blobs, trees, commits and refs, addressed as git addresses them.

Every sha is git's own: sha1 over ``"<type> <size>\\0" + payload`` with git's tree and commit
encodings, so the same tree always has the same sha, and a sha can be checked with
``git hash-object``. Pure: times arrive as values, nothing is read from a clock.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

BLOB_MODES = frozenset({"100644", "100755", "120000"})
TREE_MODE = "040000"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree


@dataclass(frozen=True)
class Person:
    """An author or committer: name, email and an aware datetime."""

    name: str
    email: str
    date: datetime

    def encoded(self) -> str:
        offset = self.date.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0
        sign = "-" if minutes < 0 else "+"
        zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
        return f"{self.name} <{self.email}> {int(self.date.timestamp())} {zone}"


@dataclass(frozen=True)
class Entry:
    """One tree entry: its mode (``100644``, ``040000`` …), kind (blob, tree, commit) and sha."""

    mode: str
    kind: str
    sha: str


@dataclass(frozen=True)
class Commit:
    """A commit object."""

    tree: str
    parents: tuple[str, ...]
    message: str
    author: Person
    committer: Person


Tree = dict[str, Entry]  # name → entry; git sorts names when it encodes them
GitObject = bytes | Tree | Commit  # a blob is its bytes


def _tree_order(item: tuple[str, Entry]) -> str:
    # git compares a subtree's name as if it ended in "/".
    name, entry = item
    return name + "/" if entry.kind == "tree" else name


def encode(obj: GitObject) -> tuple[str, bytes]:
    """An object's git type and payload."""
    if isinstance(obj, bytes):
        return "blob", obj
    if isinstance(obj, Commit):
        lines = [f"tree {obj.tree}", *(f"parent {p}" for p in obj.parents)]
        lines += [f"author {obj.author.encoded()}", f"committer {obj.committer.encoded()}"]
        return "commit", ("\n".join(lines) + "\n\n" + obj.message).encode()
    payload = b"".join(
        f"{entry.mode.lstrip('0')} {name}".encode() + b"\0" + bytes.fromhex(entry.sha)
        for name, entry in sorted(obj.items(), key=_tree_order)
    )
    return "tree", payload


def object_sha(obj: GitObject) -> str:
    """The sha git gives the object."""
    kind, payload = encode(obj)
    return hashlib.sha1(f"{kind} {len(payload)}".encode() + b"\0" + payload).hexdigest()


@dataclass
class GitDb:
    """One repository's objects and refs (``refs/heads/main`` → sha).

    ``empty`` is GitHub's empty repository: no branches, and the git database answers 409.
    """

    objects: dict[str, GitObject] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    empty: bool = False

    def put(self, obj: GitObject) -> str:
        """Store an object; returns its sha (storing it twice changes nothing)."""
        sha = object_sha(obj)
        self.objects.setdefault(sha, obj)
        return sha

    def blob(self, sha: str) -> bytes | None:
        found = self.objects.get(sha)
        return found if isinstance(found, bytes) else None

    def tree(self, sha: str) -> Tree | None:
        found = self.objects.get(sha)
        return found if isinstance(found, dict) else None

    def commit(self, sha: str) -> Commit | None:
        found = self.objects.get(sha)
        return found if isinstance(found, Commit) else None


def is_ancestor(db: GitDb, ancestor: str, descendant: str) -> bool:
    """Whether ``ancestor`` is ``descendant`` or reachable from it through parents."""
    seen: set[str] = set()
    todo = [descendant]
    while todo:
        sha = todo.pop()
        if sha == ancestor:
            return True
        commit = db.commit(sha)
        if sha in seen or commit is None:
            continue
        seen.add(sha)
        todo.extend(commit.parents)
    return False


def lookup(db: GitDb, tree_sha: str, path: str) -> Entry | None:
    """The entry at ``path`` (``a/b/c``) below a tree, or None."""
    entry = Entry(TREE_MODE, "tree", tree_sha)
    for name in path.split("/"):
        tree = db.tree(entry.sha) if entry.kind == "tree" else None
        if tree is None or name not in tree:
            return None
        entry = tree[name]
    return entry


class TreeError(ValueError):
    """A tree change that cannot be made (a missing path deleted, a file used as a folder)."""


def build_tree(db: GitDb, base: str | None, changes: dict[str, Entry | None]) -> str:
    """Write the tree ``base`` with ``changes`` (path → new entry, None deletes); its sha.

    Paths may be nested (``a/b/c``): the folders on the way are rewritten, and a folder left
    empty disappears, as in git.
    """
    tree: Tree = dict(db.tree(base) or {}) if base else {}
    here: dict[str, Entry | None] = {}
    below: dict[str, dict[str, Entry | None]] = {}
    for path, entry in changes.items():
        head, sep, rest = path.partition("/")
        if not head or (sep and not rest):
            raise TreeError(f"tree.path {path!r} contains a malformed path component")
        if sep:
            below.setdefault(head, {})[rest] = entry
        else:
            here[head] = entry
    for name, sub in below.items():
        current = tree.get(name)
        if current is not None and current.kind != "tree":
            raise TreeError(f"tree.path {name!r} is a file, not a folder")
        sha = build_tree(db, current.sha if current else None, sub)
        _place(tree, name, None if sha == EMPTY_TREE else Entry(TREE_MODE, "tree", sha))
    for name, entry in here.items():
        _place(tree, name, entry)
    return db.put(tree)


def _place(tree: Tree, name: str, entry: Entry | None) -> None:
    if entry is not None:
        tree[name] = entry
    elif name in tree:
        del tree[name]
    else:
        raise TreeError(f"tree.path {name!r} does not exist, so it cannot be deleted")


def _person_json(person: Person) -> dict[str, str]:
    return {"name": person.name, "email": person.email, "date": person.date.isoformat()}


def _person(data: dict[str, str]) -> Person:
    return Person(data["name"], data["email"], datetime.fromisoformat(data["date"]))


def object_json(obj: GitObject) -> dict[str, Any]:
    """An object as the data file keeps it."""
    if isinstance(obj, bytes):
        return {"blob": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, Commit):
        return {
            "commit": {
                "tree": obj.tree,
                "parents": list(obj.parents),
                "message": obj.message,
                "author": _person_json(obj.author),
                "committer": _person_json(obj.committer),
            }
        }
    return {"tree": {name: [e.mode, e.kind, e.sha] for name, e in obj.items()}}


def object_from_json(data: dict[str, Any]) -> GitObject:
    """An object read back from the data file."""
    if "blob" in data:
        return base64.b64decode(data["blob"])
    if "tree" in data:
        return {name: Entry(*values) for name, values in data["tree"].items()}
    raw = data["commit"]
    return Commit(
        raw["tree"],
        tuple(raw["parents"]),
        raw["message"],
        _person(raw["author"]),
        _person(raw["committer"]),
    )


def db_json(db: GitDb) -> dict[str, Any]:
    """A repository's git database for the data file."""
    objects = {sha: object_json(obj) for sha, obj in db.objects.items()}
    return {"empty": db.empty, "refs": dict(db.refs), "objects": objects}


def db_from_json(data: dict[str, Any]) -> GitDb:
    """A git database read back; shas are kept as written (they were computed when stored)."""
    objects = {sha: object_from_json(obj) for sha, obj in data["objects"].items()}
    return GitDb(objects, {str(k): str(v) for k, v in data["refs"].items()}, bool(data["empty"]))
