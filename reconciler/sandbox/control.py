"""The control routes under ``/_sandbox/`` (loopback peers only): what the public API cannot do.

| route | effect |
| --- | --- |
| ``GET /_sandbox/tasks`` | every task, archived or not, by any creator |
| ``POST /_sandbox/tasks`` | add a task: ``{"repo", "prompt", "creator_id"?, "created_at"?, …}`` |
| ``POST /_sandbox/tasks/{id}/archive`` · ``/unarchive`` | archive / unarchive |
| ``POST /_sandbox/tasks/{id}/state`` | force a state: ``{"state": "failed"}`` |
| ``DELETE /_sandbox/tasks/{id}`` | delete the task |
| ``POST /_sandbox/tokens`` | map a token to a user: ``{"token", "user_id"}`` |
| ``GET`` · ``POST`` · ``DELETE /_sandbox/faults`` | list, add (``{"rule": "TEXT"}``), clear |
| ``GET`` · ``DELETE /_sandbox/requests`` | read, clear the recorded requests |
| ``GET`` · ``POST /_sandbox/clock`` | read; ``{"advance": S}`` and/or ``{"freeze": true/false}`` |
| ``POST /_sandbox/repos`` · ``/commits`` · ``/runs`` | empty or initialise a repository, commit
as another writer, create or change a workflow run (``repocontrol.py``) |
| ``POST /_sandbox/pulls`` · ``/comments`` | seed or change a pull request (``{"repo", "number",
"head_sha"?, "state"?, "merged_at"?, …}``); add a comment by another author (``{"repo",
"number", "body", "login", "user_type"?, …}``) |
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from reconciler.sandbox import actions, endpoints, repocontrol, taskjson
from reconciler.sandbox.faults import FaultRule
from reconciler.sandbox.lifecycle import phase
from reconciler.sandbox.query import parse_time
from reconciler.sandbox.store import ActiveFault, RecordedRequest, Store, iso
from reconciler.sandbox.wire import Request, Response, error, json_response, validation_failed


def recorded_json(entry: RecordedRequest) -> dict[str, Any]:
    """A recorded request as the control route returns it."""
    return {
        "method": entry.method,
        "path": entry.path,
        "query": [list(pair) for pair in entry.query],
        "json": entry.json,
        "time": iso(entry.time),
        "fault": entry.fault,
        "user_id": entry.user_id,
    }


def _task_from_body(store: Store, body: dict[str, Any], now: datetime) -> Response:
    owner, _, repo = str(body.get("repo", "")).partition("/")
    if not actions.valid_repository(owner, repo):
        return error(422, "repo must be a valid owner/name")
    if problems := endpoints.body_errors(body):
        return validation_failed(problems)
    creator = body.get("creator_id", store.config.user_id)
    if not isinstance(creator, int) or isinstance(creator, bool):
        return error(422, "creator_id must be an integer")
    created = parse_time(str(body["created_at"])) if body.get("created_at") else now
    if created is None:
        return error(422, "created_at must be an ISO 8601 date-time")
    task = actions.create(store, endpoints.new_task(owner, repo, body, creator), created)
    return json_response(201, {"id": task.id})


def _task_action(
    store: Store, parts: list[str], method: str, body: dict[str, Any], now: datetime
) -> Response:
    task_id = parts[0]
    if method == "DELETE" and len(parts) == 1:
        actions.delete(store, task_id)
    elif method == "POST" and parts[1:] == ["archive"]:
        actions.archive(store, task_id, now)
    elif method == "POST" and parts[1:] == ["unarchive"]:
        actions.unarchive(store, task_id, now)
    elif method == "POST" and parts[1:] == ["state"]:
        actions.set_state(store, task_id, str(body.get("state")), now)
    else:
        return error(404, "Not Found")
    return json_response(200, {"ok": True})


def _tasks(store: Store, request: Request, now: datetime) -> Response:
    listed = []
    for task in store.tasks.values():
        current = phase(task, now, store.config.speed)
        encoded = taskjson.task_json(task, current, request.base_url)
        listed.append({**encoded, "repo": task.full_name})
    return json_response(200, {"tasks": listed})


def _faults(store: Store, method: str, body: dict[str, Any]) -> Response:
    if method == "POST":
        store.faults.append(ActiveFault(FaultRule.parse(str(body.get("rule", "")))))
    elif method == "DELETE":
        store.faults.clear()
    rules = [{"rule": f.rule.to_text(), "fired": f.fired} for f in store.faults]
    return json_response(200, {"faults": rules})


def _clock(store: Store, method: str, body: dict[str, Any], real_now: datetime) -> Response:
    if method == "POST":
        step = timedelta(seconds=float(body.get("advance", 0)))
        if store.frozen_at is not None:
            store.frozen_at += step
        else:
            store.clock_offset += step.total_seconds()
        if body.get("freeze") is True:
            store.frozen_at = store.effective_now(real_now)
        elif body.get("freeze") is False and store.frozen_at is not None:
            store.clock_offset = (store.frozen_at - real_now).total_seconds()
            store.frozen_at = None
    now = store.effective_now(real_now)
    return json_response(200, {"now": iso(now), "frozen": store.frozen_at is not None})


def _route(
    store: Store, request: Request, parts: list[str], body: dict[str, Any], real_now: datetime
) -> Response:
    method = request.method.upper()
    now = store.effective_now(real_now)
    if parts == ["tasks"] and method in ("GET", "POST"):
        return _tasks(store, request, now) if method == "GET" else _task_from_body(store, body, now)
    if parts[:1] == ["tasks"] and len(parts) >= 2:
        return _task_action(store, parts[1:], method, body, now)
    if parts == ["tokens"] and method == "POST":
        store.tokens[str(body["token"])] = int(body["user_id"])
        return json_response(200, {"ok": True})
    if parts == ["faults"]:
        return _faults(store, method, body)
    if parts == ["requests"]:
        if method == "DELETE":
            store.requests.clear()
        return json_response(200, {"requests": [recorded_json(r) for r in store.requests]})
    if parts == ["clock"]:
        return _clock(store, method, body, real_now)
    if method == "POST" and (answer := repocontrol.route(store, parts, body, now)) is not None:
        return answer
    return error(404, "Not Found")


def handle_control(store: Store, request: Request, real_now: datetime) -> Response:
    """Answer a control request; bad input is a 422 naming the problem.

    ``real_now`` is the adapter's clock, before the control route's own shift or freeze.
    """
    parts = [p for p in request.path.split("/")[2:] if p]
    try:
        body = json.loads(request.body) if request.body else {}
        if not isinstance(body, dict):
            return error(400, "Body should be a JSON object")
        return _route(store, request, parts, body, real_now)
    except KeyError as missing:
        return error(404, f"Not Found: {missing}")
    except (ValueError, TypeError) as bad:
        return error(422, str(bad))
