"""The agent tasks client: the five agent-task endpoints and ``GET /user`` over a ``Session``
(retries, rate limits, the fan-out), with pages, the create limiter, and the ``/agents/``
confinement of every link it follows (DESIGN §7)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import httpx

from reconciler.errors import ApiError, ConfigError
from reconciler.github import diagnose, endpoints
from reconciler.github.auth import Token, find_token, gh_auth_token, resolve_api_url
from reconciler.github.endpoints import ALL_TASKS, ApiRequest, ListParams, TaskList
from reconciler.github.pacing import (
    CreateLimiter,
    CreateRate,
)
from reconciler.github.session import ClientSettings, Hooks, Session
from reconciler.github.urls import describe, inside_api, join_link
from reconciler.models import RemoteTask, RequestBody, TaskDetail

T = TypeVar("T")
R = TypeVar("R")


class AgentTasksClient(Session):
    """The five agent-task endpoints plus ``GET /user``, with retries, rate limits and paging."""

    def __init__(
        self,
        base_url: str,
        token: Token,
        *,
        transport: httpx.BaseTransport | None = None,
        settings: ClientSettings = ClientSettings(),
        hooks: Hooks = Hooks(),
    ) -> None:
        super().__init__(base_url, token, transport=transport, settings=settings, hooks=hooks)
        self._limiter = CreateLimiter(CreateRate.parse(settings.create_rate))
        self._create_lock = threading.Lock()
        self._user_id: int | None = None

    def __enter__(self) -> AgentTasksClient:
        return self

    def user_id(self) -> int:
        """The token's user id (``GET /user``, once per client); doubles as a token check."""
        with self._lock:
            cached = self._user_id
        if cached is None:
            cached = endpoints.parse_user_id(self._call(endpoints.get_user()).body, "GET /user")
            with self._lock:
                self._user_id = cached
        return cached

    def list_repo_tasks(self, repo: str, params: ListParams = ALL_TASKS) -> TaskList:
        """Every page of one repository's tasks (following ``Link``)."""
        return self._all_pages(endpoints.list_repo_tasks(repo, params))

    def list_tasks(self, params: ListParams = ALL_TASKS) -> TaskList:
        """Every page of the token user's tasks across repositories."""
        return self._all_pages(endpoints.list_tasks(params))

    def get_task(self, repo: str, task_id: str) -> TaskDetail:
        """One task of a repository, with its sessions."""
        request = endpoints.get_repo_task(repo, task_id)
        return endpoints.parse_task_detail(self._call(request).body, self._where(request))

    def get_task_by_id(self, task_id: str) -> TaskDetail:
        """One task by id alone, with its sessions."""
        request = endpoints.get_task(task_id)
        return endpoints.parse_task_detail(self._call(request).body, self._where(request))

    def create_task(self, repo: str, body: RequestBody) -> RemoteTask:
        """Start a task. Never re-sent after an ambiguous failure: raises ``CreateUnconfirmed``."""
        request = endpoints.create_task(repo, body)
        self._create_slot()
        response = self._call(request)
        try:
            return endpoints.parse_task(response.body, self._where(request))
        except ApiError as exc:
            # The server said 201: the task exists, but without its id we cannot record it.
            raise diagnose.ambiguous_create(
                self._url(request),
                detail=f"{response.status} with an unreadable body ({exc})",
                server_time=self.server_time,
                status=response.status,
            ) from None

    def create_delay(self) -> float:
        """Seconds until ``--max-create-rate`` lets the next create go (0: now).

        Apply waits this out before saving its intent, so the intent is dated by when the POST
        really leaves, not by when it started waiting.
        """
        with self._create_lock:
            return self._limiter.delay(self._hooks.monotonic())

    def count_earlier_creates(self, ages: Iterable[float]) -> None:
        """Count creates sent ``ages`` seconds ago (earlier runs, from the state): GitHub's create
        limits hold across runs, so ``--max-create-rate``'s windows start from them."""
        with self._create_lock:
            now = self._hooks.monotonic()
            for age in sorted(ages, reverse=True):
                self._limiter.record(now - max(0.0, age))

    def _create_slot(self) -> None:
        # Its own lock: a wait for the create rate must not hold up listings in other threads.
        with self._create_lock:
            while (delay := self._limiter.delay(self._hooks.monotonic())) > 0:
                self._say(f"waiting {delay:.1f}s for --max-create-rate")
                self._sleep(delay)
            self._limiter.record(self._hooks.monotonic())

    def _all_pages(self, request: ApiRequest) -> TaskList:
        url = self._url(request)
        seen, found, first = {url}, dict[str, RemoteTask](), None
        while True:
            response = self._call(request, url)
            page = endpoints.parse_task_list(response.body, describe(request.method, url))
            first = first or page
            found.update((task.id, task) for task in page.tasks)
            link = endpoints.next_url(response)
            if link is None:
                return first.model_copy(update={"tasks": tuple(found.values())})
            target = join_link(url, link)
            if not inside_api(target, self.base_url):
                raise diagnose.foreign_link(request.method, url, target=target)
            if target in seen:
                raise diagnose.pagination_loop(request.method, url, repeated=target)
            seen.add(target)
            url = target


def open_client(
    api_url: str | None,
    env: Mapping[str, str],
    *,
    settings: ClientSettings = ClientSettings(),
    hooks: Hooks = Hooks(),
    run_gh: Callable[[str], str | None] = gh_auth_token,
    sandbox: Callable[[str], httpx.BaseTransport] | None = None,
) -> AgentTasksClient:
    """The client the command line needs: API URL and token resolved from the option and env.

    A ``sandbox:PATH`` URL is served by ``sandbox(url)``, a transport the caller opens: the client
    never imports the sandbox that tests it (``commands/context.py`` passes the opener).
    """
    target = resolve_api_url(api_url, env)
    if target.is_sandbox:
        if sandbox is None:
            raise ConfigError(f"{target.url!r}: sandbox URLs are not accepted here")
        token = Token("sandbox", "the sandbox")  # no real token is ever handed to it
        return AgentTasksClient(
            "http://localhost", token, transport=sandbox(target.url), settings=settings, hooks=hooks
        )
    token = find_token(env, api_url=target.url, run_gh=run_gh)
    return AgentTasksClient(target.url, token, settings=settings, hooks=hooks)
