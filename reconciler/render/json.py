"""``--format json`` for ``plan``/``show`` and ``status`` (documented in docs/plan-json.md). Pure.

Keys are sorted and every key is always present (``null`` or ``[]`` when empty), so consumers can
rely on the shape; ``format_version`` follows the compatibility rules of docs/plan-json.md.
"""

from __future__ import annotations

import json
from datetime import datetime

from reconciler.plan.model import Action, Bucket, Counts, Plan, Status, Sync, sort_actions
from reconciler.plan.review import review_digest
from reconciler.render.common import age_seconds, timestamp

FORMAT_VERSION = "1.0"

Json = dict[str, object]


def _dump(document: Json) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _change(action: Action) -> Json:
    return {
        "key": action.key,
        "repo": action.repo,
        "kind": action.kind.value,
        "actions": list(action.verbs),
        "reason": action.reason,
        "request_body": action.body.to_json() if action.body is not None else None,
        "task_id": action.task.id if action.task is not None else action.old_task_id,
        "old_task_id": action.old_task_id,
        "attempt": action.attempt,
        "earlier_runs": [
            {
                "task_id": run.task_id,
                "state": run.state.value if run.state else None,
                "note": run.note,
            }
            for run in action.earlier_runs
        ],
        "notes": list(action.notes),
    }


def _status(status: Status, now: datetime) -> Json:
    return {
        "key": status.key,
        "repo": status.repo,
        "sync": status.sync.value,
        "state": status.state.value if status.state is not None else None,
        "bucket": status.bucket.value,
        "created_at": timestamp(status.created_at),
        "age_seconds": age_seconds(status.created_at, now),
        "html_url": status.html_url,
        "task_id": status.task_id,
    }


def _statuses(statuses: tuple[Status, ...], now: datetime) -> list[Json]:
    return [_status(s, now) for s in sorted(statuses, key=lambda s: (s.key, s.repo))]


def summary(counts: Counts) -> Json:
    """The numbers of the summary sentence; ``change`` and ``destroy`` are always 0."""
    return {
        "import": counts.imported,
        "add": counts.added,
        "change": 0,
        "destroy": 0,
        "forget": counts.forgotten,
        "changes": counts.changes,
    }


def plan_json(plan: Plan, *, files: tuple[str, ...], state_path: str, now: datetime) -> str:
    """The plan as one JSON document; no-ops are included with ``"actions": ["no-op"]``."""
    document: Json = {
        "format_version": FORMAT_VERSION,
        "files": list(files),
        "state": state_path,
        "targeted": plan.targeted,
        "task_changes": [_change(a) for a in sort_actions(list(plan.actions))],
        "needs_attention": [
            {"key": a.key, "message": a.message}
            for a in sorted(plan.attention, key=lambda a: (a.key, a.message))
        ],
        "unresolved": sorted(plan.unresolved),
        "dropped_intents": sorted(plan.dropped_intents),
        "drift": list(plan.drift),
        "summary": summary(plan.counts),
        "review_digest": review_digest(plan),
        "estimated_seconds": round(plan.duration.seconds) if plan.duration else None,
        "statuses": _statuses(plan.statuses, now),
    }
    return _dump(document)


def status_json(statuses: tuple[Status, ...], *, now: datetime) -> str:
    """``agenttasks status --format json``: every row, and counts by bucket and by sync."""
    document: Json = {
        "format_version": FORMAT_VERSION,
        "statuses": _statuses(statuses, now),
        "summary": {
            "tracked": len(statuses),
            "buckets": {b.value: sum(s.bucket == b for s in statuses) for b in Bucket},
            "sync": {v.value: sum(s.sync == v for s in statuses) for v in Sync},
        },
    }
    return _dump(document)
