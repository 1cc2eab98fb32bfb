"""API answers that once crashed (exit 70) or were recorded and crashed every later plan: a naive
or absurd date, a task id that is a path, a huge Retry-After or x-ratelimit-reset. Each is now an
``ApiError`` naming what was wrong (or a wait capped to something a clock can hold)."""

from __future__ import annotations

import json

import httpx
import pytest

from reconciler.errors import AmbiguousCreate, ApiError, RateLimited
from reconciler.github.endpoints import Response, parse_task, parse_task_detail, parse_task_list
from reconciler.github.pacing import MAX_HONOURED_WAIT, rate_limit_wait
from reconciler.models import RequestBody
from tests.client.conftest import MakeClient

GOOD = {"id": "t1", "state": "queued", "created_at": "2026-01-01T00:00:00Z"}
PREVIEW = "The API is a preview and may have changed; upgrade agenttasks or report this."


def body(**changes: object) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


@pytest.mark.parametrize(
    ("changes", "what"),
    [
        ({"created_at": "2026-01-01T00:00:00"}, "created_at: Input should have timezone info"),
        (
            {"created_at": "0001-01-01T00:00:00Z"},
            "created_at: a time between the years 1970 and 9000 was expected",
        ),
        (
            {"updated_at": "9999-12-31T23:59:59Z"},
            "updated_at: a time between the years 1970 and 9000 was expected",
        ),
        (
            {"id": "../../x"},
            "id: not a task id: expected 1-200 ASCII letters, digits, '.', '_', '~' or '-',"
            " starting with a letter or digit",
        ),
        (
            {"id": ""},
            "id: not a task id: expected 1-200 ASCII letters, digits, '.', '_', '~'"
            " or '-', starting with a letter or digit",
        ),
    ],
)
def test_a_hostile_task_is_refused_naming_the_field(changes: dict[str, object], what: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_task(body(**changes), "POST u")
    assert str(caught.value) == f"POST u: the API's answer could not be read ({what}). {PREVIEW}"


def test_a_naive_session_date_in_a_detail_is_refused() -> None:
    detail = {**GOOD, "sessions": [{"id": "s", "state": "queued", "created_at": "2026-01-01"}]}
    with pytest.raises(ApiError, match=r"\(sessions\.0\.created_at: Input should have timezone"):
        parse_task_detail(json.dumps(detail).encode(), "GET u")


def test_a_listed_task_with_a_path_for_an_id_is_refused() -> None:
    page = {"tasks": [{**GOOD, "id": "a/../b"}], "total_active_count": 1}
    with pytest.raises(ApiError, match=r"\(tasks\.0\.id: not a task id"):
        parse_task_list(json.dumps(page).encode(), "GET u")


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "9" * 400},
        {"Retry-After": "99999999999999999999"},
        {"Retry-After": "\u00b2"},
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "9" * 400},
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "-99999999999999999999"},
    ],
)
def test_an_absurd_wait_is_capped(headers: dict[str, str]) -> None:
    wait = rate_limit_wait(Response.of(429, headers), repeats=0, local_now=1767225600)
    assert wait is not None
    assert 1 <= wait.seconds <= MAX_HONOURED_WAIT + 1  # the reset's whole-second margin


def test_a_huge_retry_after_is_a_rate_limit_error_end_to_end(make_client: MakeClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "9" * 400}, json={"message": "slow"})

    client = make_client(transport=httpx.MockTransport(answer), max_wait=1)
    with pytest.raises(RateLimited) as caught:
        client.list_tasks()
    assert str(caught.value).startswith(
        "GET https://api.github.com/agents/tasks?per_page=100: 429 with retry-after 3.1536e+07s,"
        " longer than --max-wait allows (1s)."
    )


def test_a_created_task_with_a_naive_date_is_never_recorded(make_client: MakeClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        naive = {**GOOD, "created_at": "2026-01-01T00:00:00"}
        return httpx.Response(201, json=naive, headers={"Date": "Thu, 01 Jan 2026 00:00:00 GMT"})

    client = make_client(transport=httpx.MockTransport(answer))
    with pytest.raises(AmbiguousCreate, match="created_at: Input should have timezone info"):
        client.create_task("o/r", RequestBody(prompt="x"))
