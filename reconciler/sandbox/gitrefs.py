"""Git references: get, create, update (fast-forward checked) and delete, and the race hook.

The two 422 messages a compare-and-swap client relies on are GitHub's own: "Reference already
exists" (create) and "Update is not a fast forward" (update without ``force``).
"""

from __future__ import annotations

import json

from reconciler.sandbox import actions
from reconciler.sandbox.endpoints import Caller, not_found
from reconciler.sandbox.gitjson import Where, ref_json
from reconciler.sandbox.gitobjects import GitDb, is_ancestor
from reconciler.sandbox.gitrepo import (
    EMPTY_REPOSITORY,
    GIT_DOCS,
    git_db,
    is_sha,
    json_body,
    race,
)
from reconciler.sandbox.store import Store
from reconciler.sandbox.wire import Request, Response, error, json_response

REFS_DOCS = f"{GIT_DOCS}/refs"
NOT_FAST_FORWARD = "Update is not a fast forward"
ALREADY_EXISTS = "Reference already exists"
NO_REFERENCE = "Reference does not exist"
NO_OBJECT = "Object does not exist"


def open_db(store: Store, owner: str, repo: str, docs: str) -> GitDb | Response:
    """The repository's git database, or 404 (no such repository) / 409 (an empty one)."""
    if not actions.visible(store, owner, repo):
        return not_found()
    db = git_db(store, owner, repo)
    if db.empty:
        return error(409, EMPTY_REPOSITORY, docs=docs)
    return db


def open_for_write(
    store: Store, request: Request, owner: str, repo: str, docs: str
) -> tuple[GitDb, dict[str, object]] | Response:
    """The git database and the request's JSON object, or the answer refusing either."""
    db = open_db(store, owner, repo, docs)
    if isinstance(db, Response):
        return db
    body = json_body(request, docs)
    if isinstance(body, Response):
        return body
    return db, body


def _missing(field: str, docs: str) -> Response:
    return error(422, f'Invalid request.\n\n"{field}" wasn\'t supplied.', docs=docs)


def get_ref(store: Store, request: Request, owner: str, repo: str, ref: str) -> Response:
    """``GET /repos/{o}/{r}/git/ref/{ref}`` (``heads/BRANCH``, ``tags/TAG``)."""
    db = open_db(store, owner, repo, f"{REFS_DOCS}#get-a-reference")
    if isinstance(db, Response):
        return db
    name = f"refs/{ref}"
    if name not in db.refs:
        return not_found()
    return json_response(
        200, ref_json(Where(request.base_url, f"{owner}/{repo}"), name, db.refs[name])
    )


def create_ref(store: Store, request: Request, owner: str, repo: str) -> Response:
    """``POST /repos/{o}/{r}/git/refs`` ``{ref: "refs/heads/x", sha}`` → 201."""
    docs = f"{REFS_DOCS}#create-a-reference"
    opened = open_for_write(store, request, owner, repo, docs)
    if isinstance(opened, Response):
        return opened
    db, body = opened
    name, sha = body.get("ref"), body.get("sha")
    if not isinstance(name, str):
        return _missing("ref", docs)
    if not isinstance(sha, str):
        return _missing("sha", docs)
    if not is_ref_name(name):
        return error(422, "Reference name is not valid", docs=docs)
    if name in db.refs:
        return error(422, ALREADY_EXISTS, docs=docs)
    if db.commit(sha) is None:
        return error(422, NO_OBJECT, docs=docs)
    db.refs[name] = sha
    answer = ref_json(Where(request.base_url, f"{owner}/{repo}"), name, sha)
    return json_response(201, answer, ("location", answer["url"]))


def update_ref(store: Store, request: Request, owner: str, repo: str, ref: str) -> Response:
    """``PATCH /repos/{o}/{r}/git/refs/{ref}`` ``{sha, force?}``: fast-forward unless forced."""
    docs = f"{REFS_DOCS}#update-a-reference"
    opened = open_for_write(store, request, owner, repo, docs)
    if isinstance(opened, Response):
        return opened
    db, body = opened
    sha, force = body.get("sha"), body.get("force", False)
    if not isinstance(sha, str):
        return _missing("sha", docs)
    if not isinstance(force, bool):
        return error(422, "force is not a boolean.", docs=docs)
    name = f"refs/{ref}"
    head = db.refs.get(name)
    if head is None:
        return error(422, NO_REFERENCE, docs=docs)
    if db.commit(sha) is None:
        return error(422, NO_OBJECT, docs=docs)
    if not force and not is_ancestor(db, head, sha):
        return error(422, NOT_FAST_FORWARD, docs=docs)
    db.refs[name] = sha
    return json_response(200, ref_json(Where(request.base_url, f"{owner}/{repo}"), name, sha))


def delete_ref(store: Store, owner: str, repo: str, ref: str) -> Response:
    """``DELETE /repos/{o}/{r}/git/refs/{ref}`` → 204, or 422 for a ref that does not exist."""
    docs = f"{REFS_DOCS}#delete-a-reference"
    db = open_db(store, owner, repo, docs)
    if isinstance(db, Response):
        return db
    if db.refs.pop(f"refs/{ref}", None) is None:
        return error(422, NO_REFERENCE, docs=docs)
    return Response(204)


def is_ref_name(name: str) -> bool:
    """Whether a full ref name is one ``create_ref`` accepts: ``refs/`` and two slashes."""
    return name.startswith("refs/") and name.count("/") >= 2 and not name.endswith("/")


def _raced_ref(request: Request, name: str, params: list[str]) -> str | None:
    """The full name of the ref this write would set, when its body could set it."""
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict) or not is_sha(body.get("sha")):
        return None  # the write fails whatever happens first: nothing to race
    if name == "git-ref-one":
        return f"refs/{params[2]}"
    ref = body.get("ref")
    return ref if isinstance(ref, str) and is_ref_name(ref) else None


def lose_race(store: Store, request: Request, name: str, params: list[str], caller: Caller) -> bool:
    """The ``race`` fault: before this ref write, another writer moves (or creates) the ref,
    so a swap based on the head read earlier is not a fast forward (or the ref already
    exists). False when there is nothing to race (another operation, a bad body, an empty or
    missing repository): the rule is then not spent."""
    if name not in ("git-ref-one", "git-refs"):
        return False
    owner, repo = params[0], params[1]
    ref = _raced_ref(request, name, params)
    if ref is None or not actions.visible(store, owner, repo):
        return False
    return race(git_db(store, owner, repo), ref, caller.now)
