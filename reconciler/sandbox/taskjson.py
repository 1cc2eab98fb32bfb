"""Stored tasks as the API's JSON: the ``Task`` and ``TaskDetail`` schemas of the OpenAPI."""

from __future__ import annotations

import re
from typing import Any

from reconciler.sandbox.lifecycle import Phase, updated_at
from reconciler.sandbox.store import Config, Rendered, StoredTask, iso, stable_id
from reconciler.sandbox.wire import encode

_MARKERS = re.compile(r"\[sandbox:[^\]]*\]")

# The normalised echo (``Config.normalise``): what GitHub's description allows it to answer.
REF_PREFIX = "refs/heads/"
PINNED_VERSION = "2025-08-07"  # a declared model ``gpt-5`` is answered as ``gpt-5-2025-08-07``
DEFAULT_MODEL = "claude-sonnet-4.5-2025-09-29"  # a task started with no model, or ``auto``
OMITTABLE_SESSION_FIELDS = ("base_ref", "head_ref", "model")


def task_name(prompt: str) -> str:
    """A human-readable name from the prompt: its first non-empty line, markers removed, clipped."""
    for line in _MARKERS.sub("", prompt).splitlines():
        text = " ".join(line.split())
        if text:
            return text if len(text) <= 80 else text[:79] + "…"
    return "Untitled task"


def head_ref(task: StoredTask) -> str:
    """The branch the agent works on: the one given, else ``copilot/<slug of the name>``."""
    if task.head_ref:
        return task.head_ref
    slug = re.sub(r"[^a-z0-9]+", "-", task_name(task.prompt).lower()).strip("-")[:40]
    return f"copilot/{slug or 'task'}"


def _artifacts(task: StoredTask, current: Phase) -> list[dict[str, Any]]:
    if current.state == "queued":
        return []
    branch = {"head_ref": head_ref(task), "base_ref": task.base_ref or "main"}
    found: list[dict[str, Any]] = [{"provider": "github", "type": "branch", "data": branch}]
    if task.create_pull_request and current.state == "completed":
        data = {"id": task.pull_id, "global_id": f"PR_sandbox{task.pull_id}"}
        found.append({"provider": "github", "type": "pull", "data": data})
    return found


def task_json(task: StoredTask, current: Phase, base_url: str) -> dict[str, Any]:
    """One task as the list, create and get operations return it."""
    owner_id = stable_id("owner", task.owner)
    out: dict[str, Any] = {
        "id": task.id,
        "url": f"{base_url}/agents/repos/{task.full_name}/tasks/{task.id}",
        "html_url": f"https://github.com/{task.full_name}/copilot/tasks/{task.id}",
        "name": task_name(task.prompt),
        "creator": {"id": task.creator_id},
        "creator_type": "user",
        "owner": {"id": owner_id},
        "repository": {"id": stable_id("repo", task.full_name)},
        "state": current.state,
        "session_count": 1,
        "artifacts": _artifacts(task, current),
        "archived_at": iso(task.archived_at) if task.archived_at else None,
        "created_at": iso(task.created_at),
        "updated_at": iso(updated_at(task, current)),
    }
    if task.custom_agent is not None:
        out["custom_agent"] = {"id": task.custom_agent}
    return out


def encoded_task(
    cache: dict[str, Rendered], task: StoredTask, current: Phase, base_url: str
) -> bytes:
    """``task_json`` encoded, from ``cache`` while nothing it shows has changed.

    Kept for a benchmark target: ``bench/list.py``, the client's concurrent listing within 1.5x
    of its floor (1.44-1.52 without this cache, 1.28-1.36 with it, docs/benchmarks.md). The fake
    shares the machine's two cores with the client it measures, so its own cost counts.

    Listings send the same tasks over and over. The key holds every input of ``task_json`` that
    can change after creation (see ``StoredTask``): the phase (a clock move shows as a new state
    or ``since``), the archive stamps and the base URL; the entry is only taken for the same task
    object, so a reloaded or re-created task is never served another's rendering.
    """
    key = (base_url, current.state, current.since, task.archived_at, task.touched_at)
    hit = cache.get(task.id)
    if hit is not None and hit[0] is task and hit[1] == key:
        return hit[2]
    body = encode(task_json(task, current, base_url))
    cache[task.id] = (task, key, body)
    return body


def _full_ref(ref: str) -> str:
    return ref if ref.startswith(REF_PREFIX) else REF_PREFIX + ref


def _pinned_model(model: str | None) -> str:
    return DEFAULT_MODEL if model in (None, "auto") else f"{model}-{PINNED_VERSION}"


def _normalised(session: dict[str, Any], task: StoredTask) -> dict[str, Any]:
    """``session`` as GitHub may echo it: refs spelled ``refs/heads/BRANCH``, the model a pinned
    version of the one given (a fixed default when none, or ``auto``, was given)."""
    return {
        **session,
        "head_ref": _full_ref(session["head_ref"]),
        "base_ref": _full_ref(session["base_ref"]),
        "model": _pinned_model(task.model),
    }


def session_json(task: StoredTask, current: Phase, config: Config | None = None) -> dict[str, Any]:
    """The task's one session: what it was started with, verbatim by default; normalised and
    with fields left out when ``config`` says so (``normalise``, ``omit_session_fields``)."""
    out: dict[str, Any] = {
        "id": task.session_id,
        "name": task_name(task.prompt),
        "user": {"id": task.creator_id},
        "owner": {"id": stable_id("owner", task.owner)},
        "repository": {"id": stable_id("repo", task.full_name)},
        "task_id": task.id,
        "state": current.state,
        "created_at": iso(task.created_at),
        "updated_at": iso(current.since),
        "prompt": task.prompt,
        "head_ref": head_ref(task),
        "base_ref": task.base_ref or "main",
    }
    if task.model is not None:
        out["model"] = task.model
    if current.completed_at is not None:
        out["completed_at"] = iso(current.completed_at)
        # Whole AI credits in nano units, as sessions since 2026-06-01 report them.
        out["usage"] = {"type": "ai_credits", "amount": (task.pull_id % 9 + 1) * 1_000_000_000}
    if current.state == "failed":
        out["error"] = {"message": "The agent encountered an error (sandbox outcome)."}
    if config is None:
        return out
    if config.normalise:
        out = _normalised(out, task)
    for name in config.omit_session_fields:
        out.pop(name, None)
    return out


def detail_json(
    task: StoredTask, current: Phase, base_url: str, config: Config | None = None
) -> dict[str, Any]:
    """A task with its sessions, as the two get operations return it."""
    session = session_json(task, current, config)
    return {**task_json(task, current, base_url), "sessions": [session]}
