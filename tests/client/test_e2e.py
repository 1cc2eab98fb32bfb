"""The client over real loopback HTTP against ``agenttasks sandbox serve`` in a subprocess."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconciler.errors import AmbiguousCreate, ApiError, NotFound
from reconciler.github.client import open_client
from reconciler.github.endpoints import TaskList
from reconciler.github.session import ClientSettings, Hooks
from reconciler.models import RequestBody
from tests.client.conftest import TOKEN, Captured, MakeClient
from tests.client.served import ServedSandbox

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def served() -> Iterator[ServedSandbox]:
    with ServedSandbox("--token", TOKEN, "--repos", "octo/web,octo/api,octo/big") as sandbox:
        sandbox.seed("octo/big", 150)
        yield sandbox


@pytest.fixture
def fresh(served: ServedSandbox) -> ServedSandbox:
    served.control.delete("/_sandbox/faults").raise_for_status()
    served.clear_requests()
    return served


def test_pages_and_missing_repositories_over_http(
    fresh: ServedSandbox, make_client: MakeClient
) -> None:
    client = make_client(transport=httpx.HTTPTransport(), base_url=fresh.url)

    def listing(repo: str) -> TaskList | ApiError:
        try:
            return client.list_repo_tasks(repo)
        except ApiError as error:
            return error

    repos = ["octo/big", "octo/web", "octo/nope"]
    listings = dict(zip(repos, client.fan_out(listing, repos), strict=True))
    big = listings["octo/big"]
    assert not isinstance(big, Exception)
    assert len(big.tasks) == 150
    assert isinstance(listings["octo/nope"], NotFound)
    assert len(fresh.requests()) == 2 + 1 + 1  # two pages, one page, one 404


def test_a_connection_reset_on_a_get_is_retried_over_http(
    fresh: ServedSandbox, make_client: MakeClient
) -> None:
    fresh.add_fault("GET:/agents/repos/octo/web/tasks:reset:times=1")
    client = make_client(transport=httpx.HTTPTransport(), base_url=fresh.url)
    assert client.list_repo_tasks("octo/web").tasks == ()
    assert len(fresh.requests()) == 2


@pytest.mark.parametrize(
    "rule",
    [
        "commit_then_drop:times=1",
        "commit_then_5xx:status=503,times=1",
        "commit_then_hold:seconds=3,times=1",
    ],
)
def test_an_ambiguous_create_over_http_is_sent_once(
    fresh: ServedSandbox, make_client: MakeClient, rule: str
) -> None:
    fresh.add_fault(f"POST:/agents/repos/octo/api/tasks:{rule}")
    client = make_client(transport=httpx.HTTPTransport(), base_url=fresh.url, post_timeout=1.0)
    with pytest.raises(AmbiguousCreate):
        client.create_task("octo/api", RequestBody(prompt="Fix it"))
    posts = [r for r in fresh.requests() if r["method"] == "POST"]
    assert len(posts) == 1


def test_open_client_reads_the_url_and_token_from_the_environment(
    fresh: ServedSandbox, captured: Captured
) -> None:
    env = {"AGENTTASKS_API_URL": fresh.url, "GH_TOKEN": TOKEN}
    hooks = Hooks(log=captured.logs.append)
    with open_client(None, env, settings=ClientSettings(), hooks=hooks) as client:
        assert client.user_id() == 1
    assert captured.logs[0].startswith("GET /user -> 200 in ")
    assert all(TOKEN not in line for line in captured.logs)
