"""Which route a path names, which operation each method is there, and the repository routes'
dispatch (git database, contents, workflow runs, issue comments, a commit's pull requests)."""

from __future__ import annotations

from urllib.parse import unquote

from reconciler.sandbox import comments, contents, gitdata, gitrefs, runs
from reconciler.sandbox.endpoints import Caller
from reconciler.sandbox.store import Store
from reconciler.sandbox.wire import Request, Response

ALLOW = {
    "tasks-repo": "GET, POST",
    "task-repo": "GET",
    "tasks": "GET",
    "task": "GET",
    "user": "GET",
    "git-ref": "GET",
    "git-refs": "POST",
    "git-ref-one": "PATCH, DELETE",
    "git-trees": "POST",
    "git-tree": "GET",
    "git-commits": "POST",
    "git-commit": "GET",
    "git-blobs": "POST",
    "git-blob": "GET",
    "contents": "GET",
    "run": "GET",
    "issue-comments": "GET, POST",
    "issue-comment": "PATCH, DELETE",
    "commit-pulls": "GET",
}
OPERATIONS = {
    ("tasks-repo", "GET"): "agent-tasks/list-tasks-for-repo",
    ("tasks-repo", "POST"): "agent-tasks/create-task-in-repo",
    ("task-repo", "GET"): "agent-tasks/get-task-by-repo-and-id",
    ("tasks", "GET"): "agent-tasks/list-tasks",
    ("task", "GET"): "agent-tasks/get-task-by-id",
    ("user", "GET"): "users/get-authenticated",
    ("git-ref", "GET"): "git/get-ref",
    ("git-refs", "POST"): "git/create-ref",
    ("git-ref-one", "PATCH"): "git/update-ref",
    ("git-ref-one", "DELETE"): "git/delete-ref",
    ("git-trees", "POST"): "git/create-tree",
    ("git-tree", "GET"): "git/get-tree",
    ("git-commits", "POST"): "git/create-commit",
    ("git-commit", "GET"): "git/get-commit",
    ("git-blobs", "POST"): "git/create-blob",
    ("git-blob", "GET"): "git/get-blob",
    ("contents", "GET"): "repos/get-content",
    ("run", "GET"): "actions/get-workflow-run",
    ("issue-comments", "GET"): "issues/list-comments",
    ("issue-comments", "POST"): "issues/create-comment",
    ("issue-comment", "PATCH"): "issues/update-comment",
    ("issue-comment", "DELETE"): "issues/delete-comment",
    ("commit-pulls", "GET"): "repos/list-pull-requests-associated-with-commit",
}
# git/{kind} and git/{kind}/{sha}: the collection (POST) and one object (GET).
_GIT_OBJECTS = {"trees": "tree", "commits": "commit", "blobs": "blob"}


def _git_route(owner: str, repo: str, rest: list[str]) -> tuple[str, list[str]] | None:
    kind, tail = rest[0], rest[1:]
    if kind == "ref" and tail:
        return "git-ref", [owner, repo, "/".join(tail)]
    if kind == "refs":
        return (
            ("git-ref-one", [owner, repo, "/".join(tail)]) if tail else ("git-refs", [owner, repo])
        )
    if kind in _GIT_OBJECTS and len(tail) <= 1:
        single = f"git-{_GIT_OBJECTS[kind]}"
        return (single, [owner, repo, tail[0]]) if tail else (f"git-{kind}", [owner, repo])
    return None


def _repo_route(parts: list[str]) -> tuple[str, list[str]] | None:
    owner, repo, rest = parts[1], parts[2], parts[3:]
    if rest[:1] == ["git"] and len(rest) >= 2:
        return _git_route(owner, repo, rest[1:])
    if rest[:1] == ["contents"] and len(rest) >= 2:
        return "contents", [owner, repo, "/".join(rest[1:])]
    if rest[:2] == ["actions", "runs"] and len(rest) == 3:
        return "run", [owner, repo, rest[2]]
    if rest[:2] == ["issues", "comments"] and len(rest) == 3:
        return "issue-comment", [owner, repo, rest[2]]
    if rest[:1] == ["issues"] and rest[2:] == ["comments"]:
        return "issue-comments", [owner, repo, rest[1]]
    if rest[:1] == ["commits"] and rest[2:] == ["pulls"]:
        return "commit-pulls", [owner, repo, rest[1]]
    return None


def route(path: str) -> tuple[str, list[str]] | None:
    """The route a raw path names and its decoded parameters, or None for an unknown path."""
    parts = [unquote(p) for p in path.split("/")[1:]] if path.startswith("/") else []
    if any(p == "" for p in parts):
        return None  # a trailing or doubled slash: GitHub answers 404
    if parts == ["user"]:
        return "user", []
    if parts[:2] == ["agents", "tasks"] and len(parts) in (2, 3):
        return ("tasks", []) if len(parts) == 2 else ("task", parts[2:])
    if parts[:2] == ["agents", "repos"] and len(parts) in (5, 6) and parts[4] == "tasks":
        return (
            ("tasks-repo", parts[2:4]) if len(parts) == 5 else ("task-repo", parts[2:4] + parts[5:])
        )
    if parts[:1] == ["repos"] and len(parts) >= 5:
        return _repo_route(parts)
    return None


def dispatch_repo(
    store: Store, request: Request, name: str, params: list[str], caller: Caller
) -> Response:
    """Answer a repository route (git database, contents, workflow runs, comments, pulls)."""
    owner, repo, rest = params[0], params[1], params[2:]
    method = request.method.upper()
    if name == "issue-comments" and method == "POST":
        return comments.create_comment(store, request, owner, repo, rest[0], caller)
    if name == "issue-comments":
        return comments.list_comments(store, request, owner, repo, rest[0])
    if name == "issue-comment" and method == "PATCH":
        return comments.update_comment(store, request, owner, repo, rest[0], caller)
    if name == "issue-comment":
        return comments.delete_comment(store, owner, repo, rest[0])
    if name == "commit-pulls":
        return comments.pulls_for_commit(store, request, owner, repo, rest[0])
    if name == "git-ref":
        return gitrefs.get_ref(store, request, owner, repo, rest[0])
    if name == "git-refs":
        return gitrefs.create_ref(store, request, owner, repo)
    if name == "git-ref-one" and method == "PATCH":
        return gitrefs.update_ref(store, request, owner, repo, rest[0])
    if name == "git-ref-one":
        return gitrefs.delete_ref(store, owner, repo, rest[0])
    if name == "git-trees":
        return gitdata.create_tree(store, request, owner, repo)
    if name == "git-tree":
        return gitdata.get_tree(store, request, owner, repo, rest[0])
    if name == "git-commits":
        return gitdata.create_commit(store, request, owner, repo, caller)
    if name == "git-commit":
        return gitdata.get_commit(store, request, owner, repo, rest[0])
    if name == "git-blobs":
        return gitdata.create_blob(store, request, owner, repo)
    if name == "git-blob":
        return gitdata.get_blob(store, request, owner, repo, rest[0])
    if name == "contents":
        return contents.get_content(store, request, owner, repo, rest[0])
    return runs.get_run(store, request.base_url, owner, repo, rest[0])
