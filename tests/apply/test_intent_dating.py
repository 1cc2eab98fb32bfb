"""Intents are dated when the POST really leaves: after the create-rate wait, and moved later
when a rate-limited POST was retried (its settle window runs from then)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.apply.transitions import redate_intent, with_intent
from reconciler.github.auth import Token
from reconciler.github.client import AgentTasksClient
from reconciler.github.session import ClientSettings, Hooks
from reconciler.plan.model import Action, Kind
from reconciler.sandbox import Sandbox
from reconciler.state.format import State
from tests.planner.builders import declared

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _intent_state(server_time: datetime) -> State:
    spec = declared("k")
    action = Action("k", Kind.CREATE, spec.repo, body=spec.body, digest=spec.digest)
    return with_intent(State(), action, server_time=server_time, started_at=server_time)


def test_redate_moves_an_intent_later_never_earlier() -> None:
    state = _intent_state(T0)
    later = redate_intent(state, "k", T0 + timedelta(seconds=90))
    assert later.intents["k"].server_time == T0 + timedelta(seconds=90)
    assert redate_intent(later, "k", T0).intents["k"].server_time == T0 + timedelta(seconds=90)
    assert redate_intent(state, "missing", T0) == state


def test_create_delay_reports_the_rate_wait_without_waiting() -> None:
    now = [1000.0]
    client = AgentTasksClient(
        "https://api.github.com",
        Token("t", "a test"),
        transport=Sandbox().transport(),
        settings=ClientSettings(create_rate="2/min"),
        hooks=Hooks(clock=lambda: now[0], monotonic=lambda: now[0], sleep=lambda s: None),
    )
    with client:
        assert client.create_delay() == 0
        client.create_task("octo/web", declared("a").body)
        client.create_task("octo/web", declared("b").body)
        assert 59 <= client.create_delay() <= 60
        now[0] += 60
        assert client.create_delay() == 0
