"""The review digest (CI.md §5): spec-driven actions only, so an unrelated apply between review and
merge keeps it, and any other spec change moves it."""

from __future__ import annotations

import pytest

from reconciler.plan.model import Plan
from reconciler.plan.planner import Options, plan
from reconciler.plan.review import (
    NotReviewed,
    Reviewed,
    check_reviewed,
    difference,
    identities,
    review_digest,
    spec_driven,
)
from tests.planner.builders import (
    NOW,
    declared,
    desired,
    record,
    remote,
    remote_task,
    state,
)

A = declared("a", prompt="Fix the login button.")
B = declared("b", prompt="Speed up search.")
C = declared("c", prompt="Tidy the README.")


def _plan(*tasks: object, records: dict[str, object] | None = None, **kw: object) -> Plan:
    st = state(records or {})  # type: ignore[arg-type]
    listed = [remote_task(r.task_id) for r in (records or {}).values()]  # type: ignore[attr-defined]
    return plan(desired(*tasks), st, remote(listed), NOW, Options(**kw))  # type: ignore[arg-type]


def test_the_same_spec_changes_give_the_same_digest_whatever_else_moved() -> None:
    reviewed = _plan(A, B)
    # Another apply landed in between: b is tracked now and its task has moved on; a is the same.
    assert review_digest(reviewed) == review_digest(_plan(A, B)) != review_digest(_plan(A))
    assert review_digest(reviewed).startswith("sha256:")


def test_live_driven_actions_do_not_move_it() -> None:
    failed = record(B, "t-b", last_state="failed")
    retried = declared("b", prompt=B.body.prompt, retry=(["failed"], 2))
    rerun = plan(
        desired(A, retried),
        state({"b": failed}),
        remote([remote_task("t-b", state="failed")]),
        NOW,
    )
    assert [a.kind.value for a in rerun.changes] == ["create", "rerun"]
    assert [a.key for a in spec_driven(rerun)] == ["a"]
    running = plan(
        desired(A, retried),
        state({"b": record(B, "t-b")}),
        remote([remote_task("t-b", state="in_progress")]),
        NOW,
    )
    assert review_digest(rerun) == review_digest(running)  # reviewed while b ran: it failed since


def test_a_retry_policy_changed_after_review_moves_it() -> None:
    """The policy is what lets live state re-run a task: a push that raises max_attempts after
    the last plan must not pass as reviewed (found by an independent review)."""
    failed = record(B, "t-b", last_state="failed")
    listed = remote([remote_task("t-b", state="failed")])
    twice = plan(
        desired(declared("b", prompt=B.body.prompt, retry=(["failed"], 2))),
        state({"b": failed}),
        listed,
        NOW,
    )
    five = plan(
        desired(declared("b", prompt=B.body.prompt, retry=(["failed"], 5))),
        state({"b": failed}),
        listed,
        NOW,
    )
    assert review_digest(twice) != review_digest(five)
    with pytest.raises(NotReviewed, match=r"~task\.b"):
        check_reviewed(Reviewed(review_digest(twice), identities(twice)), five)


def test_a_changed_prompt_a_new_key_or_a_forget_moves_it_and_is_named() -> None:
    reviewed = _plan(A, B)
    changed = _plan(declared("a", prompt="Fix the logout button."), B, C)
    assert review_digest(changed) != review_digest(reviewed)
    assert difference(identities(reviewed), identities(changed)) == ["~task.a", "+task.c"]
    forget = _plan(records={"c": record(C, "t-c")})
    assert difference(identities(_plan()), identities(forget)) == ["+task.c"]
    assert difference(identities(reviewed), identities(_plan(A))) == ["-task.b"]


def test_a_plan_other_than_the_reviewed_one_is_refused_naming_what_changed() -> None:
    reviewed = _plan(A, B)
    check_reviewed(Reviewed(review_digest(reviewed)), _plan(A, B))  # the same: no refusal
    now = _plan(A, B, C)
    with pytest.raises(NotReviewed, match=r"changed since review — \+task\.c\. "):
        check_reviewed(Reviewed(review_digest(reviewed), identities(reviewed)), now)
    with pytest.raises(NotReviewed, match=f"reviewed {review_digest(reviewed)}, now sha256:"):
        check_reviewed(Reviewed(review_digest(reviewed)), now)
