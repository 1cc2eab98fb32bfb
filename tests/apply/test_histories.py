"""Random histories of apply, lost answers, archives, failures, state loss and edits (issue 11, 2).

A Hypothesis state machine drives the commands in-process (``reconciler.commands.*``, as the
command line calls them) against an in-process sandbox on a manual clock: full and targeted
applies, answers lost after the server created the task (``commit_then_drop``) or arriving after
the client gave up (a late POST), archived tasks, tasks that fail and are retried, a deleted state,
the backup copied back, ``state rm``, ``import``, clock jumps from a second to days, and a token of
another user. After every step it checks, from the sandbox's own store and the state file:

- runs: per key (and per creator: recovery only finds the token's user's tasks, docs/state.md),
  no more tasks than ``retry.max_attempts`` allows, and a new one only after every earlier one
  failed (nothing created twice for the same run);
- records: every task id the state ever held for a key is still there (as the record or an
  earlier run) unless the history dropped it (``state rm``, a lost state, an older backup); a
  dropped one is back after the next apply of that key that ends with exit 0;
- the state names only tasks of the key's own prompt.

Refusals are outcomes a user may see (exit 4 unconfirmed, exit 5 a conflict such as another user
with unconfirmed creates, exit 1 ``state rm`` of a key the state lacks); a crash never is.

Examples: ``AGENTTASKS_HISTORIES`` (default 5, scripts/check; 300 in .ci/run's soak step).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import note as hypothesis_note
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.context import Context, GlobalOptions, Result
from reconciler.commands.plan import Selection
from reconciler.commands.state_edit import run_import, run_rm
from reconciler.errors import AgentTasksError, ExitCode
from reconciler.sandbox import ManualClock, Sandbox
from reconciler.sandbox.store import StoredTask
from tests.apply.conftest import tasks_yaml
from tests.apply.test_recovery import LatePost

HISTORIES = "AGENTTASKS_HISTORIES"
EXAMPLES = int(os.environ.get(HISTORIES, "5"))
REPO = "octo/web"
TOKEN = "sandbox"  # the token a sandbox: URL is called with
POST = "POST:/agents/repos/*/tasks:commit_then_drop:times=1"
ADOPT_DAYS = 30  # the default --adopt-window; the history's clock stays inside it
RETRY = {"on": ["failed"]}
SPECS: dict[str, dict[str, Any]] = {
    "alpha": {"prompt": "Fix the login button.", "base_ref": "main"},
    "beta": {"prompt": "Speed up the search page.", "retry": {**RETRY, "max_attempts": 2}},
    "gamma": {"prompt": "Tidy the README.", "retry": {**RETRY, "max_attempts": 3}},
}
KEYS = tuple(SPECS)
RUNS = {key: int(spec.get("retry", {}).get("max_attempts", 1)) for key, spec in SPECS.items()}
PROMPT_KEY = {spec["prompt"]: key for key, spec in SPECS.items()}
STEPS = {"1s": 1, "10s": 10, "50s": 50, "2m": 120, "1h": 3600, "1d": 86400, "3d": 3 * 86400}

keys = st.sampled_from(KEYS)
targets = st.one_of(st.none(), keys)


@dataclass(frozen=True)
class Outcome:
    """What a command did: its exit code, and the first line of its refusal if it refused."""

    code: ExitCode
    refusal: str = ""


def outcome(call: Callable[[], Result]) -> Outcome:
    """Run a command as the command line would: an ``AgentTasksError`` is a refusal (its exit
    code); anything else escapes and fails the history (a crash, exit 70)."""
    try:
        return Outcome(call().code)
    except AgentTasksError as refused:
        return Outcome(refused.exit_code, str(refused).splitlines()[0][:160])


def note(line: str) -> None:
    """A short line under the step in a printed history (nothing when a test replays it)."""
    if currently_in_test_context():
        hypothesis_note(line)


class Histories(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="histories-"))
        self.clock = ManualClock()
        self.elapsed = 0  # seconds the history moved the clock
        self.sandbox = Sandbox(clock=self.clock)
        self.user = 1
        self.wire = LatePost(self.sandbox.transport())
        self.file = self.root / "tasks.yaml"
        self.file.write_text(tasks_yaml(SPECS, repo=REPO), encoding="utf-8")
        self.state = self.root / "agenttasks.state.json"
        self.backup = self.root / "agenttasks.state.json.backup"
        self.err: list[str] = []
        self.ctx = Context(
            GlobalOptions(api_url=f"sandbox:{self.root / 'unused.json'}", post_timeout=1.0),
            {},
            self.err.append,
            now=self.clock,
            monotonic=lambda: self.clock().timestamp(),
            sandbox=lambda url: self.wire,
        )
        # Task ids the state holds for each key (record or earlier run), as last seen.
        self.known: dict[str, set[str]] = {key: set() for key in KEYS}
        # Ids the history dropped from the state: the next clean apply of the key finds them.
        self.dropped: dict[str, set[str]] = {key: set() for key in KEYS}
        # Keys applied without a record while another user's tasks of theirs existed: recovery
        # could not see those, so runs are only counted per creator from then on.
        self.blind: set[str] = set()

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    # What the server and the state hold.

    def tasks_of(self, key: str, creator: int | None = None) -> list[StoredTask]:
        """The key's tasks on the server (by its prompt), oldest first: in the order the sandbox
        stored them (two created in one second of the manual clock share a created_at)."""
        return [
            t
            for t in self.sandbox.store.tasks.values()
            if PROMPT_KEY.get(t.prompt) == key and creator in (None, t.creator_id)
        ]

    def saved(self) -> dict[str, Any]:
        if not self.state.exists():
            return {"tasks": {}, "intents": {}}
        data: dict[str, Any] = json.loads(self.state.read_text(encoding="utf-8"))
        return data

    def ids_in_state(self, key: str) -> set[str]:
        record = self.saved()["tasks"].get(key)
        if record is None:
            return set()
        return {record["task_id"], *(run["task_id"] for run in record["earlier_runs"])}

    def drop(self, key: str) -> None:
        """The history removed what the state knew of ``key``."""
        self.dropped[key] |= self.known[key] - self.ids_in_state(key)
        self.known[key] &= self.ids_in_state(key)

    def new_tasks(self, before: set[str]) -> dict[str, list[str]]:
        """Tasks created since ``before`` (a set of ids), by key."""
        made: dict[str, list[str]] = {}
        for task in self.sandbox.store.tasks.values():
            if task.id not in before:
                made.setdefault(PROMPT_KEY.get(task.prompt, "?"), []).append(task.id)
        return made

    # The steps.

    def recordless(self) -> set[str]:
        """Keys the state has neither a record nor an unconfirmed create of."""
        state = self.saved()
        return {key for key in KEYS if key not in state["tasks"] and key not in state["intents"]}

    def run_apply(self, target: str | None) -> Outcome:
        recordless = self.recordless()
        for key in recordless:  # recovery finds only this token's user's tasks (docs/state.md)
            if any(t.creator_id != self.user for t in self.tasks_of(key)):
                self.blind.add(key)
        before = set(self.sandbox.store.tasks)
        done = outcome(
            lambda: run_apply(
                self.ctx,
                files=[self.file],
                state=None,
                plan_path=None,
                selection=Selection(targets=(target,) if target else ()),
                options=ApplyOptions(yes=True, min_interval=0.0),
            )
        )
        made = self.new_tasks(before)
        note(f"-> exit {done.code.value} {done.refusal}; created {sorted(made)}")
        assert done.code in (ExitCode.OK, ExitCode.PARTIAL, ExitCode.CONFLICT), done
        if target is not None:
            assert set(made) <= {target}, f"apply --target {target} created {sorted(made)}"
        if done.code == ExitCode.OK:
            for key in recordless & ({target} if target else set(KEYS)):
                self.recovered(key)
        return done

    def recovered(self, key: str) -> None:
        """After an apply of a key without a record ending in exit 0: the ids the history
        dropped, of the token's user, are in the state again."""
        mine = {t.id for t in self.tasks_of(key, self.user)}
        lost = (self.dropped[key] & mine) - self.ids_in_state(key)
        assert not lost, f"{key}: dropped task(s) {sorted(lost)} not found again by recovery"
        self.dropped[key] -= mine

    @rule(only=targets)
    def apply(self, only: str | None) -> None:
        """``apply`` (``--target ONLY`` when given)."""
        self.run_apply(only)

    @rule(only=targets)
    def apply_losing_the_answer(self, only: str | None) -> None:
        """The server creates the first task POSTed, then the connection drops."""
        self.sandbox.add_fault(POST)
        try:
            self.run_apply(only)
        finally:
            self.sandbox.clear_faults()

    @rule(only=targets, late=st.sampled_from(["1s", "10s"]))
    def apply_answered_late(self, only: str | None, late: str) -> None:
        """Every POST times out at the client; the server creates the tasks ``late`` after,
        while the next apply runs (inside the settle window: it must create none of them)."""
        self.wire.hold = True
        try:
            self.run_apply(only)
        finally:
            self.wire.hold = False
        held = {json.loads(r.content)["prompt"] for r in self.wire.held}
        self.advance(late)
        before = set(self.sandbox.store.tasks)
        self.run_apply(None)
        again = {
            self.sandbox.store.tasks[i].prompt
            for ids in self.new_tasks(before).values()
            for i in ids
        }
        assert not (held & again), "a create whose answer was late was sent again"
        self.wire.deliver()

    @rule(key=keys)
    def archive_newest(self, key: str) -> None:
        if tasks := self.tasks_of(key):
            self.sandbox.archive(tasks[-1].id)

    @rule(key=keys)
    def newest_fails(self, key: str) -> None:
        if tasks := self.tasks_of(key):
            self.sandbox.set_state(tasks[-1].id, "failed")

    @rule()
    def lose_state(self) -> None:
        self.state.unlink(missing_ok=True)
        for key in KEYS:
            self.drop(key)

    @rule()
    def restore_backup(self) -> None:
        """Copy ``agenttasks.state.json.backup`` over the state (when there is one)."""
        if self.backup.exists():
            shutil.copyfile(self.backup, self.state)
        for key in KEYS:
            self.drop(key)

    @rule(key=keys)
    def state_rm(self, key: str) -> None:
        done = outcome(
            lambda: run_rm(
                self.ctx, files=[self.file], state=None, key=key, tombstone=False, lock_timeout=None
            )
        )
        note(f"-> exit {done.code.value} {done.refusal}")
        if done.code == ExitCode.ERROR:
            assert done.refusal.startswith(f"no key '{key}'"), done
        else:
            assert done.code == ExitCode.OK, done
        self.drop(key)

    @rule(key=keys, which=st.sampled_from(["newest", "oldest"]))
    def import_task(self, key: str, which: str) -> None:
        """``import KEY ID`` of one of the key's own tasks on the server."""
        tasks = self.tasks_of(key)
        if not tasks:
            return
        task = tasks[-1] if which == "newest" else tasks[0]
        done = outcome(
            lambda: run_import(
                self.ctx,
                files=[self.file],
                state=None,
                key=key,
                task_id=task.id,
                force=False,
                lock_timeout=None,
            )
        )
        note(f"-> exit {done.code.value} {done.refusal}")
        if done.code == ExitCode.ERROR:  # the state keeps an earlier run as one
            assert f"is an earlier run of '{key}'" in done.refusal, done
        else:
            assert done.code in (ExitCode.OK, ExitCode.CONFLICT), done

    @rule(step=st.sampled_from(list(STEPS)))
    def advance(self, step: str) -> None:
        seconds = STEPS[step]
        if self.elapsed + seconds < (ADOPT_DAYS - 1) * 86400:
            self.clock.advance(seconds)
            self.elapsed += seconds

    @rule(user=st.sampled_from([1, 2]))
    def token_of_user(self, user: int) -> None:
        self.sandbox.map_token(TOKEN, user)
        self.user = user

    # The invariants.

    @invariant()
    def holds(self) -> None:
        """Every invariant, one line in a printed history."""
        self.runs_are_allowed_and_never_twice()
        self.no_record_is_lost()
        self.the_state_names_the_keys_own_tasks()

    def runs_are_allowed_and_never_twice(self) -> None:
        for key in KEYS:
            for creator in (1, 2) if key in self.blind else (None,):
                tasks = self.tasks_of(key, creator)
                states = [t.forced_state or "-" for t in tasks]
                assert len(tasks) <= RUNS[key], (
                    f"{key}: {len(tasks)} tasks by {creator or 'all'} ({states}),"
                    f" max_attempts {RUNS[key]}"
                )
                assert all(t.forced_state == "failed" for t in tasks[:-1]), (
                    f"{key}: a run was created again before the one before it failed: {states}"
                )

    def no_record_is_lost(self) -> None:
        for key in KEYS:
            held = self.ids_in_state(key)
            missing = self.known[key] - held
            assert not missing, f"{key}: the state lost task(s) {sorted(missing)}"
            self.known[key] = held

    def the_state_names_the_keys_own_tasks(self) -> None:
        for key, record in self.saved()["tasks"].items():
            ids = {record["task_id"], *(run["task_id"] for run in record["earlier_runs"])}
            prompts = {self.sandbox.store.tasks[i].prompt for i in ids}
            assert prompts == {SPECS[key]["prompt"]}, f"{key} records {sorted(ids)}"


Histories.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.soak
class TestHistories(Histories.TestCase):  # type: ignore[misc,valid-type]
    """The machine as a pytest test."""


# Shrunk histories the machine found, replayed step by step.


@pytest.fixture
def history() -> Iterator[Histories]:
    machine = Histories()
    yield machine
    machine.teardown()


def test_importing_an_earlier_run_does_not_start_another_run(history: Histories) -> None:
    """``import gamma ID`` of gamma's first, failed run, while its second run is recorded,
    must not make the next apply run gamma a third time."""
    history.apply(None)
    history.newest_fails("gamma")
    history.apply(None)  # the re-run: gamma's second task
    history.holds()
    history.import_task("gamma", "oldest")
    history.holds()
    history.apply(None)
    history.holds()
    assert len(history.tasks_of("gamma")) == 2
