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
    lines: list[tuple[str, str]] = field(default_factory=list)
    passing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sink(self, step: str) -> Callable[[str], None]:
        """Where ``step`` prints."""

        def say(line: str) -> None:
            with self.lock:
                if not self.passing:
                    self.lines.append((step, line))
                    return
            self.err(line)

        return say

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
    waits at once); the thread is waited for only when the block ends normally.
    """

    def __init__(
        self,
        ctx: Context,
        files: Sequence[Path],
        state_option: Path | str | None,
        options: Options,
    ) -> None:
        held = _Held(ctx.err)
        self._held, self._options = held, options
        self._reading = replace(ctx, err=held.sink(_STATE))
        self._asking = replace(ctx, err=held.sink(_API))
        self._files, self._state_option = files, state_option
        self._client: AgentTasksClient | None = None
        self._stored: tuple[State, Path | str] | None = None
        self._state_read = threading.Event()  # set when the state was read, or could not be
        self._early: dict[str, Early] = {}
        self._failed: dict[str, Exception] = {}
        self._interval = sys.getswitchinterval()
        self._thread = threading.Thread(target=self._list, name="agenttasks-early", daemon=True)

    def __enter__(self) -> Prefetch:
        from reconciler.state.format import State

        try:
            # The client first: its `GET /user` is then on its way while the state is read.
            try:
                self._client = open_api(self._asking)
            except Exception as error:  # raised at its step, after the files' and the state's
                self._failed[_API] = error
            else:
                self._thread.start()
                sys.setswitchinterval(_SWITCH_INTERVAL)  # restored at the API's step
            try:
                with opened_state(self._reading, self._files, self._state_option) as backend:
                    self._stored = (backend.read().state or State(), backend.location)
            except Exception as error:  # raised at its step, after the files' refusals
                self._failed[_STATE] = error
            finally:
                self._state_read.set()
        except BaseException as stop:  # Ctrl-C while the state is read
            self.__exit__(type(stop), stop, stop.__traceback__)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            self._state_read.set()
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

        client = self._client
        assert client is not None
        try:
            user = client.user_id()
            self._state_read.wait()
            if self._stored is None:
                return  # the state could not be read: the plan stops there
            state = self._stored[0]
            asked = early_queries(state, user, server_now(client, self._asking), self._options)
            self._early = early_listings(client, asked)
        except Exception as error:  # raised in the main thread, where the plan would meet it
            self._failed[_API] = error

    def _reach(self, step: str) -> None:
        if step == _API:  # the state was read in the main thread: no wait for it
            if self._thread.is_alive():
                self._thread.join()
            sys.setswitchinterval(self._interval)
        self._held.release(step)
        if step in self._failed:
            raise self._failed[step]

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
