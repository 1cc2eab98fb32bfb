"""What the sandbox does not serve: redirects, looping or foreign Link headers, deprecation
headers, a retired API version, a plain 403. Each uses a tiny hand-written httpx.MockTransport
(httpx's own test seam, not our code) that records what reached it."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from reconciler.errors import (
    AgentTasksError,
    ApiError,
    ApiVersionGone,
    ConfigError,
    PaginationLoop,
    PermissionDenied,
    TransportError,
    UsageError,
)
from reconciler.github.auth import Token
from reconciler.github.client import AgentTasksClient
from reconciler.github.endpoints import ListParams
from reconciler.github.session import ClientSettings, Hooks
from reconciler.models import RequestBody
from reconciler.sandbox import FaultRule, Sandbox
from tests.client.conftest import TOKEN, Captured, FakeTime, MakeClient

EMPTY = {"tasks": [], "total_active_count": 0, "total_archived_count": 0}
DATE = {"Date": "Thu, 01 Jan 2026 00:00:00 GMT"}


class Recorder:
    """A MockTransport answering with ``answer(request)`` and keeping every request."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


def test_a_repeated_next_url_is_a_loop(make_client: MakeClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        page = request.url.params.get("page", "1")
        nxt = "2" if page == "1" else "1"  # page 2 points back at page 1
        link = f'<https://api.github.com/agents/tasks?per_page=100&page={nxt}>; rel="next"'
        return httpx.Response(200, json=EMPTY, headers={"Link": link})

    server = Recorder(answer)
    with pytest.raises(PaginationLoop) as caught:
        make_client(transport=server.transport).list_tasks()
    assert str(caught.value) == (
        "GET https://api.github.com/agents/tasks?per_page=100&page=1: the API's Link header"
        " points back to https://api.github.com/agents/tasks?per_page=100&page=2, a page"
        " already read. Stopped to avoid an endless loop; try again, and report it if it"
        " repeats."
    )
    assert len(server.requests) == 3


def test_a_link_outside_the_api_is_not_followed(make_client: MakeClient) -> None:
    link = '<https://collector.example/agents/tasks?page=2>; rel="next"'
    server = Recorder(lambda r: httpx.Response(200, json=EMPTY, headers={"Link": link}))
    with pytest.raises(ApiError, match="points outside the API"):
        make_client(transport=server.transport).list_tasks()
    assert [r.url.host for r in server.requests] == ["api.github.com"]


def test_a_cross_host_redirect_loses_the_authorization_header(make_client: MakeClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.github.com":
            location = "https://mirror.example/agents/tasks?per_page=100"
            return httpx.Response(307, headers={"Location": location})
        return httpx.Response(200, json=EMPTY)

    server = Recorder(answer)
    make_client(transport=server.transport).list_tasks()
    first, second = server.requests
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    assert second.url.host == "mirror.example"
    assert "Authorization" not in second.headers


def test_a_same_host_redirect_keeps_authorization_and_method(make_client: MakeClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/agents/repos/old/"):
            location = "/agents/repos/new/name/tasks"
            return httpx.Response(307, headers={"Location": location})
        return httpx.Response(
            201, json={"id": "t1", "state": "queued", "created_at": "2026-01-01T00:00:00Z"}
        )

    server = Recorder(answer)
    make_client(transport=server.transport).create_task("old/name", RequestBody(prompt="p"))
    assert [(r.method, r.url.path) for r in server.requests] == [
        ("POST", "/agents/repos/old/name/tasks"),
        ("POST", "/agents/repos/new/name/tasks"),
    ]
    assert server.requests[1].headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(server.requests[1].content) == {"prompt": "p"}


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_post_redirected_to_another_host_is_not_sent_there(
    make_client: MakeClient, status: int
) -> None:
    """The prompt goes to GitHub only: a POST's body never follows a redirect off its origin."""

    def answer(request: httpx.Request) -> httpx.Response:
        location = "https://collector.example/agents/repos/o/r/tasks"
        return httpx.Response(status, headers={"Location": location})

    server = Recorder(answer)
    with pytest.raises(TransportError) as caught:
        make_client(transport=server.transport).create_task("o/r", RequestBody(prompt="secret"))
    assert str(caught.value) == (
        "POST https://api.github.com/agents/repos/o/r/tasks: refused a redirect to"
        " https://collector.example/agents/repos/o/r/tasks, which would send the request's body"
        " to another host."
    )
    assert [r.url.host for r in server.requests] == ["api.github.com"]


def test_a_redirect_from_https_to_http_is_refused(make_client: MakeClient) -> None:
    location = "http://api.github.com/agents/tasks?per_page=100"
    server = Recorder(lambda r: httpx.Response(301, headers={"Location": location}))
    with pytest.raises(TransportError) as caught:
        make_client(transport=server.transport).list_tasks()
    assert str(caught.value) == (
        "GET https://api.github.com/agents/tasks?per_page=100: refused a redirect to"
        " http://api.github.com/agents/tasks?per_page=100, which would send the request"
        " unencrypted."
    )
    assert len(server.requests) == 1


def test_deprecation_warns_exactly_once_per_run(
    make_client: MakeClient, captured: Captured
) -> None:
    headers = {**DATE, "Deprecation": "true", "Sunset": "Wed, 01 Mar 2028 00:00:00 GMT"}
    server = Recorder(lambda r: httpx.Response(200, json=EMPTY, headers=headers))
    client = make_client(transport=server.transport)
    client.list_tasks()
    client.list_repo_tasks("octo/web")
    client.fan_out(client.list_repo_tasks, ["octo/a", "octo/b", "octo/c"])
    assert captured.warnings == [
        "GitHub says API version 2022-11-28 is deprecated and stops working on 2028-03-01; set"
        " --api-version to a newer version (see"
        " https://docs.github.com/rest/about-the-rest-api/api-versions)."
    ]


def test_a_retired_api_version_is_named(make_client: MakeClient) -> None:
    body = {"message": "API version 2022-11-28 is no longer supported", "documentation_url": ""}
    server = Recorder(lambda r: httpx.Response(410, json=body))
    with pytest.raises(ApiVersionGone) as caught:
        make_client(transport=server.transport).list_tasks()
    assert str(caught.value) == (
        "GET https://api.github.com/agents/tasks?per_page=100: 410 API version 2022-11-28 is no"
        " longer supported. API version 2022-11-28 has been retired; run with --api-version set"
        " to a version GitHub still supports (see"
        " https://docs.github.com/rest/about-the-rest-api/api-versions), or upgrade agenttasks."
    )
    assert server.requests[0].headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_a_plain_403_is_a_permission_error_asked_once(make_client: MakeClient) -> None:
    body = {"message": "Resource not accessible by personal access token"}
    headers = {"X-Accepted-GitHub-Permissions": "agent_tasks=write", "x-ratelimit-remaining": "9"}
    server = Recorder(lambda r: httpx.Response(403, json=body, headers=headers))
    with pytest.raises(PermissionDenied) as caught:
        make_client(transport=server.transport).create_task("octo/web", RequestBody(prompt="p"))
    assert str(caught.value) == (
        "POST https://api.github.com/agents/repos/octo/web/tasks: 403 Resource not accessible by"
        " personal access token. The token from AGENTTASKS_TOKEN may not use agent tasks here."
        ' It needs the "Agent tasks" repository permission (read to list, read and write to'
        " start tasks), its user needs a Copilot Business or Copilot Enterprise seat, and it"
        " must be a personal access token or user token: GitHub App installation tokens are not"
        " supported. GitHub says the request needs: agent_tasks=write."
    )
    assert len(server.requests) == 1


def test_every_request_carries_the_api_headers(make_client: MakeClient) -> None:
    server = Recorder(lambda r: httpx.Response(200, json=EMPTY))
    make_client(transport=server.transport, api_version="2026-03-10").list_tasks()
    headers = server.requests[0].headers
    assert headers["Accept"] == "application/vnd.github+json"
    assert headers["X-GitHub-Api-Version"] == "2026-03-10"
    assert headers["User-Agent"].startswith("agenttasks/")
    assert server.requests[0].extensions["timeout"]["read"] == 30.0


def test_the_post_read_timeout_is_the_post_timeout(make_client: MakeClient) -> None:
    task = {"id": "t1", "state": "queued", "created_at": "2026-01-01T00:00:00Z"}
    server = Recorder(lambda r: httpx.Response(201, json=task))
    make_client(transport=server.transport, post_timeout=42.0).create_task(
        "octo/web", RequestBody(prompt="p")
    )
    assert server.requests[0].extensions["timeout"]["read"] == 42.0


def test_plain_http_to_another_host_is_refused_before_any_connection() -> None:
    server = Recorder(lambda r: httpx.Response(200, json=EMPTY))
    with pytest.raises(ConfigError, match="plain http:// would send the token unencrypted"):
        AgentTasksClient(
            "http://api.example.com", Token(TOKEN, "GH_TOKEN"), transport=server.transport
        )
    assert server.requests == []


def test_the_token_appears_in_nothing_captured(make_client: MakeClient, captured: Captured) -> None:
    """Logs, warnings and every error's text, over many failure paths, with a leaky transport."""
    texts: list[str] = []
    sb = Sandbox(token=TOKEN, repos=["octo/web"])
    sb.add_fault(FaultRule("commit_then_drop", times=1))
    sb.add_fault(FaultRule("502", method="GET", path="/agents/tasks", times=1))
    client = make_client(transport=sb.transport(), max_wait=1)

    def leaky(request: httpx.Request) -> httpx.Response:
        # A transport whose error text quotes the header it was given.
        raise httpx.ConnectError(f"cannot connect with {request.headers['Authorization']}")

    def echo(request: httpx.Request) -> httpx.Response:
        # A server (or proxy) quoting the request's header in its error message.
        message = f"bad header {request.headers['Authorization']}"
        return httpx.Response(422, json={"message": message, "errors": [{"message": message}]})

    attempts: list[Callable[[], object]] = [
        lambda: client.create_task("octo/web", RequestBody(prompt="p")),
        lambda: client.list_repo_tasks("octo/gone"),
        lambda: client.get_task("octo/web", "nope"),
        lambda: client.list_tasks(),
        lambda: make_client(transport=sb.transport(), token="ghp_bad").user_id(),
        lambda: make_client(transport=httpx.MockTransport(leaky)).list_tasks(),
        lambda: make_client(transport=httpx.MockTransport(echo)).list_tasks(),
    ]
    for attempt in attempts:
        try:
            attempt()
        except AgentTasksError as exc:
            texts += [str(exc), repr(exc), repr(exc.args)]
    texts += captured.logs + captured.warnings + [repr(client.__dict__)]
    assert len(texts) > 20
    assert any("Authorization" not in t and "***" in t for t in texts)  # the leak was scrubbed
    for text in texts:
        assert TOKEN not in text


def test_listing_filters_reach_the_server(make_client: MakeClient) -> None:
    sb = Sandbox(token=TOKEN)
    sb.create_task("octo/web", creator_id=5)
    sb.create_task("octo/web", creator_id=6)
    client = make_client(transport=sb.transport())
    listing = client.list_repo_tasks("octo/web", ListParams(creator_ids=(5,)))
    assert [t.creator_id for t in listing.tasks] == [5]
    assert sb.requests[0].query == (("per_page", "100"), ("creator_id", "5"))


def test_listings_never_run_more_than_the_concurrency_at_once(make_client: MakeClient) -> None:
    lock, in_flight, most = threading.Lock(), [0], [0]

    def answer(request: httpx.Request) -> httpx.Response:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.01)  # real time: the requests must overlap to be counted together
        with lock:
            in_flight[0] -= 1
        return httpx.Response(200, json=EMPTY)

    server = Recorder(answer)
    repos = [f"octo/r{n}" for n in range(12)]
    client = make_client(transport=server.transport, concurrency=3)
    listings = client.fan_out(client.list_repo_tasks, repos)
    assert len(listings) == len(repos)
    assert len(server.requests) == 12
    assert most[0] == 3


def test_a_bad_repository_name_fails_the_listing_before_any_request(
    make_client: MakeClient,
) -> None:
    server = Recorder(lambda r: httpx.Response(200, json=EMPTY))
    with pytest.raises(UsageError, match=r"invalid repository name 'octo/\.\.'"):
        make_client(transport=server.transport).list_repo_tasks("octo/..")
    assert server.requests == []


def test_retry_after_as_an_http_date_is_measured_against_the_servers_date(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    answers = iter(
        [
            httpx.Response(
                429,
                headers={**DATE, "Retry-After": "Thu, 01 Jan 2026 00:00:05 GMT"},
                json={"message": "slow down"},
            ),
            httpx.Response(200, json=EMPTY),
        ]
    )
    server = Recorder(lambda r: next(answers))
    make_client(transport=server.transport).list_tasks()
    assert fake_time.sleeps == [5]


def test_the_fan_out_keeps_the_order_of_its_items(make_client: MakeClient) -> None:
    client = make_client(concurrency=4)
    assert client.fan_out(lambda n: n * n, range(30)) == [n * n for n in range(30)]
    assert client.fan_out(lambda n: n, []) == []


def test_an_interrupted_fan_out_ends_the_other_workers_waits_at_once() -> None:
    """Ctrl-C in the main thread must not wait for a worker sleeping out a 600 s secondary rate
    limit: the fan-out ends that sleep, and no worker thread outlives the interrupt."""
    sb = Sandbox(token=TOKEN)
    sb.add_fault(FaultRule.parse("GET:/agents/repos/octo/slow/tasks:secondary_429:retry_after=600"))
    client = AgentTasksClient(
        "https://api.github.com",
        Token(TOKEN, "AGENTTASKS_TOKEN"),
        transport=sb.transport(),
        settings=ClientSettings(concurrency=2),
        hooks=Hooks(),  # the real, interruptible sleep
    )

    def work(repo: str) -> object:
        if repo == "octo/slow":
            return client.list_repo_tasks(repo)
        while not any(r.path.startswith("/agents/repos/octo/slow") for r in sb.requests):
            time.sleep(0.01)
        # Ctrl-C: the signal reaches the main thread, blocked on the slow listing's result.
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        return None

    begun = time.monotonic()
    with client, pytest.raises(KeyboardInterrupt):
        client.fan_out(work, ["octo/slow", "octo/other"])
    assert time.monotonic() - begun < 5
    deadline = time.monotonic() + 5
    while any(t.name.startswith("agenttasks") for t in threading.enumerate()):
        assert time.monotonic() < deadline, "a worker outlived the interrupt"
        time.sleep(0.01)
