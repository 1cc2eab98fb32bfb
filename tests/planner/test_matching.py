"""The one identity rule (plan.remote): which listed tasks a body or an intent started.

The planner, apply's end-of-run re-check and ``import`` all decide "is this the task we lost?"
through these functions; these tests pin the rule itself, the callers' tests pin what each says.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reconciler.github.endpoints import ListParams
from reconciler.models import CustomAgent, RemoteSession, TaskDetail
from reconciler.plan.remote import (
    LOOKBACK,
    Matches,
    ambiguous_create,
    find,
    first_session_matches,
    first_session_mismatch,
    intent_since,
    listing_query,
    lost_create,
    recordless_since,
)
from tests.planner.builders import (
    NOW,
    OTHER,
    REPO,
    declared,
    detail,
    intent,
    remote,
    remote_task,
)

K = declared("k", prompt="Fix the login button.")
AGE = timedelta(minutes=1)


def test_no_match_one_match_and_an_ambiguity() -> None:
    one = remote([t := remote_task("t1", created=NOW)], details=[detail(t, K)])
    assert lost_create(remote(), intent(K, age=AGE), known=set(), claimed=set()) == Matches()
    found = lost_create(one, intent(K, age=AGE), known=set(), claimed=set())
    assert (found.one and found.one.id, found.ambiguous) == ("t1", False)

    a, b = remote_task("t1", created=NOW - AGE), remote_task("t2", created=NOW)
    two = remote([a, b], details=[detail(a, K), detail(b, K)])
    found = lost_create(two, intent(K, age=AGE), known=set(), claimed=set())
    assert (found.one, found.ambiguous, found.ids) == (None, True, ("t2", "t1"))
    assert ambiguous_create("k", found) == (
        "the unfinished create of 'k' matches 2 tasks (t2, t1); choose the right one with:"
        " agenttasks import k TASK_ID"
    )


def test_known_claimed_older_and_other_users_tasks_are_not_candidates() -> None:
    listed = [
        remote_task("known", created=NOW),
        remote_task("claimed", created=NOW),
        remote_task("old", created=NOW - AGE - LOOKBACK - timedelta(seconds=1)),
        remote_task("theirs", created=NOW, creator=OTHER),
        remote_task("ours", created=NOW),
    ]
    rem = remote(listed, details=[detail(t, K) for t in listed])
    found = lost_create(rem, intent(K, age=AGE), known={"known"}, claimed={"claimed"})
    assert found.ids == ("ours",)


def test_a_field_the_body_leaves_out_matches_anything_a_field_it_sets_must_match() -> None:
    t = remote_task("t1", created=NOW)
    rem = remote([t], details=[detail(t, declared("k", prompt=K.body.prompt, base_ref="release"))])
    assert lost_create(rem, intent(K, age=AGE), known=set(), claimed=set()).ids == ("t1",)
    wants_main = declared("k", prompt=K.body.prompt, base_ref="main")
    assert find(rem, REPO, wants_main.body, known=set(), since=NOW, claimed=set()) == Matches()


@pytest.mark.parametrize(
    ("fields", "differs"),
    [
        ({}, None),
        ({"base_ref": "main"}, None),
        ({"base_ref": "release"}, "base_ref"),
        ({"head_ref": "feature"}, "head_ref"),
        ({"model": "another-model"}, "model"),
        # The answer names no custom agent: a field missing from an answer cannot contradict.
        ({"custom_agent": "reviewer"}, None),
        # Tolerated normalisations (spec/matching.py): a ref's long spelling, a pinned model.
        ({"base_ref": "refs/heads/main"}, None),
        ({"model": "auto"}, "model"),
    ],
)
def test_the_first_session_names_the_first_field_it_differs_in(
    fields: dict[str, Any], differs: str | None
) -> None:
    started = detail(remote_task("t1"), K)  # base_ref main, head_ref copilot/t1, auto-model
    spec = declared("k", prompt="Fix the login button.", **fields)
    assert first_session_mismatch(spec.body, started) == differs
    assert first_session_matches(spec.body, started) is (differs is None)


def test_an_answer_normalised_by_github_still_matches_and_another_value_never_does() -> None:
    t = remote_task("t1", created=NOW)
    answered = detail(t, declared("k", prompt=K.body.prompt, model="gpt-5-2025-08-07"))
    answered = answered.model_copy(
        update={
            "sessions": (answered.sessions[0].model_copy(update={"base_ref": "refs/heads/main"}),),
            "custom_agent": CustomAgent(id="reviewer"),
        }
    )
    body = declared("k", prompt=K.body.prompt, base_ref="main", model="gpt-5").body
    assert first_session_mismatch(body, answered) is None
    for field, value, differs in [
        ("base_ref", "release", "base_ref"),
        ("model", "gpt-5-mini", "model"),
        ("model", "gpt-5-2025", "model"),
        ("custom_agent", "another", "custom_agent"),
    ]:
        other = body.model_copy(update={field: value, "custom_agent": "reviewer"})
        if field == "custom_agent":
            other = body.model_copy(update={field: value})
        assert first_session_mismatch(other, answered) == differs


def test_another_prompt_or_no_session_is_a_prompt_mismatch() -> None:
    started = detail(remote_task("t1"), K)
    assert first_session_mismatch(declared("k", prompt="Another.").body, started) == "prompt"
    bare = TaskDetail(**remote_task("t1").model_dump())
    assert first_session_mismatch(K.body, bare) == "prompt"
    later = RemoteSession(
        id="s2", state=started.state, created_at=started.created_at + AGE, prompt="Another."
    )
    first_wins = started.model_copy(update={"sessions": (*started.sessions, later)})
    assert first_session_mismatch(K.body, first_wins) is None


def test_windows() -> None:
    lost = intent(K, age=AGE)
    assert intent_since(lost) == NOW - AGE - LOOKBACK
    undated = lost.model_copy(update={"server_time": None, "started_at": NOW})
    assert intent_since(undated) == NOW - LOOKBACK
    window = timedelta(days=30)
    # A key without a record: the adopt window, state or no state (a save never narrows it).
    assert recordless_since(NOW, window) == NOW - window


def test_the_listing_query_is_the_same_for_every_caller() -> None:
    assert listing_query(NOW, (7, 3)) == ListParams(
        per_page=100, sort="created_at", direction="asc", since=NOW, creator_ids=(7, 3)
    )
    assert listing_query(NOW, (7,)).query() == (
        ("per_page", "100"),
        ("sort", "created_at"),
        ("direction", "asc"),
        ("since", "2026-11-24T12:00:00Z"),
        ("creator_id", "7"),
    )
    assert listing_query(None, (7,), archived=True).is_archived is True
