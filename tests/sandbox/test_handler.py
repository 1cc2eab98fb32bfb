"""The pure ``handle`` function, called directly with plain values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from reconciler.sandbox.handler import handle
from reconciler.sandbox.store import MAX_RECORDED, Config, Store
from reconciler.sandbox.wire import Effect, Request

NOW = datetime(2026, 3, 1, tzinfo=UTC)
AUTH = (("authorization", "Bearer t"),)


def test_control_routes_answer_only_trusted_peers() -> None:
    store = Store()
    body = b'{"repo": "octo/web", "prompt": "p"}'
    outsider = handle(store, Request("POST", "/_sandbox/tasks", body=body, control=False), NOW)
    assert outsider.status == 404
    assert store.tasks == {}
    insider = handle(store, Request("POST", "/_sandbox/tasks", body=body, control=True), NOW)
    assert insider.status == 201
    assert list(store.tasks) == [json.loads(insider.body)["id"]]


def test_control_requests_are_not_recorded() -> None:
    store = Store()
    handle(store, Request("GET", "/_sandbox/requests", control=True), NOW)
    handle(store, Request("GET", "/user", headers=AUTH), NOW)
    assert [r.path for r in store.requests] == ["/user"]


def test_the_hourly_quota_runs_out_then_resets() -> None:
    store = Store()
    for _ in range(5000):
        assert handle(store, Request("GET", "/user", headers=AUTH), NOW).status == 200
    exhausted = handle(store, Request("GET", "/user", headers=AUTH), NOW)
    assert exhausted.status == 403
    assert exhausted.header("x-ratelimit-remaining") == "0"
    assert exhausted.json() == {
        "message": "API rate limit exceeded for user ID 1.",
        "documentation_url": "https://docs.github.com/rest/agent-tasks/agent-tasks",
    }
    assert exhausted.header("x-ratelimit-reset") == str(int((NOW + timedelta(hours=1)).timestamp()))
    later = handle(store, Request("GET", "/user", headers=AUTH), NOW + timedelta(hours=1))
    assert later.status == 200
    assert later.header("x-ratelimit-used") == "1"


def test_anonymous_mode_needs_no_token() -> None:
    store = Store(config=Config(anonymous=True, user_id=3))
    user = handle(store, Request("GET", "/user"), NOW).json()
    assert isinstance(user, dict)
    assert (user["login"], user["id"], user["type"]) == ("sandbox-user-3", 3, "User")


def test_faults_become_effects_for_the_adapter() -> None:
    store = Store()
    body = b'{"prompt": "p"}'
    handle(
        store,
        Request(
            "POST",
            "/_sandbox/faults",
            body=b'{"rule": "POST:*:commit_then_hold:seconds=12"}',
            control=True,
        ),
        NOW,
    )
    held = handle(store, Request("POST", "/agents/repos/o/r/tasks", headers=AUTH, body=body), NOW)
    assert (held.status, held.effect, held.hold_seconds) == (201, Effect.HOLD, 12.0)
    handle(store, Request("DELETE", "/_sandbox/faults", control=True), NOW)
    handle(
        store,
        Request("POST", "/_sandbox/faults", body=b'{"rule": "*:*:latency:ms=250"}', control=True),
        NOW,
    )
    slow = handle(store, Request("GET", "/agents/tasks", headers=AUTH), NOW)
    assert (slow.status, slow.effect, slow.latency_seconds) == (200, Effect.NONE, 0.25)


def test_a_bad_control_request_names_the_problem() -> None:
    store = Store()
    bad_rule = handle(
        store, Request("POST", "/_sandbox/faults", body=b'{"rule": "nope"}', control=True), NOW
    )
    assert bad_rule.status == 422
    assert "METHOD:PATH:KIND" in str(bad_rule.json())
    unknown = handle(store, Request("POST", "/_sandbox/tasks/xyz/archive", control=True), NOW)
    assert unknown.status == 404
    for body, problem in [
        (b'{"repo": "octo", "prompt": "p"}', "owner/name"),
        (b'{"repo": "o/r", "prompt": "p", "base_ref": 1}', "base_ref must be a string"),
        (b'{"repo": "o/r", "prompt": "p", "creator_id": "7"}', "creator_id must be an integer"),
        (b'{"repo": "o/r", "prompt": "p", "created_at": "soon"}', "created_at must be"),
    ]:
        refused = handle(store, Request("POST", "/_sandbox/tasks", body=body, control=True), NOW)
        assert refused.status == 422
        assert problem in refused.body.decode()
    assert store.tasks == {}


def test_only_the_latest_requests_are_kept() -> None:
    store = Store()
    for n in range(MAX_RECORDED + 5):
        last = handle(store, Request("GET", f"/agents/tasks/t{n}", headers=AUTH), NOW)
    assert len(store.requests) == MAX_RECORDED
    assert store.requests[0].path == "/agents/tasks/t5"
    assert last.header("x-github-request-id") == f"SANDBOX:{MAX_RECORDED + 5:08X}"
