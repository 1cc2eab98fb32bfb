"""The two list operations: paging, Link, sorting, filters and counters."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from reconciler.sandbox import ManualClock, Sandbox

REPO_TASKS = "/agents/repos/octo-org/web/tasks"


def links(response: httpx.Response) -> dict[str, str]:
    return {str(rel): str(link["url"]) for rel, link in response.links.items()}


def names(response: httpx.Response) -> list[str]:
    return [t["name"] for t in response.json()["tasks"]]


@pytest.fixture
def seeded(sandbox: Sandbox, clock: ManualClock) -> list[str]:
    """Five tasks a second apart, named t0 … t4 (t0 is in progress by the end)."""
    ids = []
    for n in range(5):
        ids.append(sandbox.create_task("octo-org/web", f"t{n}"))
        clock.advance(1)
    return ids


@pytest.mark.usefixtures("seeded")
def test_pages_follow_the_link_header_to_the_end(client: httpx.Client) -> None:
    seen: list[str] = []
    url: str | None = f"{REPO_TASKS}?per_page=2&sort=created_at&direction=asc"
    pages = 0
    while url:
        response = client.get(url)
        seen += names(response)
        url = links(response).get("next")
        pages += 1
    assert seen == ["t0", "t1", "t2", "t3", "t4"]
    assert pages == 3


@pytest.mark.usefixtures("seeded")
def test_link_has_first_prev_next_last_with_the_real_url_and_the_other_parameters(
    client: httpx.Client,
) -> None:
    response = client.get(f"{REPO_TASKS}?state=queued,in_progress&per_page=2&page=2")
    base = "https://api.github.com/agents/repos/octo-org/web/tasks?state=queued%2Cin_progress"
    assert links(response) == {
        "next": f"{base}&page=3&per_page=2",
        "prev": f"{base}&page=1&per_page=2",
        "first": f"{base}&page=1&per_page=2",
        "last": f"{base}&page=3&per_page=2",
    }


def test_one_page_links_first_and_last_only(client: httpx.Client) -> None:
    response = client.get("/agents/tasks")
    assert set(links(response)) == {"first", "last"}
    assert response.json() == {"tasks": [], "total_active_count": 0, "total_archived_count": 0}


@pytest.mark.usefixtures("seeded")
def test_default_page_size_is_30_and_max_100(sandbox: Sandbox, client: httpx.Client) -> None:
    for n in range(120):
        sandbox.create_task("octo-org/web", f"bulk {n}")
    assert len(client.get(REPO_TASKS).json()["tasks"]) == 30
    assert len(client.get(f"{REPO_TASKS}?per_page=100").json()["tasks"]) == 100
    assert client.get(f"{REPO_TASKS}?per_page=100&page=9").json()["tasks"] == []


@pytest.mark.parametrize(
    "query",
    [
        "per_page=0",
        "per_page=101",
        "per_page=x",
        "page=0",
        "sort=name",
        "direction=up",
        "state=done",
        "state=queued,bogus",
        "is_archived=yes",
        "since=yesterday",
        "creator_id=me",
    ],
)
def test_invalid_parameters_are_422_naming_them(client: httpx.Client, query: str) -> None:
    response = client.get(f"{REPO_TASKS}?{query}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == query.split("=")[0]
    assert response.json()["errors"][0]["code"] == "invalid"


def test_sort_and_direction(
    client: httpx.Client, sandbox: Sandbox, clock: ManualClock, seeded: list[str]
) -> None:
    # t0 started running at 5 s, after t4 was created: by updated_at it is the newest.
    assert names(client.get(REPO_TASKS)) == ["t0", "t4", "t3", "t2", "t1"]
    assert names(client.get(f"{REPO_TASKS}?sort=created_at")) == ["t4", "t3", "t2", "t1", "t0"]
    assert names(client.get(f"{REPO_TASKS}?direction=asc&sort=created_at")) == [
        "t0",
        "t1",
        "t2",
        "t3",
        "t4",
    ]
    clock.advance(1)
    sandbox.set_state(seeded[1], "failed")
    assert names(client.get(REPO_TASKS))[0] == "t1"
    assert names(client.get(f"{REPO_TASKS}?direction=asc"))[-1] == "t1"


def test_state_filter_takes_a_comma_list(
    client: httpx.Client, sandbox: Sandbox, seeded: list[str]
) -> None:
    sandbox.set_state(seeded[0], "failed")
    sandbox.set_state(seeded[1], "completed")
    assert names(
        client.get(f"{REPO_TASKS}?state=failed,completed&sort=created_at&direction=asc")
    ) == ["t0", "t1"]
    assert len(client.get(f"{REPO_TASKS}?state=queued").json()["tasks"]) == 3  # t0 runs


def test_archived_tasks_are_hidden_unless_asked(
    client: httpx.Client, sandbox: Sandbox, seeded: list[str]
) -> None:
    sandbox.archive(seeded[2])
    default = client.get(REPO_TASKS).json()
    assert "t2" not in [t["name"] for t in default["tasks"]]
    assert (default["total_active_count"], default["total_archived_count"]) == (4, 1)
    archived = client.get(f"{REPO_TASKS}?is_archived=true").json()["tasks"]
    assert [t["name"] for t in archived] == ["t2"]
    assert archived[0]["archived_at"] is not None
    sandbox.unarchive(seeded[2])
    assert client.get(f"{REPO_TASKS}?is_archived=true").json()["tasks"] == []


def test_since_compares_updated_at_inclusively(
    client: httpx.Client, clock: ManualClock, seeded: list[str]
) -> None:
    start = clock() - timedelta(seconds=5)
    third = (start + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # t0 was created before ``since`` but updated (started running) after it.
    assert names(client.get(f"{REPO_TASKS}?since={third}")) == ["t0", "t4", "t3", "t2"]
    offset = (start + timedelta(seconds=4)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert names(client.get(REPO_TASKS, params={"since": offset})) == ["t0", "t4"]


@pytest.mark.parametrize(
    "query",
    [
        "creator_id=2&creator_id=3",
        "creator_id[]=2&creator_id[]=3",
        "creator_id=2,3",
        "creator_id%5B%5D=2,3",
    ],
)
def test_creator_id_accepts_every_array_form(
    client: httpx.Client, sandbox: Sandbox, query: str
) -> None:
    for creator in (1, 2, 3):
        sandbox.create_task("octo-org/web", f"by {creator}", creator_id=creator)
    assert sorted(names(client.get(f"{REPO_TASKS}?{query}"))) == ["by 2", "by 3"]


def test_repository_list_shows_every_creator_user_list_only_the_callers(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.create_task("octo-org/web", "mine")
    sandbox.create_task("octo-org/api", "mine too")
    sandbox.create_task("octo-org/web", "theirs", creator_id=9)
    assert sorted(names(client.get(REPO_TASKS))) == ["mine", "theirs"]
    assert sorted(names(client.get("/agents/tasks"))) == ["mine", "mine too"]
    assert client.get("/agents/tasks").json()["total_active_count"] == 2


def test_user_list_ignores_creator_id(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.create_task("octo-org/web", "mine")
    assert names(client.get("/agents/tasks?creator_id=9")) == ["mine"]
