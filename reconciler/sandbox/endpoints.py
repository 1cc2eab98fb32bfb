"""The five agent-task operations and ``GET /user``, over a store whose caller is authenticated."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from reconciler.sandbox import actions, taskjson
from reconciler.sandbox.ghjson import public_user
from reconciler.sandbox.lifecycle import phase
from reconciler.sandbox.listing import list_tasks
from reconciler.sandbox.store import Store
from reconciler.sandbox.wire import (
    FieldError,
    Request,
    Response,
    error,
    json_response,
    validation_failed,
)

_STRING_FIELDS = ("model", "custom_agent", "base_ref", "head_ref")


@dataclass(frozen=True)
class Caller:
    """Who is asking, and when (the sandbox's time); ``installation`` for a GitHub App
    installation token (``ghs_``, the Actions GITHUB_TOKEN), which acts as no user."""

    user_id: int
    now: datetime
    installation: bool = False


def not_found() -> Response:
    """GitHub's 404: also what a caller gets for what it may not see."""
    return error(404, "Not Found")


def list_for_repo(store: Store, request: Request, owner: str, repo: str, now: datetime) -> Response:
    """``GET /agents/repos/{owner}/{repo}/tasks``: every creator's tasks in the repository."""
    if not actions.visible(store, owner, repo):
        return not_found()
    return list_tasks(store, request, store.repo_tasks(f"{owner}/{repo}".lower()), now)


def list_for_user(store: Store, request: Request, caller: Caller) -> Response:
    """``GET /agents/tasks``: the caller's own tasks in every visible repository."""
    scope = [
        t
        for t in store.tasks.values()
        if t.creator_id == caller.user_id and actions.visible(store, t.owner, t.repo)
    ]
    return list_tasks(store, request, scope, caller.now)


def get_task(
    store: Store, request: Request, task_id: str, repo: str | None, now: datetime
) -> Response:
    """Both get operations: 404 for an unknown id, or one in another repository than ``repo``."""
    task = store.tasks.get(task_id)
    if task is None or not actions.visible(store, task.owner, task.repo):
        return not_found()
    if repo is not None and task.full_name.lower() != repo.lower():
        return not_found()
    current = phase(task, now, store.config.speed)
    return json_response(200, taskjson.detail_json(task, current, request.base_url, store.config))


def body_errors(body: dict[str, object]) -> list[FieldError]:
    """Every problem with a create body's fields, as 422 ``errors[]`` entries."""
    errors: list[FieldError] = []
    prompt = body.get("prompt")
    if "prompt" not in body:
        errors.append(FieldError("prompt", "missing_field", "prompt is required."))
    elif not isinstance(prompt, str):
        errors.append(FieldError("prompt", "invalid", "prompt must be a string."))
    elif not prompt.strip():
        errors.append(FieldError("prompt", "invalid", "prompt cannot be blank."))
    for name in _STRING_FIELDS:
        if name in body and not isinstance(body[name], str):
            errors.append(FieldError(name, "invalid", f"{name} must be a string."))
    if "create_pull_request" in body and not isinstance(body["create_pull_request"], bool):
        errors.append(
            FieldError("create_pull_request", "invalid", "create_pull_request must be a boolean.")
        )
    return errors


def _optional(body: dict[str, object], name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) else None


def new_task(owner: str, repo: str, body: dict[str, object], creator_id: int) -> actions.NewTask:
    """A checked create body (see ``body_errors``) as what a task is started with."""
    return actions.NewTask(
        owner=owner,
        repo=repo,
        prompt=str(body["prompt"]),
        creator_id=creator_id,
        base_ref=_optional(body, "base_ref"),
        head_ref=_optional(body, "head_ref"),
        model=_optional(body, "model"),
        custom_agent=_optional(body, "custom_agent"),
        create_pull_request=body.get("create_pull_request") is True,
    )


def create_task(store: Store, request: Request, owner: str, repo: str, caller: Caller) -> Response:
    """``POST /agents/repos/{owner}/{repo}/tasks``: 201 with the new, queued task."""
    if not actions.visible(store, owner, repo):
        return not_found()
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return error(400, "Problems parsing JSON")
    if not isinstance(body, dict):
        return error(400, "Body should be a JSON object")
    if problems := body_errors(body):
        return validation_failed(problems)
    new = new_task(owner, repo, body, caller.user_id)
    try:
        task = actions.create(store, new, caller.now)
    except ValueError as bad:
        return validation_failed([FieldError("prompt", "custom", str(bad))])
    current = phase(task, caller.now, store.config.speed)
    return json_response(201, taskjson.task_json(task, current, request.base_url))


def user(caller: Caller, base_url: str) -> Response:
    """``GET /user``: the token's user, as ``public-user`` (login ``sandbox-user-N``)."""
    return json_response(200, public_user(base_url, caller.user_id))
