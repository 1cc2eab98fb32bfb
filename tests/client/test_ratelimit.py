"""Pure pacing: GitHub's rate-limit answers, retry policies, and our own create limiter."""

from __future__ import annotations

import json
import random
from bisect import bisect_left

import pytest

from reconciler.errors import UsageError
from reconciler.github.endpoints import Response
from reconciler.github.pacing import (
    CreateLimiter,
    CreateRate,
    TransportFailure,
    idempotent,
    not_sent_only,
    rate_limit_wait,
)

DATE = "Thu, 01 Jan 2026 00:00:00 GMT"  # 1767225600
SECONDARY = json.dumps(
    {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}
).encode()


def test_retry_after_is_obeyed_on_403_and_429() -> None:
    for status in (403, 429):
        wait = rate_limit_wait(
            Response.of(status, {"Retry-After": "2"}, SECONDARY), repeats=0, local_now=0
        )
        assert wait is not None
        assert wait.seconds == 2


def test_primary_reset_is_measured_against_the_servers_date_not_the_local_clock() -> None:
    headers = {"Date": DATE, "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1767225630"}
    skewed_local_clock = 1767225600 + 120
    wait = rate_limit_wait(Response.of(403, headers), repeats=0, local_now=skewed_local_clock)
    assert wait is not None
    assert wait.seconds == 31  # 30 s to the reset, plus a second for its whole-second resolution


def test_secondary_limit_without_headers_waits_a_minute_then_longer() -> None:
    waits = [
        rate_limit_wait(Response.of(403, {}, SECONDARY), repeats=n, local_now=0) for n in range(3)
    ]
    assert [w.seconds for w in waits if w] == [60, 120, 240]


def test_a_plain_403_is_not_a_rate_limit() -> None:
    body = json.dumps({"message": "Resource not accessible by personal access token"}).encode()
    headers = {"x-ratelimit-remaining": "4999", "x-ratelimit-reset": "1767225630"}
    assert rate_limit_wait(Response.of(403, headers, body), repeats=0, local_now=0) is None
    assert rate_limit_wait(Response.of(404, {}, SECONDARY), repeats=0, local_now=0) is None


def test_gets_retry_transient_failures_a_bounded_number_of_times() -> None:
    policy = idempotent(retries=3, base=1.0, cap=30.0, rand=random.Random(1).random)
    for outcome in (Response.of(502, {}), TransportFailure(sent=True, detail="ReadError")):
        delays = [policy(outcome, n) for n in range(4)]
        assert [d is not None for d in delays] == [True, True, True, False]
        steps = [d.delay for d in delays if d]
        # Exponential with jitter: each delay lies in [step/2, step] for steps 1, 2, 4.
        assert all(s / 2 <= d <= s for d, s in zip(steps, (1, 2, 4), strict=True))
    assert policy(Response.of(404, {}), 0) is None
    assert policy(Response.of(501, {}), 0) is None


def test_posts_retry_only_what_the_server_never_saw() -> None:
    policy = not_sent_only(rand=lambda: 0.0)
    assert policy(TransportFailure(sent=False, detail="ConnectError"), 0) is not None
    assert policy(TransportFailure(sent=True, detail="RemoteProtocolError"), 0) is None
    assert policy(Response.of(502, {}), 0) is None


def test_create_rate_text() -> None:
    assert CreateRate.parse("80/min,500/h").windows == ((80, 60.0), (500, 3600.0))
    assert CreateRate.parse("off").windows == ()
    with pytest.raises(UsageError) as caught:
        CreateRate.parse("80 per minute")
    assert str(caught.value) == (
        "--max-create-rate '80 per minute': expected rates like 80/min,500/h (units s, min, h;"
        " counts of at least 1), or off."
    )


def _most_in_any_window(times: list[float], seconds: float) -> int:
    # Every window (t - seconds, t] ending on a create is the worst case.
    return max(i + 1 - bisect_left(times, t - seconds + 1e-9) for i, t in enumerate(times))


def test_600_creates_on_a_fake_clock_stay_within_80_a_minute_and_500_an_hour() -> None:
    limiter = CreateLimiter(CreateRate.parse("80/min,500/h"))
    now, times = 0.0, []
    for _ in range(600):
        while (delay := limiter.delay(now)) > 0:
            now += delay
        limiter.record(now)
        times.append(now)
        now += 0.1  # each create takes a tenth of a second
    assert _most_in_any_window(times, 60) == 80
    assert _most_in_any_window(times, 3600) == 500
    assert times[-1] >= 3600  # the 501st create had to wait for the hour


def test_off_never_waits() -> None:
    limiter = CreateLimiter(CreateRate.parse("off"))
    for _ in range(1000):
        assert limiter.delay(0.0) == 0
        limiter.record(0.0)
