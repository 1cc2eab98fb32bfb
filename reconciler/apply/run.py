"""Run a plan: the only code that creates tasks (DESIGN §5).

Never a duplicate, never a lost task: before each POST an intent is saved; the 201's record
replaces it in one save; an ambiguous failure leaves the intent for the end-of-run check and the
next plan. Creates are serial and paced. A signal stops new creates, gives the POST in flight a
short grace, saves, and returns the signal's exit code.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType

from reconciler import defaults, failpoints
from reconciler.apply import transitions
from reconciler.apply.recheck import confirm_unfinished
from reconciler.apply.report import MAX_DURATION, ApplyStatus, Report
from reconciler.errors import (
    AgentTasksError,
    AmbiguousCreate,
    CreateUnconfirmed,
    ExitCode,
    combine_exit_codes,
)
from reconciler.github.client import AgentTasksClient
from reconciler.models import RemoteTask
from reconciler.plan.model import Action, Kind, Plan
from reconciler.state.format import State
from reconciler.state.store import StateStore
from reconciler.wallclock import utc_now

# An intent saved with the previous record must see its POST leave within this (CI.md §2.1):
# well inside the settle window's 40 s margin, so the window still covers the answer.
FOLD_WITHIN = 10.0


class Stop:
    """Set by signal handlers: no new create starts; the POST in flight has until ``deadline``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.event = threading.Event()
        self.code: ExitCode | None = None
        self.deadline: float | None = None
        self._clock = clock

    def request(self, code: ExitCode, grace: float) -> None:
        """Stop with ``code``; a second request or SIGTERM shortens the grace and wins."""
        second = self.code is not None
        self.code = ExitCode.SIGTERM if second else combine_exit_codes(code, self.code or code)
        limit = self._clock() + (1.5 if second else grace)
        self.deadline = limit if self.deadline is None else min(self.deadline, limit)
        self.event.set()

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        """A ``signal.signal`` handler: SIGINT gives the POST 5 s, SIGTERM 1.5 s."""
        if signum == signal.SIGINT:
            self.request(ExitCode.SIGINT, 5.0)
        else:
            self.request(ExitCode.SIGTERM, 1.5)

    def install(self) -> None:
        """Handle SIGINT and SIGTERM (main thread only)."""
        signal.signal(signal.SIGINT, self.handle)
        signal.signal(signal.SIGTERM, self.handle)

    def left(self) -> float:
        """Seconds of grace left for the POST in flight (infinite before any signal)."""
        return float("inf") if self.deadline is None else self.deadline - self._clock()


@dataclass(frozen=True, kw_only=True)
class ApplySettings:
    """How an apply runs: the spacing of creates (DESIGN §5; ``--max-create-rate`` lives in the
    client), whether to stop at the first failure, and the POST timeout lost creates are dated by.
    """

    min_interval: float = defaults.MIN_INTERVAL
    fail_fast: bool = False
    post_timeout: float = defaults.POST_TIMEOUT
    # --max-duration: no create starts after this many seconds; the rest is the next apply's.
    max_duration: float | None = None


@dataclass
class _Run:
    client: AgentTasksClient
    store: StateStore
    progress: Callable[[str], None]
    settings: ApplySettings
    stop: Stop
    now: Callable[[], datetime]
    monotonic: Callable[[], float]
    state: State
    sleep: Callable[[float], None] | None = None
    report: Report = field(default_factory=Report)
    last_post: float | None = None
    intent_saved: str | None = None  # the key whose intent the last save already holds

    def wait(self, seconds: float) -> None:
        """Wait for pacing or the create rate: interruptibly on the clock, or the injected sleep."""
        if self.sleep is None:
            self.stop.event.wait(seconds)
        else:
            self.sleep(seconds)

    def save(self, state: State) -> None:
        # Every save says whose token it was (the user is cached: no request after the plan's).
        mine = state.model_copy(update={"user_id": self.client.user_id()})
        self.state = self.store.save(mine, self.client.server_now or self.now())


def _post(run: _Run, action: Action) -> RemoteTask | AgentTasksError | None:
    """The POST in a daemon thread, so a signal can abandon it; None when abandoned."""
    box: list[RemoteTask | AgentTasksError] = []

    def send() -> None:
        assert action.body is not None
        try:
            box.append(run.client.create_task(action.repo, action.body))
        except AgentTasksError as error:
            box.append(error)

    worker = threading.Thread(target=send, name=f"create-{action.key}", daemon=True)
    worker.start()
    while worker.is_alive() and run.stop.left() > 0:
        worker.join(min(0.05, max(run.stop.left(), 0.0)))
    return box[0] if box else None  # an answer that came as the grace ran out still counts


def _pace(run: _Run) -> None:
    if run.last_post is None:
        return
    wait = run.last_post + run.settings.min_interval - run.monotonic()
    if wait > 0:
        run.wait(wait)


def _ready_within(run: _Run, seconds: float) -> bool:
    """Whether the next POST may leave within ``seconds``: --min-interval and the create rate."""
    pace = 0.0 if run.last_post is None else run.last_post + run.settings.min_interval
    return max(0.0, pace - run.monotonic()) + run.client.create_delay() <= seconds


def _next_post_at(run: _Run) -> float:
    """When the next POST could leave, on the monotonic clock: after --min-interval and the
    create rate."""
    pace = 0.0 if run.last_post is None else run.last_post + run.settings.min_interval
    return max(run.monotonic(), pace) + run.client.create_delay()


def _leave(run: _Run, left: list[Action]) -> None:
    """Stop for --max-duration: nothing of ``left`` starts; a folded intent is withdrawn."""
    if run.intent_saved == left[0].key:
        run.save(transitions.without_intent(run.state, left[0].key))
    for action in left:
        run.report.add(action.key, ApplyStatus.SKIPPED, detail=MAX_DURATION)
    run.report.left = len(left)
    run.progress(f"--max-duration reached: {len(left)} left; the next apply goes on.")


def _stale(run: _Run, key: str) -> bool:
    """Whether the intent folded into the last save was dated more than ``FOLD_WITHIN`` ago on
    the server's clock (a slow save, a stall): its POST would leave outside what it promises."""
    intent, now = run.state.intents.get(key), run.client.server_now
    if intent is None or intent.server_time is None or now is None:
        return intent is None
    return (now - intent.server_time).total_seconds() > FOLD_WITHIN


def _create(run: _Run, action: Action, following: Action | None) -> None:
    folded = run.intent_saved == action.key
    _pace(run)
    # Wait for --max-create-rate here, interruptibly, so the intent is dated when the POST leaves.
    while not run.stop.event.is_set() and (delay := run.client.create_delay()) > 0:
        run.wait(delay)
    if run.stop.event.is_set():
        if folded:  # its intent went out with the last record, but its POST never will
            run.save(transitions.without_intent(run.state, action.key))
        run.report.add(action.key, ApplyStatus.SKIPPED, detail="interrupted")
        return
    run.progress(f"task.{action.key}: Creating...")
    if folded and _stale(run, action.key):
        folded = False  # a stall since its fold: saved again, dated now, before the POST
    if not folded:
        # Dated now, on the server's clock: after any wait (pace, create rate, the prompt).
        server_time = run.client.server_now
        run.save(
            transitions.with_intent(
                run.state, action, server_time=server_time, started_at=run.now()
            )
        )
    failpoints.hit(failpoints.AFTER_INTENT_SAVED)
    started = run.last_post = run.monotonic()
    result = _post(run, action)
    failpoints.hit(failpoints.AFTER_POST_SENT)
    if isinstance(result, RemoteTask):
        _created(run, action, result, following)
        took = max(1, round(run.monotonic() - started))
        run.progress(f"task.{action.key}: Creation complete after {took}s [id={result.id}]")
        run.report.add(action.key, ApplyStatus.CREATED, result.id)
        if action.kind in (Kind.REPLACE, Kind.RERUN):  # the plan counts one forget for these
            run.report.add(action.key, ApplyStatus.FORGOTTEN, action.old_task_id)
    elif result is None or isinstance(result, AmbiguousCreate):
        if isinstance(result, CreateUnconfirmed) and result.server_time is not None:
            run.save(transitions.redate_intent(run.state, action.key, result.server_time))
        why = "interrupted" if result is None else str(result)
        run.progress(f"task.{action.key}: Create unconfirmed ({why}); it will not be sent again")
        run.report.add(action.key, ApplyStatus.UNCONFIRMED, detail=why)
    else:
        # Any other answer means the server did not create it: the intent is withdrawn.
        run.save(transitions.without_intent(run.state, action.key))
        run.progress(f"task.{action.key}: Creation failed: {result}")
        run.report.add(action.key, ApplyStatus.FAILED, detail=str(result))


def _created(run: _Run, action: Action, task: RemoteTask, following: Action | None) -> None:
    """Record the task. When the next create's POST can leave within ``FOLD_WITHIN``, its intent
    goes in the same save (CI.md §2.1: one commit for "record of k + intent of k+1" on a branch);
    an intent is still always saved before its POST, dated by the server's clock."""
    now = run.client.server_now or run.now()
    new_state = transitions.with_created(run.state, action, task, now=now)
    run.intent_saved = None
    if following is not None and not run.stop.event.is_set() and _ready_within(run, FOLD_WITHIN):
        new_state = transitions.with_intent(
            new_state, following, server_time=run.client.server_now, started_at=run.now()
        )
        run.intent_saved = following.key
    failpoints.hit(failpoints.AFTER_201_BEFORE_SAVE)
    run.save(new_state)


def _settle(run: _Run, plan: Plan) -> None:
    now = run.client.server_now or run.now()
    settled = transitions.settle(
        transitions.drop_intents(run.state, plan.dropped_intents), plan.actions, now=now
    )
    for action in plan.actions:
        if action.kind == Kind.IMPORT and action.task is not None:
            run.progress(f"task.{action.key}: Importing... [id={action.task.id}]")
            run.report.add(action.key, ApplyStatus.IMPORTED, action.task.id)
        if action.kind == Kind.FORGET or action.forget_after_import:
            run.progress(f"task.{action.key}: Forgetting... (state only)")
            run.report.add(action.key, ApplyStatus.FORGOTTEN, action.old_task_id)
    if settled != run.state:
        run.save(settled)


def apply_plan(
    plan: Plan,
    *,
    client: AgentTasksClient,
    store: StateStore,
    progress: Callable[[str], None],
    settings: ApplySettings = ApplySettings(),
    stop: Stop | None = None,
    now: Callable[[], datetime] = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] | None = None,
) -> Report:
    """Apply ``plan``'s actions through ``client``, saving each step to ``store``."""
    applying = _Run(
        client, store, progress, settings, stop or Stop(), now, monotonic, store.state, sleep
    )
    sent = client.server_now or now()
    client.count_earlier_creates((sent - t).total_seconds() for t in store.state.recent_creates)
    _settle(applying, plan)
    creates = [action for action in plan.actions if action.creates]
    deadline = None if settings.max_duration is None else monotonic() + settings.max_duration
    for at, action in enumerate(creates):
        following = creates[at + 1] if at + 1 < len(creates) else None
        if deadline is not None and _next_post_at(applying) > deadline:
            _leave(applying, creates[at:])
            break
        if settings.fail_fast and applying.report.count(ApplyStatus.FAILED):
            applying.report.add(action.key, ApplyStatus.SKIPPED, detail="--fail-fast")
            continue
        _create(applying, action, following)
    for key in plan.unresolved:  # an earlier run's lost answer, still in its window: exit 4
        if key in applying.state.intents:
            detail = "an earlier create's answer was lost"
            applying.report.add(key, ApplyStatus.UNCONFIRMED, detail=detail)
    if applying.stop.code is None:
        confirm_unfinished(applying.report.outcomes, applying.state, client, settings.post_timeout)
    applying.report.interrupted = applying.stop.code  # a signal during that check counts too
    return applying.report
