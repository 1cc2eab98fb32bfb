"""Every action and sync state of DESIGN §4, table-driven over declared / recorded / remote /
intent / tombstone combinations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from reconciler.errors import StateConflict, TooManyCreates
from reconciler.plan.model import Kind, Plan, Sync
from reconciler.plan.planner import Options, plan
from reconciler.plan.remote import Remote
from reconciler.state.format import State
from tests.planner.builders import (
    NOW,
    OTHER,
    REPO,
    declared,
    desired,
    detail,
    intent,
    record,
    remote,
    remote_task,
    state,
    tombstone,
)

K = declared("k")
YOUNG, OLD = timedelta(seconds=20), timedelta(minutes=5)


@dataclass(frozen=True)
class Case:
    build: Callable[[], tuple[list, State, Remote]]  # type: ignore[type-arg]
    expected: dict[str, Kind]
    syncs: dict[str, Sync] = field(default_factory=dict)
    options: Options = field(default_factory=Options)
    reason: str = ""


def _t(task_id: str, **kw: object) -> object:
    return remote_task(task_id, **kw)  # type: ignore[arg-type]


CASES: dict[str, Case] = {
    "declared, nothing else: create": Case(
        lambda: ([K], state(), remote()), {"k": Kind.CREATE}, reason="not created yet"
    ),
    "declared, no state file, same task on GitHub: import": Case(
        lambda: (
            [K],
            state(written=None),
            remote([t := remote_task("t1")], details=[detail(t, K)]),
        ),
        {"k": Kind.IMPORT},
        {"k": Sync.PENDING},
    ),
    "declared, lookalike by another user: create": Case(
        lambda: (
            [K],
            state(written=None),
            remote([t := remote_task("t1", creator=OTHER)], details=[detail(t, K)]),
        ),
        {"k": Kind.CREATE},
    ),
    "declared, lookalike older than the adopt window: create": Case(
        lambda: (
            [K],
            state(),
            remote(
                [t := remote_task("t1", created=NOW - timedelta(days=31))],
                details=[detail(t, K)],
            ),
        ),
        {"k": Kind.CREATE},
    ),
    "declared, lookalike older than the state's last save: import": Case(
        lambda: (
            [K],
            state(),
            remote(
                [t := remote_task("t1", created=NOW - timedelta(hours=3))],
                details=[detail(t, K)],
            ),
        ),
        {"k": Kind.IMPORT},
    ),
    "declared, task started from another prompt: create": Case(
        lambda: (
            [K],
            state(written=None),
            remote([t := remote_task("t1")], details=[detail(t, declared("k", prompt="Other."))]),
        ),
        {"k": Kind.CREATE},
    ),
    "tracked and listed: unchanged, synced": Case(
        lambda: ([K], state({"k": record(K, "t1")}), remote([remote_task("t1")])),
        {"k": Kind.NOOP},
        {"k": Sync.SYNCED},
    ),
    "tracked and archived: unchanged, never recreated": Case(
        lambda: (
            [K],
            state({"k": record(K, "t1")}),
            remote(found=[remote_task("t1", archived=True, state="failed")]),
        ),
        {"k": Kind.NOOP},
        {"k": Sync.SYNCED},
    ),
    "tracked, listing fine, GET 404: recreate": Case(
        lambda: ([K], state({"k": record(K, "t1")}), remote(gone={"t1"})),
        {"k": Kind.RECREATE},
        {"k": Sync.PENDING},
        reason="task t1 is gone from GitHub (its GET answered 404)",
    ),
    "tracked, repository listing 404: missing, not recreated": Case(
        lambda: ([K], state({"k": record(K, "t1")}), remote(failed={REPO: 404}, gone={"t1"})),
        {"k": Kind.NOOP},
        {"k": Sync.MISSING},
    ),
    "tracked, created by another user and not visible: missing": Case(
        lambda: ([K], state({"k": record(K, "t1", creator=OTHER)}), remote(gone={"t1"})),
        {"k": Kind.NOOP},
        {"k": Sync.MISSING},
    ),
    "spec changed under replace: replace": Case(
        lambda: (
            [declared("k", prompt="New words.")],
            state({"k": record(K, "t1")}),
            remote([remote_task("t1")]),
        ),
        {"k": Kind.REPLACE},
        {"k": Sync.PENDING},
        reason="prompt changed; task t1 stays on GitHub as it is",
    ),
    "spec changed under ignore: unchanged with a note": Case(
        lambda: (
            [declared("k", prompt="New words.", on_change="ignore")],
            state({"k": record(K, "t1")}),
            remote([remote_task("t1")]),
        ),
        {"k": Kind.NOOP},
        {"k": Sync.SYNCED},
    ),
    "failed, retry allows it: re-run": Case(
        lambda: (
            [R := declared("k", retry=(["failed"], 3))],
            state({"k": record(R, "t1")}),
            remote([remote_task("t1", state="failed")]),
        ),
        {"k": Kind.RERUN},
        reason="retry 2 of 3 after failed",
    ),
    "failed, attempts used up: unchanged": Case(
        lambda: (
            [R := declared("k", retry=(["failed"], 3))],
            state({"k": record(R, "t1", attempt=3)}),
            remote([remote_task("t1", state="failed")]),
        ),
        {"k": Kind.NOOP},
    ),
    "failed but archived: never re-run": Case(
        lambda: (
            [R := declared("k", retry=(["failed"], 3))],
            state({"k": record(R, "t1")}),
            remote(found=[remote_task("t1", state="failed", archived=True)]),
        ),
        {"k": Kind.NOOP},
    ),
    "completed, retry on failure only: unchanged": Case(
        lambda: (
            [R := declared("k", retry=(["failed"], 3))],
            state({"k": record(R, "t1")}),
            remote([remote_task("t1", state="completed")]),
        ),
        {"k": Kind.NOOP},
    ),
    "spec change wins over a re-run": Case(
        lambda: (
            [declared("k", prompt="Changed.", retry=(["failed"], 3))],
            state({"k": record(declared("k", retry=(["failed"], 3)), "t1")}),
            remote([remote_task("t1", state="failed")]),
        ),
        {"k": Kind.REPLACE},
    ),
    "recorded, no longer declared: forget": Case(
        lambda: ([], state({"k": record(K, "t1")}), remote([remote_task("t1")])),
        {"k": Kind.FORGET},
        {"k": Sync.PENDING},
        reason="no longer declared; task t1 keeps running on GitHub",
    ),
    "young intent, nothing listed yet: unknown, nothing created": Case(
        lambda: ([K], state(intents={"k": intent(K, age=YOUNG)}), remote()),
        {},
        {"k": Sync.UNKNOWN},
    ),
    "old intent, nothing listed: dropped, created": Case(
        lambda: ([K], state(intents={"k": intent(K, age=OLD)}), remote()),
        {"k": Kind.CREATE},
    ),
    "intent matching one task: import": Case(
        lambda: (
            [K],
            state(intents={"k": intent(K, age=YOUNG)}),
            remote([t := remote_task("t9", created=NOW)], details=[detail(t, K)]),
        ),
        {"k": Kind.IMPORT},
    ),
    "intent of a key no longer declared: import, then forget": Case(
        lambda: (
            [],
            state(intents={"k": intent(K, age=OLD)}),
            remote([t := remote_task("t9", created=NOW - OLD)], details=[detail(t, K)]),
        ),
        {"k": Kind.IMPORT},
    ),
    "tombstoned key declared again: needs attention, no action": Case(
        lambda: ([K], state(tombstones={"k": tombstone("t0")}), remote()),
        {},
    ),
    "tombstoned key with --replace: create": Case(
        lambda: ([K], state(tombstones={"k": tombstone("t0")}), remote()),
        {"k": Kind.CREATE},
        options=Options(replace=frozenset({"k"})),
    ),
    "--replace on a tracked key: re-run": Case(
        lambda: ([K], state({"k": record(K, "t1")}), remote([remote_task("t1")])),
        {"k": Kind.RERUN},
        options=Options(replace=frozenset({"k"})),
        reason="--replace",
    ),
}


def _plan(case: Case) -> Plan:
    tasks, st, rem = case.build()
    return plan(desired(*tasks), st, rem, NOW, case.options)


@pytest.mark.parametrize("name", CASES)
def test_action_table(name: str) -> None:
    case = CASES[name]
    result = _plan(case)
    assert {a.key: a.kind for a in result.changes} | {
        a.key: a.kind for a in result.actions if a.kind == Kind.NOOP
    } == case.expected
    assert {s.key: s.sync for s in result.statuses if s.key in case.syncs} == case.syncs
    if case.reason:
        [action] = [a for a in result.actions if a.kind != Kind.NOOP]
        assert action.reason == case.reason


def test_rerun_counts_an_attempt() -> None:
    [action] = _plan(CASES["failed, retry allows it: re-run"]).actions
    assert (action.attempt, action.old_task_id) == (2, "t1")


def test_replace_resets_the_attempt_count() -> None:
    spec = declared("k", prompt="New.", retry=(["failed"], 3))
    old = record(declared("k", retry=(["failed"], 3)), "t1", attempt=3)
    [action] = plan(desired(spec), state({"k": old}), remote([remote_task("t1")]), NOW).actions
    assert (action.kind, action.attempt) == (Kind.REPLACE, 1)


def test_ignored_change_shows_a_note_on_every_plan() -> None:
    for _ in range(2):
        [action] = _plan(CASES["spec changed under ignore: unchanged with a note"]).actions
        assert action.notes == ("prompt changed, but on_change: ignore keeps task t1",)


def test_young_intent_is_unresolved_and_blocks_any_create() -> None:
    result = _plan(CASES["young intent, nothing listed yet: unknown, nothing created"])
    assert (result.unresolved, result.actions, result.counts.added) == (("k",), (), 0)


def test_old_unmatched_intent_is_dropped() -> None:
    assert _plan(CASES["old intent, nothing listed: dropped, created"]).dropped_intents == ("k",)


def test_intent_of_a_gone_key_is_imported_then_forgotten() -> None:
    result = _plan(CASES["intent of a key no longer declared: import, then forget"])
    [action] = result.actions
    assert (action.verbs, result.counts.imported, result.counts.forgotten) == (
        ("import", "forget"),
        1,
        1,
    )


def test_intent_matching_two_tasks_is_a_conflict_naming_both() -> None:
    t1, t2 = remote_task("t1", created=NOW), remote_task("t2", created=NOW)
    rem = remote([t1, t2], details=[detail(t1, K), detail(t2, K)])
    with pytest.raises(StateConflict) as error:
        plan(desired(K), state(intents={"k": intent(K, age=YOUNG)}), rem, NOW)
    assert str(error.value) == (
        "the unfinished create of 'k' matches 2 tasks (t2, t1); choose the right one with:"
        " agenttasks import k TASK_ID"
    )
    assert error.value.exit_code == 5


def test_recordless_key_matching_several_imports_the_newest() -> None:
    older = remote_task("t1", created=NOW - timedelta(minutes=50))
    newer = remote_task("t2", created=NOW - timedelta(minutes=10))
    rem = remote([older, newer], details=[detail(older, K), detail(newer, K)])
    [action] = plan(desired(K), state(written=None), rem, NOW).actions
    assert (action.kind, action.task and action.task.id) == (Kind.IMPORT, "t2")
    assert [r.task_id for r in action.earlier_runs] == ["t1"]


def test_a_task_is_claimed_by_one_key_only() -> None:
    a, b = declared("a", prompt="Same."), declared("b", prompt="Same.", model="m")
    t = remote_task("t1")
    rem = remote([t], details=[detail(t, b)])
    result = plan(desired(a, b), state(written=None), rem, NOW)
    assert {x.key: x.kind for x in result.actions} == {"a": Kind.IMPORT, "b": Kind.CREATE}


def test_tombstoned_key_needs_attention() -> None:
    result = _plan(CASES["tombstoned key declared again: needs attention, no action"])
    assert [(a.key, a.message) for a in result.attention] == [
        ("k", "was run and forgotten on 2026-11-22; use --replace k to run it again")
    ]
    assert not result.counts.changes


def test_guard_rail_names_the_count_and_the_setting() -> None:
    tasks = [declared(f"t{i}") for i in range(4)]
    with pytest.raises(TooManyCreates) as error:
        plan(desired(*tasks, max_creates=3), state(), remote(), NOW)
    assert str(error.value) == (
        "this plan would create 4 tasks, more than 3 (settings.max_creates in tasks.yaml); if"
        " that is intended, raise settings.max_creates or pass --max-creates 4"
    )


def test_guard_rail_default_and_option() -> None:
    tasks = [declared(f"t{i:02d}") for i in range(21)]
    with pytest.raises(TooManyCreates, match=r"21 tasks, more than 20 \(the default max_creates\)"):
        plan(desired(*tasks), state(), remote(), NOW)
    assert plan(desired(*tasks), state(), remote(), NOW, Options(max_creates=21)).counts.added == 21


def test_target_and_exclude_limit_the_plan() -> None:
    tasks = [declared("web-a"), declared("web-b"), declared("api-a")]
    options = Options(targets=("web-*",), excludes=("*-b",))
    result = plan(
        desired(*tasks), state({"old": record(declared("old"), "t0")}), remote(), NOW, options
    )
    assert [a.key for a in result.actions] == ["web-a"]
    assert result.targeted


def test_summary_counts() -> None:
    a, b, c = declared("a"), declared("b", prompt="Changed."), declared("c")
    st = state({"b": record(declared("b"), "t1"), "gone": record(declared("gone"), "t2")})
    result = plan(desired(a, b, c), st, remote([remote_task("t1"), remote_task("t2")]), NOW)
    assert result.counts == type(result.counts)(imported=0, added=3, forgotten=2)
