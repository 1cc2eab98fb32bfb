"""Pacing, pure: when to try a request again, how long GitHub tells us to wait, and how fast we let
ourselves create. The current time always comes in as an argument.

Retry policies are small callables in the manner of githubkit's ``retry.py``:
``(outcome, attempt) -> Retry | None``, where ``outcome`` is the answer or transport failure just
met and ``attempt`` how many times this policy already said retry; ``None`` means give up.
Rate-limit waits are separate: they are bounded by ``--max-wait``, not by a count.

GitHub's rules (DESIGN §7, api/README §4): a 403 or 429 with ``retry-after`` means wait that
long; with ``x-ratelimit-remaining: 0`` wait until ``x-ratelimit-reset``, measured against the
answer's ``Date`` (the server's clock, not ours); a "secondary rate limit" message (or a bare 429)
means at least 60 s, doubling on every repeat.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.errors import UsageError
from reconciler.github.endpoints import Response, http_date, parse_error, server_time

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class TransportFailure:
    """No HTTP answer. ``sent`` is False only when the server certainly never saw the request
    (connection refused, connect timeout); otherwise it may have acted on it."""

    sent: bool
    detail: str


Answer = Response | TransportFailure


@dataclass(frozen=True)
class Retry:
    """Try again after ``delay`` seconds; ``reason`` goes to the log."""

    delay: float
    reason: str


RetryRule = Callable[[Answer, int], Retry | None]


def backoff(attempt: int, *, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Exponential backoff with "equal jitter": half the step fixed, half random."""
    step = min(cap, base * 2.0**attempt)
    return step / 2 + step / 2 * rand()


def describe_answer(outcome: Answer) -> str:
    """A short reason: ``502`` or the transport failure's text."""
    if isinstance(outcome, TransportFailure):
        return outcome.detail
    return str(outcome.status)


def idempotent(
    *, retries: int = 4, base: float = 1.0, cap: float = 30.0, rand: Callable[[], float]
) -> RetryRule:
    """For GETs: any transport failure or a 500/502/503/504, up to ``retries`` times."""

    def policy(outcome: Answer, attempt: int) -> Retry | None:
        transient = isinstance(outcome, TransportFailure) or outcome.status in TRANSIENT_STATUSES
        if not transient or attempt >= retries:
            return None
        delay = backoff(attempt, base=base, cap=cap, rand=rand)
        return Retry(delay, describe_answer(outcome))

    return policy


def not_sent_only(
    *, retries: int = 4, base: float = 1.0, cap: float = 30.0, rand: Callable[[], float]
) -> RetryRule:
    """For POSTs: only a request the server certainly never saw. A 5xx or a failure after
    sending may have created the task, so it is never retried."""

    def policy(outcome: Answer, attempt: int) -> Retry | None:
        if not isinstance(outcome, TransportFailure) or outcome.sent or attempt >= retries:
            return None
        return Retry(backoff(attempt, base=base, cap=cap, rand=rand), outcome.detail)

    return policy


SECONDARY_MIN_WAIT = 60.0
# x-ratelimit-reset has whole-second resolution; waking a second late beats a second 403.
_RESET_MARGIN = 1.0
# "retry-after: 0" from a server still limiting us would otherwise be a busy loop.
_MIN_WAIT = 1.0
# A longer wait is honoured as this long (far past any --max-wait): a clock cannot hold
# "now + 10**400 seconds", and a float cannot hold the difference of such integers.
MAX_HONOURED_WAIT = 365 * 86400.0


@dataclass(frozen=True)
class RateLimit:
    """The ``x-ratelimit-*`` headers of one answer."""

    limit: int | None
    remaining: int | None
    reset: int | None
    resource: str | None

    @classmethod
    def read(cls, response: Response) -> RateLimit | None:
        """The headers' values, or None when the answer carries none."""
        values = [response.header(f"x-ratelimit-{n}") for n in ("limit", "remaining", "reset")]
        if not any(values):
            return None
        limit, remaining, reset = (_int(v) for v in values)
        return cls(limit, remaining, reset, response.header("x-ratelimit-resource"))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Wait:
    """A rate-limit answer: how long to wait and why (for the log and for messages)."""

    seconds: float
    reason: str


def rate_limit_wait(response: Response, *, repeats: int, local_now: float) -> Wait | None:
    """The wait a 403/429 asks for, or None when it is not a rate limit.

    ``repeats`` counts the rate-limit answers already met for this request; ``local_now`` is only
    used when the answer has no ``Date`` to measure ``x-ratelimit-reset`` against.
    """
    if response.status not in (403, 429):
        return None
    after = _retry_after(response)
    if after is not None:
        after = min(after, MAX_HONOURED_WAIT)
        return Wait(after, f"{response.status} with retry-after {after:g}s")
    limits = RateLimit.read(response)
    if limits and limits.remaining == 0 and limits.reset is not None:
        date = server_time(response)
        now = date.timestamp() if date else local_now
        reset = min(limits.reset, int(now + MAX_HONOURED_WAIT))
        seconds = max(0.0, reset - now) + _RESET_MARGIN
        return Wait(seconds, f"rate limit exhausted, resets in {seconds:.0f}s (server time)")
    message = (parse_error(response.body).message or "").lower()
    if "secondary rate limit" in message or response.status == 429:
        seconds = min(SECONDARY_MIN_WAIT * 2.0 ** min(repeats, 64), MAX_HONOURED_WAIT)
        return Wait(seconds, f"secondary rate limit, waiting {seconds:.0f}s")
    return None


def _retry_after(response: Response) -> float | None:
    value = (response.header("retry-after") or "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():  # "²".isdigit(), and float("²") fails
        return max(_MIN_WAIT, float(value))
    moment, date = http_date(value), server_time(response)
    if moment and date:
        return max(_MIN_WAIT, (moment - date).total_seconds())
    return None


_UNITS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hour": 3600.0}
_RATE = re.compile(r"\s*(\d+)\s*/\s*([a-z]+)\s*")


@dataclass(frozen=True)
class CreateRate:
    """At most ``count`` creates in any ``seconds``-long window, for every window; () is off."""

    windows: tuple[tuple[int, float], ...]

    @classmethod
    def parse(cls, text: str) -> CreateRate:
        """``80/min,500/h`` (also ``/s``, ``/hour``), or ``off``."""
        if text.strip().lower() == "off":
            return cls(())
        windows = []
        for part in text.lower().split(","):
            match = _RATE.fullmatch(part)
            if not match or match.group(2) not in _UNITS or int(match.group(1)) < 1:
                raise UsageError(
                    f"--max-create-rate {text!r}: expected rates like 80/min,500/h"
                    " (units s, min, h; counts of at least 1), or off."
                )
            windows.append((int(match.group(1)), _UNITS[match.group(2)]))
        return cls(tuple(sorted(windows, key=lambda w: w[1])))


class CreateLimiter:
    """Sliding windows over the times of past creates; ask ``delay(now)``, then ``record(now)``.

    A create at ``t`` counts in a window while ``t > now - seconds``, so no window of that length
    ever holds more than its count.
    """

    def __init__(self, rate: CreateRate) -> None:
        self.rate = rate
        longest = max((w for _, w in rate.windows), default=0.0)
        self._longest = longest
        self._times: deque[float] = deque()

    def delay(self, now: float) -> float:
        """Seconds to wait before the next create may start (0 when it may start now)."""
        while self._times and self._times[0] <= now - self._longest:
            self._times.popleft()
        times = list(self._times)
        wait = 0.0
        for count, seconds in self.rate.windows:
            inside = len(times) - bisect_right(times, now - seconds)
            if inside >= count:
                wait = max(wait, times[len(times) - count] + seconds - now)
        return wait

    def record(self, now: float) -> None:
        """Count a create started at ``now``."""
        if self.rate.windows:
            self._times.append(now)


def create_schedule(
    count: int, rate: CreateRate, *, min_interval: float, earlier: tuple[float, ...] = ()
) -> float:
    """Seconds from now until the last of ``count`` creates can leave, under ``rate`` and
    ``min_interval``, after creates sent ``earlier`` seconds ago: the apply's own limiter, run
    ahead of time (plan's duration estimate). Only the waits; the requests themselves add to it."""
    limiter = CreateLimiter(rate)
    for age in sorted(earlier, reverse=True):
        limiter.record(-max(0.0, age))
    now, last = 0.0, None
    for _ in range(count):
        if last is not None:
            now = max(now, last + min_interval)
        now += limiter.delay(now)
        limiter.record(now)
        last = now
    return now
