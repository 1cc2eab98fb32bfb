"""Listings read a per-repository index and cached task renderings: never a stale answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from reconciler.sandbox import ManualClock, Sandbox
from reconciler.sandbox.handler import handle
from reconciler.sandbox.lifecycle import phase
from reconciler.sandbox.store import Store, dump, load_into
from reconciler.sandbox.taskjson import task_json
from reconciler.sandbox.wire import Request, encode
from tests.sandbox.conftest import client_for

REPO_TASKS = "/agents/repos/octo-org/web/tasks"


def listed(client: httpx.Client, query: str = "") -> list[tuple[str, str, str]]:
    """(name, state, updated_at) of each listed task."""
    tasks = client.get(f"{REPO_TASKS}{query}").json()["tasks"]
    return [(t["name"], t["state"], t["updated_at"]) for t in tasks]


def test_each_clock_move_shows_the_new_state(
    client: httpx.Client, sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.create_task("octo-org/web", "t", create_pull_request=True)
    seen = []
    for step in (0, 5, 55, 0):
        clock.advance(step)
        task = client.get(REPO_TASKS).json()["tasks"][0]
        seen.append((task["state"], task["updated_at"], [a["type"] for a in task["artifacts"]]))
    assert seen == [
        ("queued", "2026-01-01T00:00:00Z", []),
        ("in_progress", "2026-01-01T00:00:05Z", ["branch"]),
        ("completed", "2026-01-01T00:01:00Z", ["branch", "pull"]),
        ("completed", "2026-01-01T00:01:00Z", ["branch", "pull"]),
    ]


def test_a_clock_set_back_shows_the_earlier_state_again(
    client: httpx.Client, sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.create_task("octo-org/web", "t")
    clock.advance(120)
    assert listed(client) == [("t", "completed", "2026-01-01T00:01:00Z")]
    clock.set(datetime(2026, 1, 1, 0, 0, 2, tzinfo=UTC))
    assert listed(client) == [("t", "queued", "2026-01-01T00:00:00Z")]


def test_archive_unarchive_state_and_delete_show_at_once(
    client: httpx.Client, sandbox: Sandbox, clock: ManualClock
) -> None:
    first = sandbox.create_task("octo-org/web", "a")
    sandbox.create_task("octo-org/web", "b")
    assert [name for name, _, _ in listed(client)] == ["b", "a"]
    clock.advance(2)
    sandbox.archive(first)
    assert listed(client) == [("b", "queued", "2026-01-01T00:00:00Z")]
    archived = client.get(f"{REPO_TASKS}?is_archived=true").json()
    assert archived["tasks"][0]["archived_at"] == "2026-01-01T00:00:02Z"
    assert (archived["total_active_count"], archived["total_archived_count"]) == (1, 1)
    clock.advance(1)
    sandbox.unarchive(first)
    assert listed(client)[0] == ("a", "queued", "2026-01-01T00:00:03Z")
    assert client.get(REPO_TASKS).json()["tasks"][0]["archived_at"] is None
    sandbox.set_state(first, "failed")
    assert listed(client)[0] == ("a", "failed", "2026-01-01T00:00:03Z")
    sandbox.delete(first)
    assert listed(client) == [("b", "queued", "2026-01-01T00:00:00Z")]
    assert client.get(REPO_TASKS).json()["total_active_count"] == 1


def test_links_follow_the_base_url_each_client_used(sandbox: Sandbox) -> None:
    task_id = sandbox.create_task("octo-org/web", "t")
    urls = []
    for base in ("https://api.github.com", "http://127.0.0.1:8080", "https://api.github.com"):
        with client_for(sandbox) as client:
            client.base_url = httpx.URL(base)
            urls.append(client.get(REPO_TASKS).json()["tasks"][0]["url"])
    path = f"/agents/repos/octo-org/web/tasks/{task_id}"
    assert urls == [
        f"https://api.github.com{path}",
        f"http://127.0.0.1:8080{path}",
        f"https://api.github.com{path}",
    ]


def test_each_repository_lists_its_own_tasks_whatever_the_case(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.create_task("Octo-Org/Web", "mine")
    sandbox.create_task("octo-org/api", "other")
    sandbox.create_task("octo-org/web", "mine too")
    assert [name for name, _, _ in listed(client)] == ["mine too", "mine"]
    assert client.get("/agents/repos/OCTO-ORG/API/tasks").json()["total_active_count"] == 1


def test_a_page_is_the_encoding_of_the_whole_document(
    client: httpx.Client, sandbox: Sandbox, clock: ManualClock
) -> None:
    sandbox.create_task("octo-org/web", 'ünïcode ✓ "quoted" \\ prompt', custom_agent="perf")
    sandbox.create_task("octo-org/web", "[sandbox:outcome=failed] x" * 10, base_ref="dev")
    archived = sandbox.create_task("octo-org/web", "gone")
    sandbox.archive(archived)
    clock.advance(7)
    store = sandbox.store
    scope = [t for t in store.tasks.values() if t.archived_at is None]
    now = sandbox.now()
    expected: dict[str, Any] = {
        "tasks": [
            task_json(t, phase(t, now, 1.0), "https://api.github.com") for t in reversed(scope)
        ],
        "total_active_count": 2,
        "total_archived_count": 1,
    }
    for _ in range(2):  # rendered afresh, then from the cache
        assert client.get(f"{REPO_TASKS}?sort=created_at").content == encode(expected)


def test_a_reloaded_task_is_rendered_from_its_own_fields() -> None:
    store, now = Store(), datetime(2026, 3, 1, tzinfo=UTC)
    request = Request("GET", REPO_TASKS, headers=(("authorization", "Bearer t"),))
    create = Request("POST", REPO_TASKS, headers=request.headers, body=b'{"prompt": "old"}')
    handle(store, create, now)

    def names() -> list[str]:
        body: Any = handle(store, request, now).json()
        return [t["name"] for t in body["tasks"]]

    assert names() == ["old"]
    data = dump(store)
    data["tasks"][0]["prompt"] = "new"  # the same id, other content: a file edited by hand
    load_into(store, data)
    assert names() == ["new"]


def test_a_task_replaced_under_its_id_is_rendered_afresh() -> None:
    store, now = Store(), datetime(2026, 3, 1, tzinfo=UTC)
    request = Request("GET", REPO_TASKS, headers=(("authorization", "Bearer t"),))
    handle(
        store, Request("POST", REPO_TASKS, headers=request.headers, body=b'{"prompt": "a"}'), now
    )
    handle(store, request, now)
    (task,) = store.tasks.values()
    store.add(replace(task, prompt="b"))
    body: Any = handle(store, request, now).json()
    assert [t["name"] for t in body["tasks"]] == ["b"]


def test_a_task_replaced_into_another_repository_leaves_the_first() -> None:
    store, now = Store(), datetime(2026, 3, 1, tzinfo=UTC)
    headers = (("authorization", "Bearer t"),)
    body = b'{"prompt": "a"}'
    handle(store, Request("POST", REPO_TASKS, headers=headers, body=body), now)
    (task,) = store.tasks.values()
    store.add(replace(task, repo="api"))
    store.remove(task.id)
    for path in (REPO_TASKS, "/agents/repos/octo-org/api/tasks"):
        listing: Any = handle(store, Request("GET", path, headers=headers), now).json()
        assert (listing["tasks"], listing["total_active_count"]) == ([], 0)
    assert store.by_repo == {}
