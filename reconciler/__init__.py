"""agenttasks: GitHub Copilot cloud-agent tasks as code."""

import sys

__version__ = "0.1.0"

# httpx imports its own command-line client (click, rich, pygments) whenever those are installed,
# and rich is ours: 40 ms on every command that talks to the API, for a client we never run. With
# this entry that import fails and httpx keeps its stub ``main``. Set only if httpx was not
# imported first. Measured by bench/startup.py; guarded by tests/test_architecture.py.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
