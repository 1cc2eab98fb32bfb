"""Injected faults, in-process: what the client must survive, and the rule syntax."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest

from reconciler.sandbox import FaultRule, ManualClock, Sandbox
from tests.sandbox.conftest import client_for

REPO_TASKS = "/agents/repos/octo-org/web/tasks"
BODY = {"prompt": "p"}


def test_commit_then_drop_creates_the_task_then_fails_the_request(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    sandbox.add_fault(FaultRule("commit_then_drop", "POST", "/agents/repos/*/tasks", times=1))
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(REPO_TASKS, json=BODY)
    assert len(sandbox.tasks()) == 1
    assert client.post(REPO_TASKS, json=BODY).status_code == 201  # spent after once
    assert [r.fault for r in sandbox.requests] == ["commit_then_drop", None]


@pytest.mark.parametrize(
    ("kind", "error"), [("reset", httpx.ReadError), ("refused", httpx.ConnectError)]
)
def test_reset_and_refused_fail_before_anything_is_done(
    sandbox: Sandbox, client: httpx.Client, kind: str, error: type[Exception]
) -> None:
    sandbox.add_fault(FaultRule(kind, "POST", "/agents/repos/*/tasks", times=2))
    for _ in range(2):
        with pytest.raises(error):
            client.post(REPO_TASKS, json=BODY)
    assert sandbox.tasks() == []
    assert client.post(REPO_TASKS, json=BODY).status_code == 201


def test_commit_then_5xx_creates_the_task_and_answers_an_error(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    sandbox.add_fault("POST:/agents/repos/*/tasks:commit_then_5xx:status=503")
    response = client.post(REPO_TASKS, json=BODY)
    assert response.status_code == 503
    assert len(sandbox.tasks()) == 1


def test_commit_then_hold_times_out_only_past_the_read_timeout(sandbox: Sandbox) -> None:
    sandbox.add_fault(FaultRule("commit_then_hold", "POST", seconds=45))
    with (
        client_for(sandbox, timeout=httpx.Timeout(5, read=30)) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        impatient.post(REPO_TASKS, json=BODY)
    with client_for(sandbox, timeout=httpx.Timeout(5, read=60)) as patient:
        assert patient.post(REPO_TASKS, json=BODY).status_code == 201
    assert len(sandbox.tasks()) == 2


def test_a_commit_fault_is_not_spent_on_a_refused_post(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    sandbox.add_fault(FaultRule("commit_then_drop", "POST", times=1))
    assert client.post(REPO_TASKS, json={}).status_code == 422
    assert client.get(REPO_TASKS).status_code == 200  # commit faults never strike a GET
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(REPO_TASKS, json=BODY)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_before_processing(
    sandbox: Sandbox, client: httpx.Client, status: int
) -> None:
    sandbox.add_fault(FaultRule(str(status), "*", "/agents/*", times=1))
    response = client.post(REPO_TASKS, json=BODY)
    assert response.status_code == status
    assert sandbox.tasks() == []
    assert response.headers["x-ratelimit-remaining"]


@pytest.mark.parametrize(("kind", "status"), [("secondary_429", 429), ("secondary_403", 403)])
@pytest.mark.parametrize("retry_after", [None, 17])
def test_secondary_rate_limits(
    sandbox: Sandbox, client: httpx.Client, kind: str, status: int, retry_after: int | None
) -> None:
    sandbox.add_fault(FaultRule(kind, "GET", "/agents/tasks", retry_after=retry_after, times=1))
    response = client.get("/agents/tasks")
    assert response.status_code == status
    assert "secondary rate limit" in response.json()["message"]
    assert response.headers.get("retry-after") == (
        None if retry_after is None else str(retry_after)
    )
    assert response.headers["x-ratelimit-remaining"] != "0"
    assert client.get("/agents/tasks").status_code == 200


def test_primary_exhaustion_resets_n_seconds_after_the_server_date(
    sandbox: Sandbox, client: httpx.Client, clock: ManualClock
) -> None:
    clock.advance(3600 * 24 * 30)
    sandbox.add_fault("GET:*:primary:reset_in=90,times=1")
    response = client.get("/user")
    assert response.status_code == 403
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert "rate limit exceeded" in response.json()["message"]
    server_now = parsedate_to_datetime(response.headers["date"]).timestamp()
    assert int(response.headers["x-ratelimit-reset"]) == server_now + 90


def test_a_retired_api_version_is_410(sandbox: Sandbox, client: httpx.Client) -> None:
    sandbox.add_fault("*:*:gone")
    response = client.get("/agents/tasks")
    assert response.status_code == 410
    assert "X-GitHub-Api-Version" in response.json()["message"]


def test_deprecated_adds_deprecation_and_sunset_to_normal_answers(
    sandbox: Sandbox, client: httpx.Client, clock: ManualClock
) -> None:
    sandbox.add_fault("GET:*:deprecated:sunset_in=30")
    sandbox.add_fault("GET:*:503:times=1")
    failed = client.get("/agents/tasks")
    assert failed.status_code == 503  # a modifier does not stop another rule
    response = client.get("/agents/tasks")
    assert response.status_code == 200
    assert response.headers["deprecation"] == f"@{int(clock().timestamp())}"
    assert parsedate_to_datetime(response.headers["sunset"]) == clock() + timedelta(days=30)
    assert "deprecation" not in client.post(REPO_TASKS, json=BODY).headers


def test_latency_is_not_slept_in_process(sandbox: Sandbox, client: httpx.Client) -> None:
    sandbox.add_fault(FaultRule("latency", ms=60_000))
    assert client.get("/agents/tasks").status_code == 200


def test_a_rate_fires_deterministically_for_a_seed(clock: ManualClock) -> None:
    def pattern(seed: int) -> list[int]:
        sandbox = Sandbox(clock=clock, seed=seed)
        sandbox.add_fault(FaultRule("503", "GET", rate=0.5))
        with client_for(sandbox) as http:
            return [http.get("/agents/tasks").status_code for _ in range(40)]

    first = pattern(3)
    assert first == pattern(3)
    assert 5 < first.count(503) < 35


def test_clear_faults_and_requests(sandbox: Sandbox, client: httpx.Client) -> None:
    sandbox.add_fault(FaultRule("500"))
    assert client.get("/user").status_code == 500
    sandbox.clear_faults()
    sandbox.clear_requests()
    assert client.get("/user").status_code == 200
    assert [(r.method, r.path) for r in sandbox.requests] == [("GET", "/user")]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (
            "POST:/agents/repos/*/tasks:commit_then_drop:times=1",
            FaultRule("commit_then_drop", "POST", "/agents/repos/*/tasks", times=1),
        ),
        ("get:*:latency:ms=250,rate=0.5", FaultRule("latency", "GET", ms=250, rate=0.5)),
        (
            "*:/user:secondary_403:retry_after=30",
            FaultRule("secondary_403", path="/user", retry_after=30),
        ),
        ("POST:*:commit_then_hold:seconds=40", FaultRule("commit_then_hold", "POST", seconds=40)),
        ("GET:*:deprecated:sunset_in=7", FaultRule("deprecated", "GET", sunset_in=7)),
    ],
)
def test_rule_text_round_trips(text: str, rule: FaultRule) -> None:
    assert FaultRule.parse(text) == rule
    assert FaultRule.parse(rule.to_text()) == rule


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("POST:/x", "METHOD:PATH:KIND"),
        ("POST:/x:explode", "unknown fault kind"),
        ("POST:/x:500:often=2", "fault option"),
        ("POST:/x:500:times=two", "needs a number"),
        ("POST:/x:500:rate=2", "between 0 and 1"),
        ("POST:/x:commit_then_5xx:status=418", "500/502/503/504"),
    ],
)
def test_bad_rule_text_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultRule.parse(text)
