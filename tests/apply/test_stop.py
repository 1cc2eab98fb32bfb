"""``apply.Stop``: what a signal leaves the POST in flight (DESIGN §5), on an injected clock."""

from __future__ import annotations

import signal

import pytest

from reconciler.apply.run import Stop
from reconciler.errors import ExitCode


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_before_any_signal_nothing_stops() -> None:
    stop = Stop(Clock())
    assert stop.code is None
    assert stop.left() == float("inf")
    assert not stop.event.is_set()


@pytest.mark.parametrize(
    ("signum", "code", "grace"),
    [(signal.SIGINT, ExitCode.SIGINT, 5.0), (signal.SIGTERM, ExitCode.SIGTERM, 1.5)],
)
def test_one_signal_gives_its_grace(signum: int, code: ExitCode, grace: float) -> None:
    clock = Clock()
    stop = Stop(clock)
    stop.handle(signum, None)
    assert stop.code == code
    assert stop.event.is_set()
    assert stop.left() == grace
    clock.now += grace
    assert stop.left() == 0


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM])
def test_a_second_signal_is_sigterm_with_at_most_1_5_s_left(second: int) -> None:
    clock = Clock()
    stop = Stop(clock)
    stop.handle(signal.SIGINT, None)
    clock.now += 1.0
    stop.handle(second, None)
    assert stop.code == ExitCode.SIGTERM
    assert stop.left() == 1.5


def test_a_late_second_signal_never_extends_the_grace() -> None:
    clock = Clock()
    stop = Stop(clock)
    stop.handle(signal.SIGTERM, None)
    clock.now += 1.0
    stop.handle(signal.SIGINT, None)
    assert stop.code == ExitCode.SIGTERM
    assert stop.left() == 0.5
