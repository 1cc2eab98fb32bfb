"""The state lock and signals (DESIGN §3 locking, §5 signals): two applies never both create; an
interrupted apply saves, releases the lock and exits 130 or 143 in time, and the next apply
resolves the POST it abandoned.

One real SIGINT and one real SIGTERM reach an ``agenttasks apply`` process; the graces (5 s, 1.5 s,
a second signal) run in-process on ``Stop``'s injected clock, so no test waits them out."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable

import pytest

from reconciler.apply.report import Report
from reconciler.apply.run import ApplySettings, Stop, apply_plan
from reconciler.commands.context import Context, GlobalOptions, Workspace
from reconciler.commands.plan import Selection, make_plan
from reconciler.github.client import open_client
from reconciler.render.report import closing_line
from reconciler.spec.load import load
from reconciler.state.lock import StateLock
from reconciler.state.store import StateStore
from tests.apply.conftest import TOKEN, Project, Sandbox, prompts, reap
from tests.apply.test_crash import POSTS, apply_until_done

pytestmark = pytest.mark.e2e


def _wait_for_posts(project: Project, count: int, process: subprocess.Popen[str]) -> None:
    """Until the sandbox has received ``count`` POSTs (the apply holds the lock by then)."""
    deadline = time.monotonic() + 20
    while len(project.sandbox.posts()) < count:
        assert process.poll() is None, reap(process)
        assert time.monotonic() < deadline, "the apply never sent its POST"
        time.sleep(0.02)


def _interrupted_apply(
    project: Project, fault: str, signum: int, *, code: int, within: float
) -> tuple[str, str]:
    """Apply with ``fault`` on the POSTs, send ``signum`` once the first POST is out; assert the
    exit code, that it came ``within`` seconds, and no traceback. Returns stdout and stderr."""
    project.sandbox.add_fault(f"{POSTS}:{fault}")
    process = project.popen("apply", "--yes", "--min-interval", "0")
    _wait_for_posts(project, 1, process)
    process.send_signal(signum)
    began = time.monotonic()
    out, err = reap(process, timeout=15)
    assert process.returncode == code, out + err
    assert time.monotonic() - began < within
    assert "Traceback" not in err
    return out, err


def test_a_second_apply_fails_at_once_or_waits_and_they_never_both_create(
    project: Project,
) -> None:
    project.declare(prompts(2))
    project.sandbox.add_fault(f"{POSTS}:commit_then_hold:seconds=3,times=1")
    first = project.popen("apply", "--yes", "--min-interval", "0")
    try:
        _wait_for_posts(project, 1, first)
        began = time.monotonic()
        refused = project.apply()
        assert time.monotonic() - began < 2.5  # at once, not after the holder
        assert refused.returncode == 5, refused.stdout + refused.stderr
        assert f"pid {first.pid}" in refused.stderr  # names the holder
        assert '"apply"' in refused.stderr

        waited = project.apply("--lock-timeout", "20")  # "No changes." below: it planned
        # only after the first had saved its last record and let the lock go
    finally:
        out, err = reap(first)
    assert first.returncode == 0, out + err
    assert waited.returncode == 0, waited.stdout + waited.stderr
    assert "Waiting up to 20s for the lock" in waited.stderr
    assert "No changes." in waited.stdout
    assert len(project.sandbox.posts()) == 2
    project.assert_each_task_once()


def test_sigint_lets_the_post_in_flight_finish_then_saves_and_exits_130(
    project: Project,
) -> None:
    project.declare(prompts(3))
    _interrupted_apply(
        project, "commit_then_hold:seconds=2,times=1", signal.SIGINT, code=130, within=7.5
    )
    assert len(project.sandbox.posts()) == 1  # no new create started
    state = project.state()
    assert list(state["tasks"]) == ["t00"]  # its 201 came within the grace: recorded
    assert state["intents"] == {}

    after = project.apply()  # the lock was released
    assert after.returncode == 0, after.stdout + after.stderr
    assert "2 added" in after.stdout
    project.assert_each_task_once()


def test_sigterm_abandons_the_post_in_flight_within_its_grace_and_exits_143(
    project: Project,
) -> None:
    project.declare(prompts(2))
    _, err = _interrupted_apply(
        project, "commit_then_hold:seconds=10,times=1", signal.SIGTERM, code=143, within=2.5
    )
    assert "Exception in thread" not in err
    assert len(project.sandbox.posts()) == 1
    assert list(project.state()["intents"]) == ["t00"]  # the abandoned POST stays an intent

    project.sandbox.clear_faults()
    runs = apply_until_done(project)  # the sandbox committed it: imported, not sent again
    assert "1 imported, 1 added" in runs[-1].stdout
    assert len(project.sandbox.posts()) == 2
    project.assert_each_task_once()


def test_sigterm_during_a_rate_limit_wait_leaves_an_intent_created_after_its_window(
    project: Project,
) -> None:
    project.declare(prompts(1))
    project.sandbox.add_fault(f"{POSTS}:secondary_429:retry_after=30,times=1")
    applying = InterruptibleApply(project)
    try:
        applying.start()
        began = applying.clock.now
        applying.stop.handle(signal.SIGTERM, None)
        applying.clock.now = began + 1.5
        report = applying.report()
    finally:
        applying.close()  # ends the client's 30 s wait, and with it the create's thread
    assert report.exit_code == 143
    assert project.sandbox.tasks(project.repo) == []  # refused, and never sent again
    assert list(project.state()["intents"]) == ["t00"]

    apply_until_done(project)  # unknown until the window ends, then created once
    assert len(project.sandbox.tasks(project.repo)) == 1
    project.assert_each_task_once()


class Clock:
    """``Stop``'s clock, moved by the test: a grace runs out exactly when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class InterruptibleApply:
    """``apply_plan`` of the project's plan in a thread, on a ``Stop`` the test drives as the
    signal handlers would (``stop.handle(signum, None)``) and whose clock it moves."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.clock = Clock()
        self.stop = Stop(clock=self.clock)
        self.progress: list[str] = []
        self.reports: list[Report] = []
        self.errors: list[BaseException] = []
        self.client = open_client(project.sandbox.url, {"AGENTTASKS_TOKEN": TOKEN})
        self.thread = threading.Thread(target=self._apply, name="apply", daemon=True)

    def _apply(self) -> None:
        path = self.project.state_path
        ctx = Context(GlobalOptions(api_url=self.project.sandbox.url), {}, self.progress.append)
        try:
            with StateLock(path, command="apply") as lock:
                store = StateStore(lock)
                desired = load([self.project.root / "tasks.yaml"])
                work = Workspace(desired.files, path, desired, store.state)
                plan, _ = make_plan(ctx, work, Selection(), self.client)
                report = apply_plan(
                    plan,
                    client=self.client,
                    store=store,
                    progress=self.progress.append,
                    settings=ApplySettings(min_interval=0.0),
                    stop=self.stop,
                )
            self.reports.append(report)
        except BaseException as error:  # re-raised in the test's thread by ``report``
            self.errors.append(error)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.project.sandbox.posts():
            assert self.thread.is_alive(), (self.errors, self.progress)
            assert time.monotonic() < deadline, "the apply never sent its POST"
            time.sleep(0.02)

    def still_running(self) -> bool:
        self.thread.join(0.3)
        return self.thread.is_alive()

    def report(self) -> Report:
        self.thread.join(10)
        assert not self.thread.is_alive(), "the apply did not stop when its grace ran out"
        if self.errors:
            raise self.errors[0]
        return self.reports[0]

    def close(self, *, stop_the_sandbox: bool = False) -> None:
        """Close the client and see the abandoned POST's thread end: a POST the sandbox holds
        ends when the sandbox stops (the connection drops), a rate-limit wait when the client
        closes."""
        if stop_the_sandbox:
            self.project.sandbox.served.stop()
            self._join_the_posts()
            self.client.close()
        else:
            self.client.close()
            self._join_the_posts()

    @staticmethod
    def _join_the_posts() -> None:
        for thread in threading.enumerate():
            if thread.name.startswith("create-"):
                thread.join(10)
                assert not thread.is_alive(), f"{thread.name} never ended"


@pytest.mark.parametrize(
    ("second", "code", "grace"),
    [
        (None, 130, 5.0),  # SIGINT alone: the POST gets its 5 s, then the apply gives it up
        (signal.SIGINT, 143, 1.8),  # a second signal 0.3 s later: 1.5 s, and it counts as SIGTERM
        (signal.SIGTERM, 143, 1.8),
    ],
)
def test_sigint_gives_a_post_that_hangs_a_bounded_grace(
    project: Project, serve: Callable[..., Sandbox], second: int | None, code: int, grace: float
) -> None:
    project.sandbox = serve()  # its own: the test stops it to end the POST it abandons
    project.declare(prompts(2))
    project.sandbox.add_fault(f"{POSTS}:commit_then_hold:seconds=20,times=1")
    applying = InterruptibleApply(project)
    try:
        applying.start()
        began = applying.clock.now
        applying.stop.handle(signal.SIGINT, None)
        if second is not None:
            applying.clock.now += 0.3
            applying.stop.handle(second, None)
        applying.clock.now = began + grace - 0.01
        assert applying.still_running()  # the POST had its grace
        applying.clock.now = began + grace
        report = applying.report()  # and not a moment more
        posts = project.sandbox.posts()
    finally:
        applying.close(stop_the_sandbox=True)
    assert report.exit_code == code
    assert len(posts) == 1
    assert list(project.state()["intents"]) == ["t00"]
    closing = closing_line(report)
    assert "task.t00: unconfirmed: interrupted" in closing
    assert "task.t01: skipped: interrupted" in closing


@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_waiting_for_the_lock_exits_with_its_code(
    project: Project, sent: int, code: int
) -> None:
    project.declare(prompts(1))
    # Held long enough for the second process to start and find the lock taken, even on a
    # loaded machine (with 2 s a slow start sometimes found the lock already free).
    project.sandbox.add_fault(f"{POSTS}:commit_then_hold:seconds=4,times=1")
    first = project.popen("apply", "--yes")
    waiting: subprocess.Popen[str] | None = None
    try:
        _wait_for_posts(project, 1, first)
        waiting = project.popen("apply", "--yes", "--lock-timeout", "20")
        assert waiting.stderr is not None
        told = waiting.stderr.readline()  # printed once it starts waiting
        assert told.startswith("Waiting up to 20s for the lock"), told
        waiting.send_signal(sent)
        out, err = reap(waiting)
    finally:
        if waiting is not None and waiting.returncode is None:
            reap(waiting)  # a failed assertion above must not leak the process into later tests
        reap(first)
    assert waiting.returncode == code, out + err
    assert "interrupted before anything was applied; the state was not changed" in err
    assert "Traceback" not in err
    assert first.returncode == 0
    assert len(project.sandbox.posts()) == 1
    project.assert_each_task_once()
