"""Planner properties (Hypothesis): order independence, one create per key, and convergence
against the sandbox through the real refresh."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import StateConflict
from reconciler.github.auth import Token
from reconciler.github.client import AgentTasksClient
from reconciler.models import Desired, DesiredTask
from reconciler.plan.model import Plan
from reconciler.plan.planner import Options, plan
from reconciler.plan.refresh import refresh
from reconciler.plan.remote import Remote, RepoListing
from reconciler.sandbox import ManualClock, Sandbox
from reconciler.state.format import Record, State
from tests.planner.builders import (
    NOW,
    OTHER,
    USER,
    declared,
    desired,
    detail,
    intent,
    record,
    remote_task,
    state,
    tombstone,
)

PROMPTS = ["Fix login.", "Tidy the README.", "Speed up search."]
REPOS = ["octo/web", "octo/api"]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[DesiredTask], State, Remote]:
    """Random combinations of declared / recorded / remote / intent / tombstone per key."""
    keys = draw(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=6, unique=True))
    tasks, records, intents, stones, listed, details, gone = [], {}, {}, {}, [], [], set()
    for n, key in enumerate(keys):
        spec = declared(
            key,
            repo=draw(st.sampled_from(REPOS)),
            prompt=draw(st.sampled_from(PROMPTS)) + f" ({key})",
            retry=draw(st.sampled_from([None, (["failed"], 2)])),
        )
        if draw(st.booleans()):
            tasks.append(spec)
        task_id = f"t{n}"
        where = draw(st.sampled_from(["record", "intent", "tombstone", "lookalike", "none"]))
        remote_kind = draw(st.sampled_from(["active", "archived", "gone", "other"]))
        creator = OTHER if remote_kind == "other" else USER
        state_name = draw(st.sampled_from(["in_progress", "failed", "completed"]))
        task = remote_task(
            task_id,
            repo=spec.repo,
            state=state_name,
            creator=creator,
            archived=remote_kind == "archived",
        )
        if where == "record":
            records[key] = record(spec, task_id, creator=creator)
        elif where == "intent":
            intents[key] = intent(
                spec, age=draw(st.sampled_from([timedelta(seconds=5), timedelta(minutes=9)]))
            )
        elif where == "tombstone":
            stones[key] = tombstone(task_id, spec.repo)
        if remote_kind == "gone":
            gone.add(task_id)
        else:
            listed.append(task)
            details.append(detail(task, spec))
    listings = {
        r: RepoListing(tasks=tuple(t for t in listed if r in (t.html_url or ""))) for r in REPOS
    }
    rem = Remote(USER, listings, {}, frozenset(gone), {d.id: d for d in details})
    return tasks, state(records, intents, stones), rem


def _outcome(tasks: list[DesiredTask], st_: State, rem: Remote) -> Plan | str:
    try:
        return plan(desired(*tasks), st_, rem, NOW)
    except StateConflict as error:
        return str(error)


def _shuffled(tasks: list[DesiredTask], rem: Remote, seed: int) -> tuple[list[DesiredTask], Remote]:
    rng = random.Random(seed)
    tasks = tasks[:]
    rng.shuffle(tasks)
    listings = {}
    for repo in reversed(list(rem.listings)):
        items = list(rem.listings[repo].tasks)
        rng.shuffle(items)
        listings[repo] = RepoListing(tasks=tuple(items))
    details = list(rem.details.items())
    rng.shuffle(details)
    return tasks, Remote(rem.user_id, listings, rem.found, rem.gone, dict(details))


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios(), seed=st.integers(0, 2**16))
def test_plan_does_not_depend_on_yaml_or_listing_order(
    scenario: tuple[list[DesiredTask], State, Remote], seed: int
) -> None:
    tasks, st_, rem = scenario
    again_tasks, again_remote = _shuffled(tasks, rem, seed)
    assert _outcome(tasks, st_, rem) == _outcome(again_tasks, st_, again_remote)


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios())
def test_no_key_ever_gets_two_creates_or_two_actions(
    scenario: tuple[list[DesiredTask], State, Remote],
) -> None:
    result = _outcome(*scenario)
    if isinstance(result, str):
        return
    keys = [a.key for a in result.actions]
    assert len(keys) == len(set(keys))
    claimed = [a.task.id for a in result.actions if a.kind.value == "import" and a.task]
    assert len(claimed) == len(set(claimed))


# --- against the sandbox, through the real refresh -------------------------------------------

specs = st.lists(
    st.tuples(st.sampled_from(PROMPTS), st.sampled_from(REPOS), st.sampled_from([None, "main"])),
    min_size=1,
    max_size=5,
    # validate refuses two tasks with one prompt in one repository that no field tells apart
    unique_by=lambda item: (item[0], item[1]),
)


def _client(sb: Sandbox) -> AgentTasksClient:
    return AgentTasksClient(
        "https://api.github.com", Token("sandbox-token", "a test"), transport=sb.transport()
    )


def _declared(items: list[tuple[str, str, str | None]]) -> Desired:
    return desired(
        *(declared(f"k{i}", repo=r, prompt=p, base_ref=b) for i, (p, r, b) in enumerate(items))
    )


def _plan_via_sandbox(sb: Sandbox, wanted: Desired, st_: State) -> Plan:
    with _client(sb) as client:
        return plan(wanted, st_, refresh(client, wanted, st_, sb.now(), Options()), sb.now())


@settings(max_examples=25, deadline=None)
@given(items=specs)
def test_after_creating_the_creates_a_new_plan_has_no_changes(
    items: list[tuple[str, str, str | None]],
) -> None:
    sb = Sandbox(user_id=USER, clock=ManualClock(NOW))
    wanted = _declared(items)
    first = _plan_via_sandbox(sb, wanted, State())
    records: dict[str, Record] = {}
    for action in first.actions:
        assert action.creates
        assert action.body is not None
        body = action.body
        task_id = sb.create_task(action.repo, body.prompt, base_ref=body.base_ref, creator_id=USER)
        spec = wanted.tasks[action.key]
        records[action.key] = Record(
            task_id=task_id,
            repo=spec.repo,
            digest=spec.digest,
            body=spec.body,
            creator_id=USER,
            created_at=sb.now(),
        )
    saved = State(lineage="l", serial=1, written_at=sb.now(), user_id=USER, tasks=records)
    second = _plan_via_sandbox(sb, wanted, saved)
    assert not second.counts.changes
    assert {s.key for s in second.statuses} == set(wanted.tasks)


@settings(max_examples=25, deadline=None)
@given(items=specs)
def test_a_lost_state_imports_instead_of_creating(items: list[tuple[str, str, str | None]]) -> None:
    sb = Sandbox(user_id=USER, clock=ManualClock(NOW))
    wanted = _declared(items)
    for task in wanted.tasks.values():
        sb.create_task(task.repo, task.body.prompt, base_ref=task.body.base_ref, creator_id=USER)
    result = _plan_via_sandbox(sb, wanted, State())
    assert {a.kind.value for a in result.actions} == {"import"}
    assert result.counts.added == 0
