"""Recovery by matching (issue 11): every declared task is created exactly once, whatever saves,
archives, clock skew, waits or token changes happen between the runs.

The commands run in-process (``reconciler.commands.*``) against an in-process sandbox on a manual
clock, handed to them as the context's ``sandbox``; the context's wall and monotonic clocks follow
the same manual clock (plus a skew where a test wants one), so minutes pass in no time. Each test
ends on the invariant: every declared key is one task in the sandbox and one record in the state,
nothing is still an unconfirmed create, and no task is left untracked.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import failpoints
from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.context import Context, GlobalOptions, Result
from reconciler.commands.plan import Selection, run_plan
from reconciler.commands.state_edit import run_import, run_rm
from reconciler.commands.status import run_status
from reconciler.errors import ExitCode, StateConflict
from reconciler.sandbox import ManualClock, Sandbox
from tests.apply.conftest import tasks_yaml

REPO = "octo/web"
SPECS = {
    "alpha": {"prompt": "Fix the login button.", "base_ref": "main"},
    "beta": {"prompt": "Speed up the search page."},
    "gamma": {"prompt": "Tidy the README."},
}


class LatePost(httpx.BaseTransport):
    """The sandbox's transport, where a held POST times out at the client and reaches the server
    only when ``deliver`` is called: a create the server was still answering."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.hold = False
        self.let_through = 0  # POSTs answered before the hold starts
        self.held: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.hold and request.method == "POST" and request.url.path.endswith("/tasks"):
            if self.let_through > 0:
                self.let_through -= 1
                return self.inner.handle_request(request)
            request.read()
            self.held.append(request)
            raise httpx.ReadTimeout("held by the test", request=request)
        return self.inner.handle_request(request)

    def deliver(self) -> None:
        for request in self.held:
            self.inner.handle_request(request).read()
        self.held.clear()


class World:
    """A project directory, a sandbox on a manual clock, and the context commands run with."""

    def __init__(self, root: Path, skew: float = 0.0) -> None:
        self.root, self.clock = root, ManualClock()
        self.sandbox = Sandbox(clock=self.clock)
        self.wire = LatePost(self.sandbox.transport())
        self.file = root / "tasks.yaml"
        self.state = root / "agenttasks.state.json"
        self.declare(SPECS)
        self.skew = timedelta(seconds=skew)  # the local clock less the server's
        self.out: list[str] = []
        self.err: list[str] = []
        self.answer = "yes"
        self.at_prompt = 0.0  # seconds spent at the confirmation prompt
        self.ctx = Context(
            GlobalOptions(api_url=f"sandbox:{root / 'served-by-the-wire.json'}", post_timeout=1.0),
            {},
            self.err.append,
            now=lambda: self.clock() + self.skew,
            monotonic=lambda: self.clock().timestamp(),
            interactive=True,
            out=self.out.append,
            ask=self._ask,
            sandbox=lambda url: self.wire,
        )

    def _ask(self, question: str) -> str:
        self.clock.advance(self.at_prompt)
        return self.answer

    def declare(self, specs: dict[str, dict[str, Any]]) -> None:
        self.specs = specs
        self.file.write_text(tasks_yaml(specs, repo=REPO), encoding="utf-8")

    def apply(self, *targets: str, adopt_window: str = "30d") -> Result:
        return run_apply(
            self.ctx,
            files=[self.file],
            state=None,
            plan_path=None,
            selection=Selection(targets=targets, adopt_window=adopt_window),
            options=ApplyOptions(min_interval=0.0),
        )

    def plan(
        self, fmt: str = "text", selection: Selection | None = None, out: Path | None = None
    ) -> str:
        return run_plan(
            self.ctx,
            files=[self.file],
            state=None,
            fmt=fmt,
            out=out,
            detailed_exitcode=False,
            selection=selection or Selection(),
        ).out

    def status(self, *, check: bool = False, wait: bool = False, timeout: float = 30) -> Result:
        return run_status(
            self.ctx,
            files=[self.file],
            state=None,
            fmt="text",
            check=check,
            wait=wait,
            timeout=timeout,
            interval=0.05,
        )

    def import_(self, key: str, task_id: str) -> None:
        run_import(
            self.ctx,
            files=[self.file],
            state=None,
            key=key,
            task_id=task_id,
            force=False,
            lock_timeout=None,
        )

    def rm(self, key: str) -> None:
        run_rm(self.ctx, files=[self.file], state=None, key=key, tombstone=False, lock_timeout=None)

    def saved(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.state.read_text(encoding="utf-8"))
        return data

    def lose_state(self) -> None:
        self.state.unlink()

    def tasks(self) -> list[tuple[str, str, bool]]:
        """Every task in the sandbox: (id, prompt, archived)."""
        return [
            (t.id, t.prompt, t.archived_at is not None) for t in self.sandbox.store.tasks.values()
        ]

    def assert_each_once(self) -> None:
        """The invariant: each declared key is one task on the server and one record here."""
        prompts = sorted(p for _, p, _ in self.tasks())
        assert prompts == sorted(s["prompt"] for s in self.specs.values()), self.tasks()
        saved = self.saved()
        records = saved["tasks"]
        assert isinstance(records, dict)
        assert sorted(records) == sorted(self.specs)
        assert saved["intents"] == {}
        assert sorted(r["task_id"] for r in records.values()) == sorted(
            i for i, _, _ in self.tasks()
        )


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def _later(world: World, minutes: float) -> None:
    world.clock.advance(minutes * 60)


# Finding 1: a key's matching window does not depend on saves that never looked at it.


def test_a_targeted_apply_after_a_lost_state_does_not_hide_the_other_keys(world: World) -> None:
    assert world.apply().code == ExitCode.OK
    _later(world, 60)
    world.lose_state()
    assert world.apply("alpha").code == ExitCode.OK  # imports alpha, saves a new written_at
    _later(world, 10)
    assert world.apply().code == ExitCode.OK
    world.assert_each_once()


def test_state_rm_of_a_declared_key_is_found_again_after_five_minutes(world: World) -> None:
    assert world.apply().code == ExitCode.OK
    _later(world, 60)
    world.rm("beta")
    _later(world, 10)
    assert "will be created" not in world.plan()
    assert world.apply().code == ExitCode.OK
    world.assert_each_once()


def test_a_restored_older_state_then_any_save_still_finds_the_rest(world: World) -> None:
    world.declare({"alpha": SPECS["alpha"]})
    assert world.apply().code == ExitCode.OK
    older = world.state.read_bytes()  # a copy that will not know beta or gamma
    world.declare(SPECS)
    assert world.apply().code == ExitCode.OK
    _later(world, 60)
    world.state.write_bytes(older)  # the state is lost; the user restores the older copy
    world.rm("alpha")  # then any save at all
    _later(world, 10)
    assert world.apply().code == ExitCode.OK
    world.assert_each_once()


# Finding 2: archived tasks are candidates.


def test_a_lost_state_finds_archived_tasks_again(world: World) -> None:
    assert world.apply().code == ExitCode.OK
    for task_id, _, _ in world.tasks():
        world.sandbox.archive(task_id)
    _later(world, 60)
    world.lose_state()
    assert world.apply().code == ExitCode.OK
    world.assert_each_once()


def test_a_lost_answer_whose_task_was_archived_is_imported(world: World) -> None:
    world.wire.hold = True
    assert world.apply("alpha").code == ExitCode.PARTIAL
    world.wire.hold = False
    world.wire.deliver()
    [(task_id, _, _)] = world.tasks()
    world.sandbox.archive(task_id)
    _later(world, 2)
    assert world.apply().code == ExitCode.OK
    world.assert_each_once()


def test_a_tracked_archived_task_stays_tracked_beside_a_key_to_match(world: World) -> None:
    assert world.apply().code == ExitCode.OK
    alpha = world.saved()["tasks"]["alpha"]["task_id"]  # type: ignore[index]
    world.sandbox.archive(alpha)
    world.rm("beta")  # beta now has a key to match in the same repository: both listings read
    _later(world, 60)
    text = world.plan()
    assert "will be created" not in text
    assert "will be recreated" not in text
    assert world.apply().code == ExitCode.OK
    world.assert_each_once()


# Finding 3: an intent is dated when its POST leaves, on the server's clock.


def test_minutes_at_the_prompt_do_not_age_the_intent(world: World) -> None:
    world.declare({"alpha": SPECS["alpha"]})
    world.at_prompt = 600.0  # ten minutes before "yes"
    world.wire.hold = True
    assert world.apply().code == ExitCode.PARTIAL
    world.wire.hold = False
    world.at_prompt = 0.0
    world.clock.advance(5)  # the server is still answering that POST
    assert world.apply().code == ExitCode.PARTIAL  # in its settle window: nothing created
    world.wire.deliver()
    _later(world, 2)
    assert world.apply().code == ExitCode.OK
    world.assert_each_once()


def test_a_stall_after_a_folded_intent_redates_it_before_its_post(
    world: World,
) -> None:
    world.declare({"alpha": SPECS["alpha"], "beta": SPECS["beta"]})

    def stall() -> None:  # a slow save: beta's intent was dated a minute before it lands
        world.clock.advance(60)

    world.wire.hold, world.wire.let_through = True, 1  # alpha answers; beta's answer is late
    with failpoints.acting(failpoints.AFTER_201_BEFORE_SAVE, stall):
        assert world.apply().code == ExitCode.PARTIAL
    world.wire.hold = False
    world.clock.advance(5)  # the server is still answering beta's POST
    assert world.apply().code == ExitCode.PARTIAL  # in its settle window: nothing created
    world.wire.deliver()
    _later(world, 2)
    assert world.apply().code == ExitCode.OK
    world.assert_each_once()


# Finding 9: a change of token user with creates unconfirmed is refused.


def test_another_user_with_unconfirmed_creates_is_refused(world: World) -> None:
    world.declare({"alpha": SPECS["alpha"]})
    world.wire.hold = True
    assert world.apply().code == ExitCode.PARTIAL
    world.wire.hold = False
    world.wire.deliver()
    assert world.saved()["user_id"] == 1  # written by apply, not only by import
    world.sandbox.map_token("sandbox", 2)
    _later(world, 2)
    with pytest.raises(StateConflict, match="user 1") as refused:
        world.apply()
    assert refused.value.exit_code == ExitCode.CONFLICT
    assert "agenttasks import alpha" in str(refused.value)
    assert len(world.tasks()) == 1
    world.sandbox.map_token("sandbox", 1)  # the way on: the same user's token
    assert world.apply().code == ExitCode.OK
    world.assert_each_once()


def test_another_user_without_unconfirmed_creates_is_warned(world: World) -> None:
    assert world.apply().code == ExitCode.OK
    world.sandbox.map_token("sandbox", 2)
    world.plan()
    assert any("user 1" in line and "user 2" in line for line in world.err), world.err


# Finding 10: the adopt window is measured on the server's clock.


@pytest.mark.parametrize("skew_hours", [24 * 300, -24 * 300])
def test_a_lost_state_is_matched_whatever_the_local_clock_says(
    tmp_path: Path, skew_hours: float
) -> None:
    world = World(tmp_path, skew=skew_hours * 3600)
    assert world.apply().code == ExitCode.OK
    _later(world, 60)
    world.lose_state()
    assert world.apply(adopt_window="2h").code == ExitCode.OK
    world.assert_each_once()


# Finding 8: recovery keeps the retry counter: earlier runs of the same spec count.


def test_a_lost_state_after_the_last_allowed_run_starts_no_other(world: World) -> None:
    retried = {"prompt": "Fix the flaky test.", "retry": {"on": ["failed"], "max_attempts": 2}}
    world.declare({"alpha": retried})
    for _ in range(2):  # run 1, then its re-run: both fail
        assert world.apply().code == ExitCode.OK
        _later(world, 30)
        for task_id, _, _ in world.tasks():
            world.sandbox.set_state(task_id, "failed")
    assert len(world.tasks()) == 2
    world.lose_state()
    assert world.apply().code == ExitCode.OK
    assert len(world.tasks()) == 2, "a third run of a task allowed two"
    record = world.saved()["tasks"]["alpha"]  # type: ignore[index]
    assert record["attempt"] == 2
    assert len(record["earlier_runs"]) == 1
    assert "will be re-run" not in world.plan()
    assert world.apply().code == ExitCode.OK
    assert len(world.tasks()) == 2


def test_a_lost_state_after_one_failed_run_still_retries(world: World) -> None:
    retried = {"prompt": "Fix the flaky test.", "retry": {"on": ["failed"], "max_attempts": 2}}
    world.declare({"alpha": retried})
    assert world.apply().code == ExitCode.OK
    [(first, _, _)] = world.tasks()
    world.sandbox.set_state(first, "failed")
    _later(world, 30)
    world.lose_state()
    assert world.apply().code == ExitCode.OK  # imports run 1, then its one allowed re-run
    assert world.apply().code == ExitCode.OK
    assert len(world.tasks()) == 2
    assert world.saved()["tasks"]["alpha"]["attempt"] == 2  # type: ignore[index]


def test_importing_one_unconfirmed_create_with_another_token_keeps_the_others_guarded(
    world: World,
) -> None:
    """Found by the histories machine: `import` under user 2 wrote user 2 over the state while
    user 1's other creates were unconfirmed, and the next apply created them again."""
    world.declare({"alpha": SPECS["alpha"], "beta": SPECS["beta"]})
    world.wire.hold = True
    assert world.apply().code == ExitCode.PARTIAL  # both answers lost
    world.wire.hold = False
    world.wire.deliver()
    world.sandbox.map_token("sandbox", 2)
    [beta_id] = [i for i, p, _ in world.tasks() if p == SPECS["beta"]["prompt"]]
    world.import_("beta", beta_id)
    _later(world, 2)
    with pytest.raises(StateConflict, match="user 1"):
        world.apply()
    assert len(world.tasks()) == 2
    world.sandbox.map_token("sandbox", 1)
    assert world.apply().code == ExitCode.OK
    world.assert_each_once()


def test_import_of_a_newer_run_keeps_counting_the_runs(world: World) -> None:
    """Found by an independent review: `import KEY ID` over a key's record set attempt 1, so a
    retry policy could run max_attempts more times."""
    prompt = "Fix the flaky test."
    world.declare({"alpha": {"prompt": prompt, "retry": {"on": ["failed"], "max_attempts": 2}}})
    assert world.apply().code == ExitCode.OK
    [(first, _, _)] = world.tasks()
    world.sandbox.set_state(first, "failed")
    started = world.sandbox.create_task(REPO, prompt)  # run 2, started by hand
    world.sandbox.set_state(started, "failed")
    world.import_("alpha", started)
    assert world.saved()["tasks"]["alpha"]["attempt"] == 2  # type: ignore[index]
    assert world.apply().code == ExitCode.OK
    assert len(world.tasks()) == 2, "a third run of a task allowed two"
