"""Workflow runs: ``GET /repos/{o}/{r}/actions/runs/{run_id}``, and setting runs from outside.

The sandbox runs no workflow: a test (Python API or control route) says which runs exist and
what state each is in, and the API reports it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from reconciler.sandbox import actions
from reconciler.sandbox.endpoints import not_found
from reconciler.sandbox.ghjson import minimal_repository
from reconciler.sandbox.gitrepo import git_db, repo_data
from reconciler.sandbox.repodata import RUN_CONCLUSIONS, RUN_STATUSES, StoredRun
from reconciler.sandbox.store import Store, iso
from reconciler.sandbox.wire import Response, json_response

DEFAULT_PATH = ".github/workflows/ci.yml"
_SETTABLE = {
    "path": str,
    "head_sha": str,
    "head_branch": str,
    "status": str,
    "conclusion": str,
    "run_attempt": int,
    "event": str,
    "name": str,
}


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields a run may be given, type- and value-checked (``ValueError`` names a problem)."""
    unknown = set(fields) - set(_SETTABLE)
    if unknown:
        raise ValueError(f"unknown run field(s) {', '.join(sorted(unknown))}")
    for key, value in fields.items():
        nullable = key in ("conclusion", "head_branch")
        wanted = _SETTABLE[key]
        if not (value is None and nullable) and (
            not isinstance(value, wanted) or isinstance(value, bool)
        ):
            kind = "an integer" if wanted is int else "a string"
            raise ValueError(f"run field {key} must be {kind}")
    if fields.get("status", "queued") not in RUN_STATUSES:
        raise ValueError(
            f"run status {fields['status']!r}; one of {', '.join(sorted(RUN_STATUSES))}"
        )
    if fields.get("conclusion") not in (None, *RUN_CONCLUSIONS):
        raise ValueError(f"run conclusion {fields['conclusion']!r} is not a GitHub conclusion")
    if fields.get("run_attempt", 1) < 1:
        raise ValueError("run_attempt must be at least 1")
    return fields


def set_run(
    store: Store, repo_name: str, run_id: int | None, fields: dict[str, Any], now: datetime
) -> int:
    """Create a run (``run_id`` None: the next free id) or change the given fields of one;
    returns its id. A new run is queued, attempt 1, at the default branch's head."""
    owner, _, repo = repo_name.partition("/")
    if not actions.valid_repository(owner, repo):
        raise ValueError(f"{repo_name!r} is not a valid owner/name")
    runs = repo_data(store, owner, repo).runs
    checked = _checked(fields)
    if run_id is not None and run_id in runs:
        runs[run_id] = replace(runs[run_id], **checked, updated_at=now)
        return run_id
    taken = [i for data in store.repos.values() for i in data.runs]
    new_id = run_id if run_id is not None else max(taken, default=10_000_000) + 1
    db = git_db(store, owner, repo)
    run = StoredRun(
        id=new_id,
        run_number=len(runs) + 1,
        path=DEFAULT_PATH,
        head_sha=db.refs.get("refs/heads/main", "0" * 40),
        head_branch="main",
        status="queued",
        conclusion=None,
        run_attempt=1,
        event="push",
        name="CI",
        created_at=now,
        updated_at=now,
    )
    runs[new_id] = replace(run, **checked)
    return new_id


def run_json(run: StoredRun, base_url: str, owner: str, repo: str) -> dict[str, Any]:
    """``workflow-run``."""
    url = f"{base_url}/repos/{owner}/{repo}/actions/runs/{run.id}"
    repository = minimal_repository(base_url, owner, repo)
    workflow_id = sum(run.path.encode()) + 1_000  # stable per workflow file
    return {
        "id": run.id,
        "name": run.name,
        "node_id": f"WFR_sandbox{run.id}",
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "path": run.path,
        "display_title": run.name,
        "run_number": run.run_number,
        "run_attempt": run.run_attempt,
        "event": run.event,
        "status": run.status,
        "conclusion": run.conclusion,
        "workflow_id": workflow_id,
        "url": url,
        "html_url": f"https://github.com/{owner}/{repo}/actions/runs/{run.id}",
        "pull_requests": [],
        "created_at": iso(run.created_at),
        "updated_at": iso(run.updated_at),
        "run_started_at": iso(run.created_at),
        "jobs_url": f"{url}/jobs",
        "logs_url": f"{url}/logs",
        "check_suite_url": f"{base_url}/repos/{owner}/{repo}/check-suites/{run.id}",
        "artifacts_url": f"{url}/artifacts",
        "cancel_url": f"{url}/cancel",
        "rerun_url": f"{url}/rerun",
        "workflow_url": f"{base_url}/repos/{owner}/{repo}/actions/workflows/{workflow_id}",
        "head_commit": None,
        "repository": repository,
        "head_repository": repository,
    }


def get_run(store: Store, base_url: str, owner: str, repo: str, run_id: str) -> Response:
    """``GET /repos/{o}/{r}/actions/runs/{run_id}``: 404 for a run of another repository."""
    if not actions.visible(store, owner, repo) or not run_id.isdigit():
        return not_found()
    data = store.repos.get(f"{owner}/{repo}".lower())
    run = data.runs.get(int(run_id)) if data else None
    if run is None:
        return not_found()
    return json_response(200, run_json(run, base_url, owner, repo))
