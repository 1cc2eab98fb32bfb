"""The agent tasks endpoints without I/O, in the manner of gidgethub's ``sansio``.

Values in, values out: requests are built as :class:`ApiRequest`, answers arrive as
:class:`Response` (status, lower-cased headers, body bytes) and are parsed into the domain models.
No httpx, no clock, no environment. Path rules live in ``urls``, errors in words in ``diagnose``,
retries and rate-limit waits in ``ratelimit``; all three are pure as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlencode

from pydantic import BaseModel, ValidationError

from reconciler.errors import ApiError
from reconciler.github.urls import format_time, parse_link, repo_tasks_path, task_segment
from reconciler.models import Lenient, RemoteTask, RequestBody, TaskDetail, TaskState


@dataclass(frozen=True)
class ApiRequest:
    """One request to make: ``target`` is the percent-encoded path and query under the base URL."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: Mapping[str, object] | None = None
    what: str = "the resource"  # for messages: "repository octo/web", "task 3f9a in octo/web"
    repo: str | None = None
    headers: tuple[tuple[str, str], ...] = ()  # beyond the defaults: a media type, no-cache

    @property
    def target(self) -> str:
        """Path plus query string, as appended to the API base URL."""
        return f"{self.path}?{urlencode(self.query)}" if self.query else self.path


@dataclass(frozen=True)
class ListParams:
    """Filters and paging of both list endpoints; ``creator_ids`` only exists per repository."""

    per_page: int = 100
    page: int | None = None
    sort: str | None = None
    direction: str | None = None
    states: tuple[TaskState, ...] = ()
    is_archived: bool | None = None
    since: datetime | None = None
    creator_ids: tuple[int, ...] = ()

    def query(self) -> tuple[tuple[str, str], ...]:
        """The query parameters, in a fixed order; ``creator_id`` repeated once per id."""
        if not 1 <= self.per_page <= 100:
            raise ValueError(f"per_page must be 1..100, not {self.per_page}")
        if self.page is not None and self.page < 1:
            raise ValueError(f"page must be >= 1, not {self.page}")
        if self.sort not in (None, "created_at", "updated_at"):
            raise ValueError(f"sort must be created_at or updated_at, not {self.sort!r}")
        if self.direction not in (None, "asc", "desc"):
            raise ValueError(f"direction must be asc or desc, not {self.direction!r}")
        pairs = [("per_page", str(self.per_page))]
        if self.page is not None:
            pairs.append(("page", str(self.page)))
        pairs += [(k, v) for k, v in (("sort", self.sort), ("direction", self.direction)) if v]
        if self.states:
            pairs.append(("state", ",".join(_state_values(self.states))))
        if self.is_archived is not None:
            pairs.append(("is_archived", "true" if self.is_archived else "false"))
        if self.since is not None:
            pairs.append(("since", format_time(self.since)))
        pairs += [("creator_id", str(i)) for i in sorted(set(self.creator_ids))]
        return tuple(pairs)


ALL_TASKS = ListParams()


def _state_values(states: Iterable[TaskState]) -> list[str]:
    values = sorted({s.value for s in states})
    if TaskState.UNKNOWN.value in values:
        raise ValueError("cannot filter on the 'unknown' state")
    return values


def list_repo_tasks(repo: str, params: ListParams = ALL_TASKS) -> ApiRequest:
    """``GET /agents/repos/{owner}/{repo}/tasks`` with every filter of ``params``."""
    return ApiRequest(
        "GET", repo_tasks_path(repo), params.query(), what=f"repository {repo}", repo=repo
    )


def create_task(repo: str, body: RequestBody) -> ApiRequest:
    """``POST /agents/repos/{owner}/{repo}/tasks`` with the normalised body."""
    return ApiRequest(
        "POST", repo_tasks_path(repo), body=body.to_json(), what=f"repository {repo}", repo=repo
    )


def get_repo_task(repo: str, task_id: str) -> ApiRequest:
    """``GET /agents/repos/{owner}/{repo}/tasks/{task_id}``: one task with its sessions."""
    path = f"{repo_tasks_path(repo)}/{task_segment(task_id)}"
    return ApiRequest("GET", path, what=f"task {task_id} in {repo}", repo=repo)


def list_tasks(params: ListParams = ALL_TASKS) -> ApiRequest:
    """``GET /agents/tasks``: the token user's tasks across repositories (no ``creator_id``)."""
    if params.creator_ids:
        raise ValueError("GET /agents/tasks has no creator_id filter")
    return ApiRequest("GET", "/agents/tasks", params.query(), what="the token's tasks")


def get_task(task_id: str) -> ApiRequest:
    """``GET /agents/tasks/{task_id}``: one task with its sessions, whatever its repository."""
    return ApiRequest("GET", f"/agents/tasks/{task_segment(task_id)}", what=f"task {task_id}")


def get_user() -> ApiRequest:
    """``GET /user``: the token's user; the one request outside ``/agents/``."""
    return ApiRequest("GET", "/user", what="the token's user")


@dataclass(frozen=True)
class Response:
    """An answer as plain values; header names are lower-cased."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def of(
        cls, status: int, headers: Mapping[str, str] | Iterable[tuple[str, str]], body: bytes = b""
    ) -> Response:
        """Build from any header collection (later duplicates are joined with ', ')."""
        merged: dict[str, str] = {}
        items = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in items:
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        return cls(status, merged, body)

    def header(self, name: str) -> str | None:
        """A header's value, or None."""
        return self.headers.get(name.lower())


class TaskList(Lenient):
    """A page (or every page) of a list endpoint."""

    tasks: tuple[RemoteTask, ...]
    total_active_count: int | None = None
    total_archived_count: int | None = None


class ErrorItem(Lenient):
    """One entry of a 422's ``errors[]``."""

    code: str | None = None
    field: str | None = None
    resource: str | None = None
    message: str | None = None


class ErrorBody(Lenient):
    """GitHub's error body; every field optional because a proxy may answer instead."""

    message: str | None = None
    documentation_url: str | None = None
    errors: tuple[ErrorItem, ...] = ()


class _User(Lenient):
    id: int


_M = TypeVar("_M", bound=BaseModel)


def parse_model(model: type[_M], body: bytes, where: str) -> _M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(
            f"{where}: the API's answer could not be read ({loc}: {first['msg']}). The API is a"
            " preview and may have changed; upgrade agenttasks or report this."
        ) from None


def parse_task(body: bytes, where: str = "response") -> RemoteTask:
    """A created or listed task."""
    return parse_model(RemoteTask, body, where)


def parse_task_detail(body: bytes, where: str = "response") -> TaskDetail:
    """A task with its sessions."""
    return parse_model(TaskDetail, body, where)


def parse_task_list(body: bytes, where: str = "response") -> TaskList:
    """A list page: ``{"tasks": [...], "total_active_count", "total_archived_count"}``."""
    return parse_model(TaskList, body, where)


def parse_user_id(body: bytes, where: str = "response") -> int:
    """The ``id`` of ``GET /user``."""
    return parse_model(_User, body, where).id


def parse_error(body: bytes) -> ErrorBody:
    """The error body, or an empty one when the body is not GitHub's JSON."""
    try:
        return ErrorBody.model_validate_json(body)
    except ValidationError:
        return ErrorBody()


def next_url(response: Response) -> str | None:
    """The ``rel="next"`` URL of a list page, if there are more pages."""
    return parse_link(response.header("link")).get("next")


def http_date(value: str | None) -> datetime | None:
    """An HTTP-date (``Date``, ``Sunset``) as an aware datetime, or None when absent or bad."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def server_time(response: Response) -> datetime | None:
    """The server's clock, from the ``Date`` header."""
    return http_date(response.header("date"))


def deprecation_notice(response: Response, api_version: str) -> str | None:
    """A warning when ``Deprecation`` or ``Sunset`` says the API version is going away."""
    deprecation, sunset = response.header("deprecation"), response.header("sunset")
    if not deprecation and not sunset:
        return None
    when = http_date(sunset)
    until = f" and stops working on {when:%Y-%m-%d}" if when else ""
    return (
        f"GitHub says API version {api_version} is deprecated{until}; set --api-version to a"
        " newer version (see https://docs.github.com/rest/about-the-rest-api/api-versions)."
    )
