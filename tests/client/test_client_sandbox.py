"""The client against the in-process sandbox: retries, rate limits, creates, messages."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.commands.context import sandbox_transport
from reconciler.errors import (
    AmbiguousCreate,
    AuthenticationError,
    CreateUnconfirmed,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    ValidationFailed,
)
from reconciler.github.auth import Token
from reconciler.github.client import AgentTasksClient, open_client
from reconciler.github.endpoints import ListParams
from reconciler.models import RequestBody, TaskState
from reconciler.sandbox import FaultRule, ManualClock, Sandbox
from tests.client.conftest import BASE, START, TOKEN, Captured, FakeTime, MakeClient

REPO_TASKS = "/agents/repos/*"


def api_requests(sb: Sandbox, method: str = "GET") -> list[str]:
    return [r.path for r in sb.requests if r.method == method]


def test_listing_follows_every_page(sb: Sandbox, make_client: MakeClient) -> None:
    for n in range(250):
        sb.create_task("octo/web", f"task {n}")
    listing = make_client().list_repo_tasks("octo/web", ListParams(sort="created_at"))
    assert len(listing.tasks) == 250
    assert len({t.id for t in listing.tasks}) == 250
    assert listing.total_active_count == 250
    assert len(sb.requests) == 3  # 100 + 100 + 50: one request per page, no more


def test_a_502_on_a_get_is_retried(
    sb: Sandbox, make_client: MakeClient, fake_time: FakeTime
) -> None:
    sb.create_task("octo/web")
    sb.add_fault(FaultRule("502", method="GET", path=REPO_TASKS, times=1))
    assert len(make_client().list_repo_tasks("octo/web").tasks) == 1
    assert len(sb.requests) == 2
    assert len(fake_time.sleeps) == 1


def test_a_connection_reset_on_a_get_is_retried(sb: Sandbox, make_client: MakeClient) -> None:
    task_id = sb.create_task("octo/web", "Fix it")
    sb.add_fault(FaultRule("reset", method="GET", path=REPO_TASKS, times=1))
    detail = make_client().get_task("octo/web", task_id)
    assert detail.sessions[0].prompt == "Fix it"
    assert len(sb.requests) == 2


def test_retries_are_bounded(sb: Sandbox, make_client: MakeClient, fake_time: FakeTime) -> None:
    sb.add_fault(FaultRule("503", method="GET", path=REPO_TASKS))
    with pytest.raises(ServerError) as caught:
        make_client().list_repo_tasks("octo/web")
    assert str(caught.value) == (
        "GET https://api.github.com/agents/repos/octo/web/tasks?per_page=100: 503 Server Error"
        " after 5 attempts. GitHub may be having trouble (https://www.githubstatus.com); try"
        " again later."
    )
    assert len(sb.requests) == 5
    assert len(fake_time.sleeps) == 4


def test_429_with_retry_after_waits_that_long(
    sb: Sandbox, make_client: MakeClient, fake_time: FakeTime
) -> None:
    sb.add_fault(FaultRule("secondary_429", path=REPO_TASKS, retry_after=2, times=1))
    make_client().list_repo_tasks("octo/web")
    assert fake_time.sleeps == [2]
    assert len(sb.requests) == 2


def test_primary_exhaustion_waits_to_the_reset_in_server_time(
    sb: Sandbox, make_client: MakeClient, sandbox_clock: ManualClock
) -> None:
    skewed = FakeTime(sandbox_clock, skew=120)  # the local clock runs 2 min fast
    sb.add_fault(FaultRule("primary", path=REPO_TASKS, reset_in=30, times=1))
    make_client(time=skewed).list_repo_tasks("octo/web")
    assert skewed.sleeps == [31]
    assert len(sb.requests) == 2


def test_primary_exhaustion_beyond_max_wait_says_when_to_retry(
    sb: Sandbox, make_client: MakeClient, sandbox_clock: ManualClock
) -> None:
    skewed = FakeTime(sandbox_clock, skew=120)
    sb.add_fault(FaultRule("primary", path=REPO_TASKS, reset_in=30))
    with pytest.raises(RateLimited) as caught:
        make_client(max_wait=10, time=skewed).list_repo_tasks("octo/web")
    # The reset is 30 s after the server's Date; the local clock says when that is here.
    assert caught.value.retry_at == START.timestamp() + 120 + 31
    assert str(caught.value) == (
        "GET https://api.github.com/agents/repos/octo/web/tasks?per_page=100: rate limit"
        " exhausted, resets in 31s (server time), longer than --max-wait allows (10s). Retry"
        " after 2026-01-01 00:02:31 UTC, or raise --max-wait."
    )
    assert skewed.sleeps == []
    assert len(sb.requests) == 1


def test_secondary_limit_without_retry_after_waits_a_minute_then_longer(
    sb: Sandbox, make_client: MakeClient, fake_time: FakeTime
) -> None:
    sb.add_fault(FaultRule("secondary_403", path=REPO_TASKS, times=2))
    make_client().list_repo_tasks("octo/web")
    assert fake_time.sleeps == [60, 120]
    assert len(sb.requests) == 3


def test_rate_limit_waits_are_bounded_by_max_wait_not_by_count(
    sb: Sandbox, make_client: MakeClient, fake_time: FakeTime
) -> None:
    sb.add_fault(FaultRule("secondary_403", path=REPO_TASKS))
    with pytest.raises(RateLimited):
        make_client(max_wait=500).list_repo_tasks("octo/web")
    assert fake_time.sleeps == [60, 120, 240]  # the next, 480, would pass 500 s in all
    assert len(sb.requests) == 4


def test_a_404_is_asked_once_and_says_what_to_check(make_client: MakeClient) -> None:
    sb = Sandbox(token=TOKEN, repos=["octo/web"])
    client = make_client(transport=sb.transport())
    with pytest.raises(NotFound) as caught:
        client.list_repo_tasks("octo/secret")
    assert str(caught.value) == (
        "GET https://api.github.com/agents/repos/octo/secret/tasks?per_page=100: 404 Not Found."
        " Repository octo/secret does not exist, or the token from AGENTTASKS_TOKEN cannot see"
        " it. Check the repository's name in the tasks file and the token's repository access."
    )
    assert len(sb.requests) == 1


def test_a_missing_task_is_asked_once(sb: Sandbox, make_client: MakeClient) -> None:
    with pytest.raises(NotFound) as caught:
        make_client().get_task("octo/web", "0000-gone")
    assert str(caught.value) == (
        "GET https://api.github.com/agents/repos/octo/web/tasks/0000-gone: 404 Not Found. Task"
        " 0000-gone in octo/web does not exist, or the token from AGENTTASKS_TOKEN cannot see"
        " it. Check the task id; a task deleted on GitHub can be forgotten with `agenttasks"
        " state rm`."
    )
    assert len(sb.requests) == 1


def test_a_rejected_token_names_its_variable(sb: Sandbox, make_client: MakeClient) -> None:
    with pytest.raises(AuthenticationError) as caught:
        make_client(token="ghp_wrong").user_id()
    assert str(caught.value) == (
        "GET https://api.github.com/user: 401 Bad credentials. The token from AGENTTASKS_TOKEN"
        " was rejected: it is mistyped, expired or revoked. Replace the value of"
        " AGENTTASKS_TOKEN with a valid personal access token or user token."
    )
    assert len(sb.requests) == 1


def test_a_refused_create_lists_the_apis_errors(sb: Sandbox, make_client: MakeClient) -> None:
    with pytest.raises(ValidationFailed) as caught:
        make_client().create_task("octo/web", RequestBody(prompt="   "))
    assert str(caught.value) == (
        "POST https://api.github.com/agents/repos/octo/web/tasks: 422 Validation Failed: prompt"
        " cannot be blank. Correct these fields in the tasks file and run again."
    )
    assert len(sb.requests) == 1


def test_create_returns_the_queued_task(sb: Sandbox, make_client: MakeClient) -> None:
    client = make_client()
    task = client.create_task("octo/web", RequestBody(prompt="Fix it", base_ref="main"))
    assert task.state is TaskState.QUEUED
    assert [t.id for t in sb.tasks()] == [task.id]
    assert sb.requests[0].json == {"prompt": "Fix it", "base_ref": "main"}
    assert client.server_time == START


@pytest.mark.parametrize(
    ("rule", "detail"),
    [
        (
            FaultRule("commit_then_drop"),
            "no answer after sending (RemoteProtocolError: Server disconnected without sending a"
            " response (sandbox fault).)",
        ),
        (FaultRule("commit_then_5xx", status=502), "the server answered 502 Server Error"),
        (
            FaultRule("commit_then_hold", seconds=45),
            "no answer after sending (ReadTimeout: The read operation timed out (sandbox fault))",
        ),
    ],
)
def test_an_ambiguous_create_is_never_sent_again(
    sb: Sandbox, make_client: MakeClient, rule: FaultRule, detail: str
) -> None:
    sb.add_fault(rule)
    client = make_client()
    client.user_id()  # an earlier answer: its Date is the server time the error carries
    with pytest.raises(AmbiguousCreate) as caught:
        client.create_task("octo/web", RequestBody(prompt="Fix it"))
    assert isinstance(caught.value, CreateUnconfirmed)
    assert caught.value.server_time == datetime(2026, 1, 1, tzinfo=UTC)
    assert str(caught.value) == (
        f"POST https://api.github.com/agents/repos/octo/web/tasks: {detail}; the task may or may"
        " not have been created, so it is not sent again in this run. The next plan imports it"
        " if GitHub lists it."
    )
    assert len(api_requests(sb, "POST")) == 1
    assert len(sb.tasks()) == 1  # it was created: exactly why it must not be sent again


@pytest.mark.parametrize(
    "rule",
    [FaultRule("refused", method="POST", times=1), FaultRule("secondary_429", times=1)],
)
def test_a_create_the_server_never_acted_on_is_retried(
    sb: Sandbox, make_client: MakeClient, rule: FaultRule
) -> None:
    sb.add_fault(rule)
    make_client().create_task("octo/web", RequestBody(prompt="Fix it"))
    assert len(api_requests(sb, "POST")) == 2
    assert len(sb.tasks()) == 1


def test_creates_are_paced_by_the_create_rate(
    sb: Sandbox, make_client: MakeClient, fake_time: FakeTime
) -> None:
    client = make_client(create_rate="2/min")
    for n in range(3):
        client.create_task("octo/web", RequestBody(prompt=f"task {n}"))
    assert fake_time.sleeps == [60]
    assert len(sb.tasks()) == 3


def test_a_failed_listing_is_an_error_never_an_empty_repository(make_client: MakeClient) -> None:
    sb = Sandbox(token=TOKEN, repos=["octo/web", "octo/api"])
    sb.create_task("octo/web")
    sb.add_fault(FaultRule("500", method="GET", path="/agents/repos/octo/api/*"))
    client = make_client(transport=sb.transport())
    assert len(client.list_repo_tasks("octo/web").tasks) == 1
    with pytest.raises(ServerError):
        client.list_repo_tasks("octo/api")
    with pytest.raises(NotFound):
        client.list_repo_tasks("octo/gone")
    with pytest.raises(ServerError):  # the fan-out passes the error on, never an empty stand-in
        client.fan_out(client.list_repo_tasks, ["octo/web", "octo/api"])


def test_many_repositories_are_listed_concurrently_with_one_request_per_page(
    sb: Sandbox, make_client: MakeClient
) -> None:
    repos = [f"octo/r{n}" for n in range(20)]
    for repo in repos:
        sb.create_task(repo)
    client = make_client(concurrency=4)
    listings = dict(zip(repos, client.fan_out(client.list_repo_tasks, repos), strict=True))
    assert sorted(listings) == sorted(repos)
    assert all(len(v.tasks) == 1 for v in listings.values())
    assert len(sb.requests) == 20


def test_the_user_is_asked_once_per_run(sb: Sandbox, make_client: MakeClient) -> None:
    client = make_client()
    assert client.user_id() == client.user_id() == 1
    assert api_requests(sb) == ["/user"]


def test_the_request_log_has_the_facts_and_nothing_else(
    sb: Sandbox, make_client: MakeClient, captured: Captured
) -> None:
    sb.add_fault(FaultRule("502", method="GET", path=REPO_TASKS, times=1))
    make_client().list_repo_tasks("octo/web")
    first, retry, second = captured.logs
    assert first.startswith("GET /agents/repos/octo/web/tasks?per_page=100 -> 502 in ")
    assert re.search(r" in \d+ms request-id=SANDBOX:00000001 rate-limit-remaining=\d+$", first)
    assert retry.startswith(
        "retrying GET https://api.github.com/agents/repos/octo/web/tasks?per_page=100 in "
    )
    assert retry.endswith("s: 502")
    assert second.startswith("GET /agents/repos/octo/web/tasks?per_page=100 -> 200 in ")


def test_a_sandbox_url_needs_no_token_and_keeps_its_tasks(tmp_path: Path) -> None:
    def no_gh(host: str) -> str | None:
        raise AssertionError("the sandbox needs no token")

    url = f"sandbox:{tmp_path / 'tasks.json'}?speed=50"
    with open_client(url, {}, run_gh=no_gh, sandbox=sandbox_transport) as client:
        created = client.create_task("octo/web", RequestBody(prompt="Fix it"))
    with open_client(url, {}, run_gh=no_gh, sandbox=sandbox_transport) as client:
        assert [t.id for t in client.list_repo_tasks("octo/web").tasks] == [created.id]


def test_cross_repository_endpoints(sb: Sandbox, make_client: MakeClient) -> None:
    first = sb.create_task("octo/web", "one")
    second = sb.create_task("octo/api", "two")
    sb.create_task("octo/api", "someone else's", creator_id=9)
    sb.archive(second)
    client = make_client()
    assert [t.id for t in client.list_tasks().tasks] == [first]
    assert [t.id for t in client.list_tasks(ListParams(is_archived=True)).tasks] == [second]
    assert client.get_task_by_id(second).sessions[0].prompt == "two"


def test_closing_the_client_ends_a_long_rate_limit_wait_in_another_thread(sb: Sandbox) -> None:
    sb.add_fault(FaultRule("secondary_403", path=REPO_TASKS))
    client = AgentTasksClient(BASE, Token(TOKEN, "GH_TOKEN"), transport=sb.transport())
    outcome: list[BaseException] = []

    def listing() -> None:
        try:
            client.list_repo_tasks("octo/web")
        except TransportError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=listing)
    worker.start()
    while not sb.requests:  # the first answer is a secondary limit: a real 60 s wait follows
        time.sleep(0.001)
    started = time.monotonic()
    client.close()
    worker.join(timeout=5)
    assert time.monotonic() - started < 1
    assert [str(e) for e in outcome] == ["Stopped while waiting to retry: the client was closed."]
