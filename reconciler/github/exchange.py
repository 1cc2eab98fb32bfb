"""One HTTP exchange over httpx: the only code that touches the network library.

It sends one request, follows redirects without leaking the token, and turns whatever httpx
returns or raises into an ``Answer`` the pure retry rules understand. Retries, waits and pages
are the client's business, one level up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import httpx

from reconciler import __version__
from reconciler.github import diagnose, endpoints, tls
from reconciler.github.auth import Token
from reconciler.github.endpoints import ApiRequest, Response
from reconciler.github.pacing import Answer, TransportFailure
from reconciler.github.urls import redact_url, redirect_target

MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 10.0
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Raised before a byte of the request left: the server certainly did not act on it.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class Exchange:
    """Sends requests with the token's headers; remembers the server's clock; logs each one."""

    def __init__(
        self,
        token: Token,
        *,
        api_version: str,
        timeouts: Callable[[str], float],
        transport: httpx.BaseTransport | None,
        monotonic: Callable[[], float],
        log: Callable[[str], None] | None,
        warn: Callable[[str], None] | None,
    ) -> None:
        self._token, self._api_version, self._timeouts = token, api_version, timeouts
        self._monotonic, self._log, self._warn = monotonic, log, warn
        self._lock = threading.Lock()
        self._server_time: datetime | None = None
        self._server_seen = 0.0  # the local monotonic time when ``_server_time`` arrived
        self._warned = False
        self._http = httpx.Client(
            transport=transport,
            verify=tls.context() if transport is None else True,  # one CA bundle load a process
            follow_redirects=False,
            timeout=30.0,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    @property
    def server_time(self) -> datetime | None:
        """The ``Date`` of the last answer received: the server's clock, for intents."""
        with self._lock:
            return self._server_time

    @property
    def server_now(self) -> datetime | None:
        """The server's clock now, estimated: the last answer's ``Date`` plus the local monotonic
        time elapsed since it arrived (DESIGN §3: the time an intent's POST leaves)."""
        with self._lock:
            if self._server_time is None:
                return None
            elapsed = max(0.0, self._monotonic() - self._server_seen)
            return self._server_time + timedelta(seconds=elapsed)

    def __call__(self, request: ApiRequest, url: str) -> Answer:
        """One request, following redirects: Authorization goes only to the same scheme, host
        and port, and a redirect from https to http is refused."""
        headers = {**self._headers(), **dict(request.headers)}
        for _ in range(MAX_REDIRECTS + 1):
            outcome = self._send(request, url, headers)
            if not isinstance(outcome, Response) or outcome.status not in _REDIRECTS:
                return outcome
            location = outcome.header("location")
            if location is None:
                return outcome
            try:
                target, same_origin = redirect_target(url, location)
            except ValueError as exc:
                raise diagnose.bad_redirect(request.method, url, str(exc)) from None
            if not same_origin and request.body is not None:
                # A body (a prompt) goes to the API's origin only, whatever the status code.
                raise diagnose.bad_redirect(
                    request.method,
                    url,
                    f"refused a redirect to {redact_url(target)}, which would send the request's"
                    " body to another host",
                )
            url = target
            if not same_origin:
                headers = {k: v for k, v in headers.items() if k != "Authorization"}
        raise diagnose.bad_redirect(request.method, url, f"more than {MAX_REDIRECTS} redirects")

    def say(self, line: str) -> None:
        """A ``-v`` log line, with the token scrubbed should anything have echoed it."""
        if self._log is not None:
            self._log(self.scrub(line))

    def scrub(self, text: str) -> str:
        """``text`` with the token replaced by ``***``."""
        secret = self._token.reveal()
        return text.replace(secret, "***") if secret else text

    def _headers(self) -> dict[str, str]:
        return {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": self._api_version,
            "User-Agent": f"agenttasks/{__version__}",
            "Authorization": f"Bearer {self._token.reveal()}",
        }

    def _send(self, request: ApiRequest, url: str, headers: Mapping[str, str]) -> Answer:
        started = self._monotonic()
        outcome: Answer
        try:
            reply = self._http.request(
                request.method,
                url,
                headers=headers,
                json=request.body,
                timeout=httpx.Timeout(CONNECT_TIMEOUT, read=self._timeouts(request.method)),
            )
            outcome = Response.of(reply.status_code, reply.headers.multi_items(), reply.content)
            self._observe(outcome)
        except httpx.RequestError as exc:  # transport failures, and a body that cannot be decoded
            detail = self.scrub(f"{type(exc).__name__}: {exc}")
            outcome = TransportFailure(sent=not isinstance(exc, _NOT_SENT), detail=detail)
        if self._log is not None:  # the line costs a URL parse: made only for -v
            seconds = self._monotonic() - started
            self.say(diagnose.log_line(request.method, url, seconds=seconds, outcome=outcome))
        return outcome

    def _observe(self, response: Response) -> None:
        moment = endpoints.server_time(response)
        notice = endpoints.deprecation_notice(response, self._api_version)
        with self._lock:
            if moment is not None:
                self._server_time, self._server_seen = moment, self._monotonic()
            first = notice is not None and not self._warned
            self._warned = self._warned or first
        if first and notice and self._warn:
            self._warn(notice)
