"""The review digest (CI.md §5): what a reviewer approved, as one hash. Pure.

It covers the **spec-driven** actions only — the ones the tasks files cause: a create of a new key,
a replace of a changed spec, a forget of a key no longer declared — each with its key, repository,
request-body digest and the task id it forgets; and every declared ``retry`` policy, since the
policy is what lets live state drive re-runs. It leaves out lineage, serial, the desired digest,
live states, and the actions live state drives (a re-run under the reviewed ``retry`` policy, an
import of a lost answer or lost state, a recreate of a vanished task), so an unrelated apply
landing between review and merge does not invalidate the review, while any other spec change does.
(``plan_id`` in ``plan/saved.py`` covers the serial: it binds one-shot saved plans.)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from reconciler.errors import StateConflict
from reconciler.plan.model import Action, Kind, Plan

SPEC_DRIVEN = frozenset({Kind.CREATE, Kind.REPLACE, Kind.FORGET})
PREFIX = "sha256:"

# (kind, key, lower-cased repository, spec digest or None, forgotten task id or None)
Identity = tuple[str, str, str, str | None, str | None]


def spec_driven(plan: Plan) -> tuple[Action, ...]:
    """The actions the tasks files cause, in the plan's order."""
    return tuple(a for a in plan.actions if a.kind in SPEC_DRIVEN)


def _actions(plan: Plan) -> list[Identity]:
    return [
        (a.kind.value, a.key, a.repo.lower(), a.digest, a.old_task_id) for a in spec_driven(plan)
    ]


def identities(plan: Plan) -> tuple[Identity, ...]:
    """The spec-driven actions as the digest sees them (no prompt: only its digest), and each
    declared retry policy (what allows the re-runs live state drives), sorted."""
    policies: list[Identity] = [("retry", k, r.lower(), p, None) for k, r, p in plan.policies]
    return tuple(sorted(_actions(plan) + policies))


def digest_of(items: tuple[Identity, ...]) -> str:
    """``sha256:`` and the hex SHA-256 of ``items`` (sorted identities)."""
    data = json.dumps(list(items), separators=(",", ":"), ensure_ascii=False)
    return PREFIX + hashlib.sha256(data.encode()).hexdigest()


def review_digest(plan: Plan) -> str:
    """The review digest of ``plan``."""
    return digest_of(identities(plan))


def difference(reviewed: tuple[Identity, ...], current: tuple[Identity, ...]) -> list[str]:
    """What changed in the spec-driven actions since review, sorted by key: ``+task.KEY`` (an
    action only now), ``-task.KEY`` (an action only reviewed), ``~task.KEY`` (an action on the key
    then and now, but another one)."""
    was, now = set(reviewed), set(current)
    added = {i[1] for i in now - was}
    dropped = {i[1] for i in was - now}
    marks = {key: "+" for key in added} | {key: "-" for key in dropped}
    marks |= {key: "~" for key in added & dropped}
    return [f"{mark}task.{key}" for key, mark in sorted(marks.items())]


@dataclass(frozen=True)
class Reviewed:
    """What review approved: its digest, and its identities when the review recorded them."""

    digest: str
    items: tuple[Identity, ...] | None = None


class NotReviewed(StateConflict):
    """The plan now is not the plan that was reviewed (exit 5)."""

    def __init__(self, since: str) -> None:
        self.since = since
        super().__init__(
            f"not applied: the plan changed since review — {since}. Review the new plan (push"
            " to the pull request, or open one), or apply deliberately without --expect-digest"
        )


def check_reviewed(reviewed: Reviewed, plan: Plan) -> None:
    """Refuse ``plan`` unless it does only what was reviewed: the reviewed digest; or, once part
    or all of the reviewed plan is applied (a re-run of the apply job), what is left of it —
    nothing spec-driven at all, or, when review recorded its actions, some of them."""
    now = identities(plan)
    if digest_of(now) == reviewed.digest:
        return
    if reviewed.items is not None and set(now) <= set(reviewed.items):
        return
    if reviewed.items is None and not _actions(plan):
        # Nothing spec-driven is left (the reviewed plan was applied: a re-run of the job), and
        # the review was too large to carry its items: the policies cannot be compared.
        return
    named = difference(reviewed.items, now) if reviewed.items is not None else []
    if named:
        raise NotReviewed(", ".join(named))
    raise NotReviewed(f"reviewed {reviewed.digest}, now {digest_of(now)}")
