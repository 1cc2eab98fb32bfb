"""The sandbox's one error: bad input from whoever opens it (a ``sandbox:`` URL, a ``serve``
option, a data file). The sandbox imports nothing of the client it tests, so the caller words
this as its own error (``commands/context.py``, ``cli/sandbox.py``)."""

from __future__ import annotations


class SandboxInputError(ValueError):
    """The message names the input and says what is wrong with it."""
