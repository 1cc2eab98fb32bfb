"""Test-only crash points (DESIGN §9): kill the process at a named instant of a save or an apply.

Crash tests run agenttasks in a subprocess with ``AGENTTASKS_FAILPOINT`` naming one point; when
the process reaches it, it flushes stdout and stderr and sends itself SIGKILL, which no handler,
``finally`` or ``atexit`` can soften: exactly what ``kill -9`` does. With the variable unset (or
naming another point) ``hit`` does nothing. The points are listed in ``docs/state.md``.

This is the one documented exception to "only ``cli/main.py`` reads the environment": threading a
test hook through every call would put it in every signature.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

ENV = "AGENTTASKS_FAILPOINT"

AFTER_INTENT_SAVED = "after-intent-saved"
"""apply: the intent is on disk, the POST not yet sent."""
AFTER_POST_SENT = "after-post-sent"
"""apply: the POST's answer has arrived and nothing was done with it yet. For the state this is
the instant "the server may have acted, the record is not saved": the intent alone is on disk."""
AFTER_201_BEFORE_SAVE = "after-201-before-save"
"""apply: the 201 arrived, the record replacing the intent not yet saved."""
BETWEEN_TEMP_AND_RENAME = "between-temp-and-rename"
"""state: the new state's temp file is written and fsynced, ``os.replace`` not yet called."""

POINTS = frozenset(
    {AFTER_INTENT_SAVED, AFTER_POST_SENT, AFTER_201_BEFORE_SAVE, BETWEEN_TEMP_AND_RENAME}
)


_ACTIONS: dict[str, Callable[[], None]] = {}


@contextmanager
def acting(name: str, action: Callable[[], None]) -> Iterator[None]:
    """In-process tests: run ``action`` each time ``name`` is reached inside the block (a stall,
    a clock moved), where a subprocess test would be killed there."""
    if name not in POINTS:
        raise ValueError(f"unknown failpoint {name!r}; known: {', '.join(sorted(POINTS))}")
    _ACTIONS[name] = action
    try:
        yield
    finally:
        del _ACTIONS[name]


def hit(name: str) -> None:
    """Die here with SIGKILL when ``AGENTTASKS_FAILPOINT`` names this point; otherwise nothing
    (but the action a test set with ``acting``)."""
    if name not in POINTS:
        raise ValueError(f"unknown failpoint {name!r}; known: {', '.join(sorted(POINTS))}")
    action = _ACTIONS.get(name)
    if action is not None:
        action()
    if os.environ.get(ENV) != name:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)
