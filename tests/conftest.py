"""Fixtures shared by every test: GitHub's OpenAPI description watches every sandbox response."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from reconciler.sandbox import add_observer, remove_observer
from reconciler.sandbox.wire import Request, Response
from tests.sandbox.openapi import ConformanceError, check

# In CI (.ci/run sets CI=true) Hypothesis draws the same examples on every run, so a submission's
# result never depends on luck; elsewhere it explores afresh each time (and keeps what failed).
if os.environ.get("CI"):
    settings.register_profile("ci", derandomize=True, database=None)
    settings.load_profile("ci")

SOAK_ROUNDS = "AGENTTASKS_SOAK_ROUNDS"
"""How many rounds each ``soak`` test runs: a few by default (scripts/check), more in .ci/run's
soak step (``AGENTTASKS_SOAK_ROUNDS=25 pytest -m soak``)."""


@pytest.fixture
def soak_rounds() -> int:
    """The rounds a ``@pytest.mark.soak`` test repeats its randomised scenario for."""
    rounds = int(os.environ.get(SOAK_ROUNDS, "3"))
    assert rounds >= 1, f"{SOAK_ROUNDS} must be at least 1"
    return rounds


LONG_PROFILE = 10
"""From this many rounds on, full-size ``soak`` variants run too (a smaller variant of the same
test runs in the short profile): ``full_size_only``."""


def full_size_only(rounds: int) -> None:
    """Skip a full-size variant in the short profile (scripts/check); .ci/run's soak step runs
    it."""
    if rounds < LONG_PROFILE:
        pytest.skip(f"full size in the soak step ({SOAK_ROUNDS} >= {LONG_PROFILE})")


@pytest.fixture(scope="session", autouse=True)
def _sandbox_conformance() -> Iterator[list[str]]:
    """Validate every response any in-process sandbox sends; any mismatch fails the run.

    The observer raises inside the transport (the request's test fails there) and also keeps
    the message, so a test that swallowed the error still fails the session at teardown.
    """
    failures: list[str] = []

    def observe(request: Request, response: Response) -> None:
        try:
            check(request, response)
        except ConformanceError as problem:
            failures.append(str(problem))
            raise

    add_observer(observe)
    yield failures
    remove_observer(observe)
    assert not failures, "sandbox responses broke the OpenAPI description:\n" + "\n".join(failures)
