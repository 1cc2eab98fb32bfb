"""What ``plan`` asks the API while it parses the tasks files (docs/benchmarks.md).

Parsing a large tasks file is most of a plan's own work, and the API's answers most of its
waiting; neither needs the other to begin. The state names the repositories it tracks, so the
state is read and the client opened first, then one thread asks whose the token is and lists
those repositories (``plan.refresh.early_queries``: with a ``since`` no declared key can lower)
while the main thread parses the files. The plan then asks only what those answers do not
cover, and no listing twice; the early ones may reach further back than the plan needs (the
adopt window: docs/state.md). (Reading the state and opening the client are work, not
waiting: on the thread they only slowed the parse down.)

What the user sees is the same too, in the same order. A refusal of the tasks files comes first
(anything printed before is then dropped: it would never have run), then the state's, then the
selection's (``make_plan``), then the API's: each error met early is raised where the plan
would have met it, and each warning waits until then. A refusal does not wait for a request
still in flight (nor does the process's exit: ``cli.main``).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from reconciler.commands.context import (
    Context,
    Workspace,
    open_api,
    opened_state,
    server_now,
)

if TYPE_CHECKING:
    from reconciler.github.client import AgentTasksClient
    from reconciler.models import Desired
    from reconciler.plan.planner import Options
    from reconciler.plan.refresh import Early
    from reconciler.state.format import State

_STATE, _API = "state", "api"  # the steps, in the order the plan meets them
# While the files parse, the listing threads mostly wait on sockets; at CPython's 5 ms switch
# interval each answer then waits for the parse to give up the GIL, and the listings end well
# after the parse does. At 0.5 ms they end with it (0.03 s of a 2,000-task plan: bench/plan.py).
_SWITCH_INTERVAL = 0.0005


@dataclass
class _Held:
    """Lines for stderr, each with the step that printed it, until the plan gets there."""

    err: Callable[[str], None]
    step: str = _STATE
    lines: list[tuple[str, str]] = field(default_factory=list)
    passing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, line: str) -> None:
        with self.lock:
            if not self.passing:
                self.lines.append((self.step, line))
                return
        self.err(line)

    def release(self, step: str) -> None:
        """Print what ``step`` printed; after the last step, print every line at once."""
        with self.lock:
            shown = [line for at, line in self.lines if at == step]
            self.lines = [(at, line) for at, line in self.lines if at != step]
            self.passing = step == _API
        for line in shown:
            self.err(line)


class Prefetch:
    """The state, the client and the early listings, read before and while the files parse.

    A context manager around the parse; ``workspace`` then ``api`` collect what was read, each
    raising its step's error. Leaving the block closes the client (which ends the thread's
    requests and waits at once) and waits for the thread, unless it is left by Ctrl-C.
    """

    def __init__(
        self,
        ctx: Context,
        files: Sequence[Path],
        state_option: Path | str | None,
        options: Options,
    ) -> None:
        self._held = _Held(ctx.err)
        self._ctx = replace(ctx, err=self._held)
        self._files, self._state_option, self._options = files, state_option, options
        self._client: AgentTasksClient | None = None
        self._stored: tuple[State, Path | str] | None = None
        self._early: dict[str, Early] = {}
        self._failed: tuple[str, Exception] | None = None
        self._interval = sys.getswitchinterval()
        self._thread = threading.Thread(target=self._list, name="agenttasks-early", daemon=True)

    def __enter__(self) -> Prefetch:
        from reconciler.state.format import State

        try:
            with opened_state(self._ctx, self._files, self._state_option) as backend:
                self._stored = (backend.read().state or State(), backend.location)
            self._held.step = _API
            self._client = open_api(self._ctx)
        except Exception as error:  # raised at its step, after the files' refusals
            self._failed = (self._held.step, error)
            return self
        self._thread.start()
        sys.setswitchinterval(_SWITCH_INTERVAL)  # restored when the plan reaches the API's step
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if self._client is not None:
                self._client.close()  # ends the thread's waits at once, not a read in flight
            if kind is None and self._thread.is_alive():
                self._thread.join()
            # Left by a refusal or Ctrl-C, the thread is not waited for: a request of it may be
            # waiting for an answer (up to the read timeout), and the refusal is said now.
        finally:
            sys.setswitchinterval(self._interval)

    def _list(self) -> None:
        from reconciler.plan.refresh import early_listings, early_queries

        assert self._client is not None
        assert self._stored is not None
        client, (state, _) = self._client, self._stored
        try:
            user = client.user_id()
            asked = early_queries(state, user, server_now(client, self._ctx), self._options)
            self._early = early_listings(client, asked)
        except Exception as error:  # raised in the main thread, where the plan would meet it
            self._failed = (_API, error)

    def _reach(self, step: str) -> None:
        if step == _API:  # the state was read before the thread started: no wait for it
            if self._thread.is_alive():
                self._thread.join()
            sys.setswitchinterval(self._interval)
        self._held.release(step)
        if self._failed is not None and self._failed[0] == step:
            raise self._failed[1]

    def workspace(self, desired: Desired) -> Workspace:
        """The parsed files' workspace with the state read, or the state's error."""
        self._reach(_STATE)
        assert self._stored is not None
        state, location = self._stored
        return Workspace(desired.files, location, desired, state)

    def api(self) -> tuple[AgentTasksClient, dict[str, Early]]:
        """The client (its token's user known) and the early listings, or the API's error."""
        self._reach(_API)
        assert self._client is not None
        return self._client, self._early
