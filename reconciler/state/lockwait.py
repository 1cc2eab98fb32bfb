"""Waiting for a lock someone else holds, one rule for every backend: without ``--lock-timeout``
refuse at once naming the holder; with it, say once why nothing happens, poll, and refuse naming
the holder when the time is up. Pure: the clock and the sleep are handed in."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.errors import StateConflict


class LockWait:
    """One wait for one lock: ``held_by(who)`` each time the lock is found held."""

    def __init__(
        self,
        what: str,
        *,
        timeout: float | None,
        on_wait: Callable[[str], None] | None,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        poll: float,
    ) -> None:
        self._what, self._timeout, self._on_wait = what, timeout, on_wait
        self._clock, self._sleep, self._poll = clock, sleep, poll
        self._deadline = None if timeout is None else clock() + timeout
        self._told = False

    def held_by(self, who: str, *, where: str, then: str = "") -> None:
        """Refuse (``StateConflict``) or sleep a poll: ``who`` is the holder in parentheses,
        ``where`` the lock's location for the waiting line, ``then`` a way out to add."""
        if self._deadline is None:
            raise StateConflict(
                f"{self._what} is locked {who}; retry when it has finished,"
                f" or wait for it with --lock-timeout S{then}"
            )
        left = self._deadline - self._clock()
        if left <= 0:
            raise StateConflict(
                f"{self._what} is still locked after {self._timeout:g}s {who};"
                f" retry when it has finished{then}"
            )
        if self._on_wait is not None and not self._told:
            self._on_wait(f"Waiting up to {self._timeout:g}s for the lock on {where} {who}")
            self._told = True
        self._sleep(min(self._poll, left))
