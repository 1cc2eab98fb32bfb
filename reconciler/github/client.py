"""The agent tasks client: retries, rate limits, pages and concurrency around one ``Exchange``.

The decisions are the pure ``api``, ``urls``, ``ratelimit`` and ``diagnose``; ``exchange`` holds the
one ``httpx.Client`` of a run, shared by a bounded thread pool for listings across repositories.
Time, sleep, randomness, logging and warnings are injected (``Hooks``) so tests run on a fake
clock. The token is only ever put in the Authorization header: messages and logs never see it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import httpx

from reconciler import defaults
from reconciler.errors import ApiError, ConfigError, TransportError
from reconciler.github import diagnose, endpoints
from reconciler.github.auth import Token, check_base_url, find_token, gh_auth_token, resolve_api_url
from reconciler.github.endpoints import ALL_TASKS, ApiRequest, ListParams, Response, TaskList
from reconciler.github.exchange import Exchange
from reconciler.github.pacing import (
    CreateLimiter,
    CreateRate,
    Wait,
    idempotent,
    not_sent_only,
    rate_limit_wait,
)
from reconciler.github.urls import describe, inside_api, join_link
from reconciler.models import RemoteTask, RequestBody, TaskDetail

T = TypeVar("T")
R = TypeVar("R")

# --max-wait bounds rate-limit waiting; this only stops a server asking for tiny waits forever.
MAX_RATE_LIMIT_WAITS = 30


@dataclass(frozen=True, kw_only=True)
class ClientSettings:
    """The knobs the command line sets (DESIGN §6)."""

    api_version: str = defaults.API_VERSION
    max_wait: float = defaults.MAX_WAIT
    post_timeout: float = defaults.POST_TIMEOUT
    get_timeout: float = defaults.GET_TIMEOUT
    concurrency: int = defaults.CONCURRENCY
    create_rate: str = defaults.CREATE_RATE
    get_retries: int = 4


@dataclass(frozen=True, kw_only=True)
class Hooks:
    """The client's effects, injected: wall clock, sleep, jitter, ``-v`` log, warnings.

    ``sleep=None`` (the default) waits on an event that ``close()`` or an interrupted
    ``fan_out`` sets, so no worker thread outlives Ctrl-C in a long rate-limit wait.
    """

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] | None = None
    rand: Callable[[], float] = random.random
    monotonic: Callable[[], float] = time.perf_counter
    log: Callable[[str], None] | None = None
    warn: Callable[[str], None] | None = None


class AgentTasksClient:
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
        self.base_url = check_base_url(base_url)
        self.settings, self._hooks, self._token = settings, hooks, token
        self._limiter = CreateLimiter(CreateRate.parse(settings.create_rate))
        self._get_policy = idempotent(retries=settings.get_retries, rand=hooks.rand)
        self._post_policy = not_sent_only(rand=hooks.rand)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._create_lock = threading.Lock()
        self._user_id: int | None = None
        self._exchange = Exchange(
            token,
            api_version=settings.api_version,
            timeouts=self._read_timeout,
            transport=transport,
            monotonic=hooks.monotonic,
            log=hooks.log,
            warn=hooks.warn,
        )

    def __enter__(self) -> AgentTasksClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool and end any wait in progress."""
        self._stop.set()
        self._exchange.close()

    @property
    def server_time(self) -> datetime | None:
        """The ``Date`` of the last answer received: the server's clock, for intents."""
        return self._exchange.server_time

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

    def fan_out(self, work: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``work`` on each item, at most ``settings.concurrency`` at once; results in order.

        The run's one fan-out. On any exception, Ctrl-C included, it stops the other workers'
        waits (their sleeps end at once), cancels what has not started and returns without
        waiting for the pool: a worker in a 600 s rate-limit wait must not hold the exit.
        """
        todo = list(items)
        if not todo:
            return []
        workers = max(1, min(self.settings.concurrency, len(todo)))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="agenttasks")
        try:
            return [future.result() for future in [pool.submit(work, item) for item in todo]]
        except BaseException:
            self._stop.set()
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

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
            return self._limiter.delay(self._hooks.clock())

    def _create_slot(self) -> None:
        # Its own lock: a wait for the create rate must not hold up listings in other threads.
        with self._create_lock:
            while (delay := self._limiter.delay(self._hooks.clock())) > 0:
                self._say(f"waiting {delay:.1f}s for --max-create-rate")
                self._sleep(delay)
            self._limiter.record(self._hooks.clock())

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

    def _url(self, request: ApiRequest) -> str:
        return self.base_url + request.target

    def _where(self, request: ApiRequest) -> str:
        return describe(request.method, self._url(request))

    def _call(self, request: ApiRequest, url: str | None = None) -> Response:
        """Send until the answer is final: retries, rate-limit waits, then success or an error."""
        url = url or self._url(request)
        policy = self._post_policy if request.method == "POST" else self._get_policy
        retries, waits, waited = 0, 0, 0.0
        while True:
            outcome = self._exchange(request, url)
            if isinstance(outcome, Response) and 200 <= outcome.status < 300:
                return outcome
            if isinstance(outcome, Response):
                wait = rate_limit_wait(outcome, repeats=waits, local_now=self._hooks.clock())
                if wait is not None:
                    waits, waited = waits + 1, waited + wait.seconds
                    self._check_wait(request, url, outcome, wait, waited, waits)
                    self._pause(request.method, url, wait.seconds, wait.reason)
                    continue
            decision = policy(outcome, retries)
            if decision is None:
                error = diagnose.final_error(
                    request,
                    outcome,
                    url=url,
                    attempts=retries + waits + 1,
                    token_source=self._token.source,
                    api_version=self.settings.api_version,
                    server_time=self.server_time,
                )
                # The API's own message is quoted: a server echoing the header must not leak it.
                error.args = tuple(self._exchange.scrub(str(arg)) for arg in error.args)
                raise error
            retries += 1
            self._pause(request.method, url, decision.delay, decision.reason)

    def _check_wait(
        self, request: ApiRequest, url: str, answer: Response, wait: Wait, waited: float, waits: int
    ) -> None:
        # --max-wait bounds the time spent waiting on one request, whatever the number of waits.
        if waited <= self.settings.max_wait and waits <= MAX_RATE_LIMIT_WAITS:
            return
        raise diagnose.rate_limited(
            request.method,
            url,
            reason=wait.reason,
            max_wait=self.settings.max_wait,
            retry_at=self._hooks.clock() + wait.seconds,
            status=answer.status,
        )

    def _pause(self, method: str, url: str, seconds: float, reason: str) -> None:
        self._say(f"retrying {describe(method, url)} in {seconds:.1f}s: {reason}")
        self._sleep(seconds)

    def _sleep(self, seconds: float) -> None:
        if self._hooks.sleep is not None:
            self._hooks.sleep(seconds)
        elif self._stop.wait(seconds):
            raise TransportError("Stopped while waiting to retry: the client was closed.")

    def _read_timeout(self, method: str) -> float:
        return self.settings.post_timeout if method == "POST" else self.settings.get_timeout

    def _say(self, line: str) -> None:
        self._exchange.say(line)


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
