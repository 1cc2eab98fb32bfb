"""``GET /repos/{o}/{r}/contents/{path}?ref=``: a file as JSON (base64) or raw, a folder as a list.

Media types (``Accept``): ``application/vnd.github.raw`` (also ``.raw+json``, ``.v3.raw``) answers
a file's bytes; ``application/vnd.github.object`` a folder as ``{…, "entries": [...]}``; anything
else GitHub's default JSON. Without ``ref`` the default branch, ``main``, is read.
"""

from __future__ import annotations

import base64
from typing import Any

from reconciler.sandbox import actions
from reconciler.sandbox.endpoints import not_found
from reconciler.sandbox.gitjson import Where
from reconciler.sandbox.gitobjects import Entry, GitDb, lookup
from reconciler.sandbox.gitrepo import git_db
from reconciler.sandbox.store import Store
from reconciler.sandbox.wire import Request, Response, error, json_response

DOCS = "https://docs.github.com/rest/repos/contents#get-repository-content"
DEFAULT_BRANCH = "main"
RAW = "application/vnd.github.raw"
OBJECT = "application/vnd.github.object"


def _commit_for(db: GitDb, ref: str) -> str | None:
    if db.commit(ref) is not None:
        return ref
    for name in (ref, f"refs/heads/{ref}", f"refs/tags/{ref}"):
        if name.startswith("refs/") and name in db.refs:
            return db.refs[name]
    return None


def _item(where: Where, db: GitDb, path: str, entry: Entry, ref: str) -> dict[str, Any]:
    """The fields every content item has (``content-directory`` items, ``content-file``)."""
    kind = {"blob": "file", "tree": "dir"}.get(entry.kind, "submodule")
    git_url = where.api(f"git/{'trees' if kind == 'dir' else 'blobs'}/{entry.sha}")
    html_url = where.html(f"{'tree' if kind == 'dir' else 'blob'}/{ref}/{path}")
    self_url = where.api(f"contents/{path}?ref={ref}")
    blob = db.blob(entry.sha)
    download = None
    if kind == "file":
        download = f"https://raw.githubusercontent.com/{where.full_name}/{ref}/{path}"
    return {
        "type": kind,
        "size": len(blob) if blob is not None else 0,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": entry.sha,
        "url": self_url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": download,
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }


def _file(where: Where, db: GitDb, path: str, entry: Entry, ref: str, accept: str) -> Response:
    data = db.blob(entry.sha) or b""
    if RAW in accept:
        return Response(200, (("content-type", f"{RAW}; charset=utf-8"),), data)
    encoded = base64.b64encode(data).decode("ascii")
    content = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    item = _item(where, db, path, entry, ref)
    return json_response(200, {**item, "content": content, "encoding": "base64"})


def _folder(where: Where, db: GitDb, path: str, entry: Entry, ref: str, accept: str) -> Response:
    tree = db.tree(entry.sha) or {}
    entries = [_item(where, db, f"{path}/{name}", tree[name], ref) for name in sorted(tree)]
    if OBJECT in accept:
        return json_response(200, {**_item(where, db, path, entry, ref), "entries": entries})
    return json_response(200, entries)


def get_content(store: Store, request: Request, owner: str, repo: str, path: str) -> Response:
    """The file or folder at ``path`` in the commit ``ref`` names."""
    if not actions.visible(store, owner, repo):
        return not_found()
    db = git_db(store, owner, repo)
    if db.empty:
        return error(404, "This repository is empty.", docs=DOCS)
    ref = next((value for key, value in request.query if key == "ref"), "") or DEFAULT_BRANCH
    commit_sha = _commit_for(db, ref)
    commit = db.commit(commit_sha) if commit_sha else None
    if commit is None:
        return error(404, f"No commit found for the ref {ref}", docs=DOCS)
    entry = lookup(db, commit.tree, path.strip("/"))
    if entry is None:
        return error(404, "Not Found", docs=DOCS)
    where = Where(request.base_url, f"{owner}/{repo}")
    accept = (request.header("accept") or "").lower()
    if entry.kind == "tree":
        return _folder(where, db, path.strip("/"), entry, ref, accept)
    return _file(where, db, path.strip("/"), entry, ref, accept)
