"""GitHub's agent tasks API, and the git, contents and workflow-run routes the CI half needs, on
your machine: a pure handler over an in-memory store, plus adapters.

``Sandbox`` is the Python API (tests, ``demo``), ``open_sandbox_url`` serves ``sandbox:PATH``
in-process, and ``serve`` (``agenttasks sandbox serve``) serves it over HTTP. See docs/sandbox.md.
"""

from reconciler.sandbox.clock import ManualClock
from reconciler.sandbox.faults import FaultRule
from reconciler.sandbox.inprocess import Sandbox, TaskView
from reconciler.sandbox.observe import add_observer, remove_observer
from reconciler.sandbox.store import RecordedRequest
from reconciler.sandbox.url import open_sandbox_url

__all__ = [
    "FaultRule",
    "ManualClock",
    "RecordedRequest",
    "Sandbox",
    "TaskView",
    "add_observer",
    "open_sandbox_url",
    "remove_observer",
]
