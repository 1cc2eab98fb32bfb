"""One API session: the retry loop, rate-limit waits, the fan-out and the ``-v`` log around one
``Exchange``, for any of our clients (the agent tasks client, the repository client).

The decisions are the pure ``endpoints``, ``urls``, ``pacing`` and ``diagnose``; ``exchange`` holds
the one ``httpx.Client`` of a session, shared by a bounded thread pool. Time, sleep, randomness,
logging and warnings are injected (``Hooks``) so tests run on a fake clock. The token is only ever
put in the Authorization header: messages and logs never see it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, TypeVar

import httpx

from reconciler import defaults
from reconciler.errors import TransportError
from reconciler.github import diagnose
from reconciler.github.auth import Token, check_base_url
from reconciler.github.endpoints import ApiRequest, Response
from reconciler.github.exchange import Exchange
from reconciler.github.pacing import Wait, idempotent, not_sent_only, rate_limit_wait
from reconciler.github.urls import describe, split_repo

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


class Session:
    """Requests with retries and waits; subclasses add the endpoints they serve."""

    # A POST is sent again only when it never left, unless every POST a subclass serves makes
    # the same thing when sent twice: then it is retried like a GET.
    posts_are_idempotent: ClassVar[bool] = False

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
        self._get_policy = idempotent(retries=settings.get_retries, rand=hooks.rand)
        self._post_policy = (
            self._get_policy if self.posts_are_idempotent else not_sent_only(rand=hooks.rand)
        )
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._exchange = Exchange(
            token,
            api_version=settings.api_version,
            timeouts=self._read_timeout,
            transport=transport,
            monotonic=hooks.monotonic,
            log=hooks.log,
            warn=hooks.warn,
        )

    def __enter__(self) -> Session:
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

    @property
    def server_now(self) -> datetime | None:
        """The server's clock now: the last ``Date`` plus the monotonic time since it came."""
        return self._exchange.server_now

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


class RepoSession(Session):
    """A session bound to one repository (``owner/name``, checked): the git data and comment
    clients, which use the repository token."""

    def __init__(
        self,
        base_url: str,
        token: Token,
        repo: str,
        *,
        transport: httpx.BaseTransport | None = None,
        settings: ClientSettings = ClientSettings(),
        hooks: Hooks = Hooks(),
    ) -> None:
        super().__init__(base_url, token, transport=transport, settings=settings, hooks=hooks)
        split_repo(repo)
        self.repo = repo
