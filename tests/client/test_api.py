"""The pure core: requests built, answers parsed, URLs kept under /agents/; literal values only."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import ApiError, UsageError
from reconciler.github import endpoints
from reconciler.github.diagnose import error_item
from reconciler.github.endpoints import ListParams, Response
from reconciler.github.urls import inside_api, parse_link, redact_url
from reconciler.models import RequestBody, TaskState

TASK = {
    "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "url": "https://api.github.com/agents/repos/octocat/hello-world/tasks/a1b2c3d4",
    "html_url": "https://github.com/octocat/hello-world/copilot/tasks/a1b2c3d4",
    "name": "Fix the login button on the homepage",
    "creator": {"id": 1},
    "creator_type": "user",
    "owner": {"id": 1},
    "repository": {"id": 1296269},
    "state": "completed",
    "session_count": 1,
    "artifacts": [{"provider": "github", "type": "pull", "data": {"id": 42}}],
    "archived_at": None,
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-01-01T01:00:00Z",
}


def test_repo_listing_carries_every_filter_and_repeats_creator_id() -> None:
    params = ListParams(
        per_page=100,
        page=2,
        sort="created_at",
        direction="asc",
        states=(TaskState.QUEUED, TaskState.IN_PROGRESS),
        is_archived=False,
        since=datetime(2026, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1))),
        creator_ids=(7, 3, 7),
    )
    request = endpoints.list_repo_tasks("octo-org/web", params)
    assert request.method == "GET"
    assert request.target == (
        "/agents/repos/octo-org/web/tasks?per_page=100&page=2&sort=created_at&direction=asc"
        "&state=in_progress%2Cqueued&is_archived=false&since=2026-01-02T03%3A04%3A05Z"
        "&creator_id=3&creator_id=7"
    )


def test_the_default_listing_asks_for_full_pages_only() -> None:
    assert endpoints.list_repo_tasks("o/r").target == "/agents/repos/o/r/tasks?per_page=100"


def test_cross_repository_listing_has_no_creator_filter() -> None:
    assert endpoints.list_tasks(ListParams(is_archived=True)).target == (
        "/agents/tasks?per_page=100&is_archived=true"
    )
    with pytest.raises(ValueError, match="no creator_id"):
        endpoints.list_tasks(ListParams(creator_ids=(1,)))


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        (ListParams(per_page=101), "per_page must be 1..100"),
        (ListParams(page=0), "page must be >= 1"),
        (ListParams(sort="name"), "sort must be"),
        (ListParams(since=datetime(2026, 1, 1)), "naive datetime"),
        (ListParams(states=(TaskState.UNKNOWN,)), "unknown"),
    ],
)
def test_impossible_queries_are_refused_before_sending(params: ListParams, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        endpoints.list_repo_tasks("o/r", params)


def test_create_sends_the_normalised_body() -> None:
    body = RequestBody(prompt="Fix it", base_ref="main", create_pull_request=True)
    request = endpoints.create_task("o/r", body)
    assert (request.method, request.path) == ("POST", "/agents/repos/o/r/tasks")
    assert request.body == {"prompt": "Fix it", "base_ref": "main", "create_pull_request": True}


def test_task_paths() -> None:
    assert endpoints.get_repo_task("o/r", "abc-1").path == "/agents/repos/o/r/tasks/abc-1"
    assert endpoints.get_task("abc-1").path == "/agents/tasks/abc-1"
    assert endpoints.get_user().path == "/user"


@pytest.mark.parametrize(
    ("repo", "message"),
    [
        (
            "octo/../x",
            "invalid repository name 'octo/../x': the name must be 1-100 ASCII letters, digits,"
            " '.', '_' or '-', not '.' or '..'.",
        ),
        (
            "octo/%2e%2e",
            "invalid repository name 'octo/%2e%2e': the name must be 1-100 ASCII letters,"
            " digits, '.', '_' or '-', not '.' or '..'.",
        ),
        (
            "octo",
            "invalid repository name 'octo': expected OWNER/NAME, the owner 1-100 ASCII"
            " letters, digits, '-' or '_'.",
        ),
        ("octo/web.git", "invalid repository name 'octo/web.git': write the name without '.git'."),
    ],
)
def test_bad_repository_names_never_reach_a_url(repo: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        endpoints.list_repo_tasks(repo)
    assert str(caught.value) == message


@pytest.mark.parametrize("task_id", ["..", ".", "a/b", "a?b", "a#b", "a%2fb", " a", "é", ""])
def test_bad_task_ids_are_refused(task_id: str) -> None:
    with pytest.raises(UsageError, match="invalid task id"):
        endpoints.get_task(task_id)


def _normalised_path(url: str) -> str:
    # What a lenient server might serve: decoded once, backslashes as slashes, dots resolved.
    path = unquote(httpx.URL(url).raw_path.decode("ascii").split("?")[0]).replace("\\", "/")
    return posixpath.normpath(path)


# Arbitrary text, names that look valid, and the classic path tricks.
SEGMENT = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,20}", fullmatch=True),
    st.sampled_from([".", "..", "%2e%2e", "%2E.", "a/b", "..\\x", "a?b", "a#b", "x.git", "a%2fb"]),
)


@given(owner=SEGMENT, name=SEGMENT, task_id=SEGMENT)
def test_every_built_url_stays_under_agents(owner: str, name: str, task_id: str) -> None:
    repo = f"{owner}/{name}"
    builders: list[tuple[Callable[[], endpoints.ApiRequest], int]] = [
        (lambda: endpoints.list_repo_tasks(repo), 6),
        (lambda: endpoints.create_task(repo, RequestBody(prompt="p")), 6),
        (lambda: endpoints.get_repo_task(repo, task_id), 7),
        (lambda: endpoints.get_task(task_id), 4),
    ]
    for build, segments in builders:
        try:
            request = build()
        except UsageError:
            continue
        url = "https://api.github.com" + request.target
        path = _normalised_path(url)
        assert path.startswith("/agents/"), url
        assert len(path.split("/")) == segments, url  # no segment split or swallowed
        assert httpx.URL(url).host == "api.github.com"
        assert inside_api(url, "https://api.github.com")


@pytest.mark.parametrize("repo", ["octo/web", "Octo-Org/my.repo_2", "a_b/c", "x/.github"])
def test_ordinary_names_are_accepted(repo: str) -> None:
    assert endpoints.list_repo_tasks(repo).path == f"/agents/repos/{repo}/tasks"


def test_links_outside_the_api_are_recognised() -> None:
    base = "https://api.github.com"
    assert inside_api(f"{base}/agents/tasks?page=2", base)
    assert not inside_api("https://evil.example/agents/tasks?page=2", base)
    assert not inside_api(f"{base}/agents/../user", base)
    assert not inside_api(f"{base}/agents/%2e%2e/user", base)
    assert not inside_api("http://api.github.com/agents/tasks", base)


def test_task_parsing_ignores_unknown_fields_and_reads_unknown_states() -> None:
    body = json.dumps({**TASK, "state": "pondering", "brand_new_field": {"x": 1}}).encode()
    task = endpoints.parse_task(body)
    assert task.state is TaskState.UNKNOWN
    assert task.pull_id == 42
    assert task.creator_id == 1


def test_task_list_is_the_wrapped_object() -> None:
    body = json.dumps({"tasks": [TASK], "total_active_count": 3, "total_archived_count": 1})
    page = endpoints.parse_task_list(body.encode())
    assert [t.id for t in page.tasks] == [TASK["id"]]
    assert (page.total_active_count, page.total_archived_count) == (3, 1)


def test_task_detail_carries_the_sessions_prompt() -> None:
    session = {
        "id": "s1",
        "state": "completed",
        "created_at": "2025-01-01T00:00:00Z",
        "prompt": "Fix the login button\n",
        "base_ref": "main",
        "model": "claude-sonnet-4.6",
        "usage": {"type": "ai_credits", "amount": 3},
    }
    detail = endpoints.parse_task_detail(json.dumps({**TASK, "sessions": [session]}).encode())
    assert detail.sessions[0].prompt == "Fix the login button\n"
    assert detail.sessions[0].model == "claude-sonnet-4.6"


def test_an_unreadable_answer_is_an_api_error_naming_the_request() -> None:
    with pytest.raises(ApiError) as caught:
        endpoints.parse_task_list(b'{"items": []}', "GET https://api.github.com/agents/tasks")
    assert str(caught.value) == (
        "GET https://api.github.com/agents/tasks: the API's answer could not be read (tasks:"
        " Field required). The API is a preview and may have changed; upgrade agenttasks or"
        " report this."
    )


def test_link_header_as_github_writes_it() -> None:
    value = (
        '<https://api.github.com/agents/tasks?page=2&per_page=30>; rel="next", '
        '<https://api.github.com/agents/tasks?page=1&per_page=30>; rel="first"'
    )
    assert parse_link(value) == {
        "next": "https://api.github.com/agents/tasks?page=2&per_page=30",
        "first": "https://api.github.com/agents/tasks?page=1&per_page=30",
    }
    assert endpoints.next_url(Response.of(200, {"Link": value})) == (
        "https://api.github.com/agents/tasks?page=2&per_page=30"
    )
    assert endpoints.next_url(Response.of(200, {})) is None


def test_date_and_deprecation_headers() -> None:
    response = Response.of(
        200,
        [
            ("Date", "Tue, 24 Nov 2026 18:00:00 GMT"),
            ("Deprecation", "@1790000000"),
            ("Sunset", "Wed, 01 Mar 2028 00:00:00 GMT"),
        ],
    )
    assert endpoints.server_time(response) == datetime(2026, 11, 24, 18, tzinfo=UTC)
    assert endpoints.deprecation_notice(response, "2022-11-28") == (
        "GitHub says API version 2022-11-28 is deprecated and stops working on 2028-03-01; set"
        " --api-version to a newer version (see"
        " https://docs.github.com/rest/about-the-rest-api/api-versions)."
    )
    assert endpoints.deprecation_notice(Response.of(200, {"Date": "x"}), "v") is None
    assert endpoints.server_time(Response.of(200, {"Date": "not a date"})) is None


def test_urls_in_messages_lose_credentials_and_secret_query_values() -> None:
    assert redact_url("https://me:pw@api.example.com/agents/tasks?access_token=abc&page=2") == (
        "https://api.example.com/agents/tasks?access_token=***&page=2"
    )


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ({"field": "model", "code": "invalid"}, "model is invalid"),
        (
            {"field": "model", "code": "invalid", "message": "Unknown model."},
            "model is invalid (Unknown model)",
        ),
        (
            {"field": "prompt", "code": "missing_field", "message": "prompt is required."},
            "prompt is required",
        ),
        ({"field": "base_ref", "code": "missing"}, "base_ref does not exist"),
        ({"resource": "Task", "code": "already_exists"}, "Task already exists"),
        (
            {"code": "custom", "message": "Copilot is disabled for this repository."},
            "Copilot is disabled for this repository",
        ),
        (
            {"field": "custom_agent", "code": "custom", "message": "No such agent."},
            "custom_agent: No such agent",
        ),
        ({"field": "x", "code": "brand_new"}, "x: brand_new"),
    ],
)
def test_422_errors_in_words(item: dict[str, str], words: str) -> None:
    body = json.dumps({"message": "Validation Failed", "errors": [item]}).encode()
    assert error_item(endpoints.parse_error(body).errors[0]) == words
