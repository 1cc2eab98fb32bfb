"""Fixtures for the client tests: an in-process sandbox, a fake clock, and clients built on them."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from reconciler.github.auth import Token
from reconciler.github.client import AgentTasksClient
from reconciler.github.session import ClientSettings, Hooks
from reconciler.sandbox import ManualClock, Sandbox

# Recognisable, so a test can grep everything captured for it.
TOKEN = "ghp_RECOGNISABLEsecretTOKENvalue0123456789"
START = datetime(2026, 1, 1, tzinfo=UTC)
BASE = "https://api.github.com"


class FakeTime:
    """The client's wall clock and sleep. Sleeping moves the sandbox's clock too, so a wait for a
    rate-limit reset really outlasts it; ``skew`` puts the local clock off the server's."""

    def __init__(self, sandbox_clock: ManualClock, skew: float = 0.0) -> None:
        self.sandbox_clock = sandbox_clock
        self.now = START.timestamp() + skew
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.sandbox_clock.advance(seconds)


class Captured:
    """Everything the client said: log lines and warnings."""

    def __init__(self) -> None:
        self.logs: list[str] = []
        self.warnings: list[str] = []


@pytest.fixture
def sandbox_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sb(sandbox_clock: ManualClock) -> Sandbox:
    return Sandbox(token=TOKEN, clock=sandbox_clock)


@pytest.fixture
def fake_time(sandbox_clock: ManualClock) -> FakeTime:
    return FakeTime(sandbox_clock)


@pytest.fixture
def captured() -> Captured:
    return Captured()


MakeClient = Callable[..., AgentTasksClient]


@pytest.fixture
def make_client(sb: Sandbox, fake_time: FakeTime, captured: Captured) -> Iterator[MakeClient]:
    """``make_client(transport=, token=, base_url=, time=, **settings)``: a client on the fake
    clock (or ``time``), talking to the sandbox unless another transport is given; closed after
    the test."""
    made: list[AgentTasksClient] = []

    def make(
        *,
        transport: httpx.BaseTransport | None = None,
        token: str = TOKEN,
        base_url: str = BASE,
        time: FakeTime | None = None,
        **settings: Any,
    ) -> AgentTasksClient:
        clock = time or fake_time
        hooks = Hooks(
            clock=clock.clock,
            monotonic=clock.clock,  # the create-rate windows: sleeping moves them on
            sleep=clock.sleep,
            rand=random.Random(7).random,
            log=captured.logs.append,
            warn=captured.warnings.append,
        )
        client = AgentTasksClient(
            base_url,
            Token(token, "AGENTTASKS_TOKEN"),
            transport=transport or sb.transport(),
            settings=ClientSettings(**settings),
            hooks=hooks,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
