"""The in-process adapter: ``handle`` behind an ``httpx.MockTransport``.

Faults become what httpx would raise over a real connection: ``reset`` → ``httpx.ReadError`` and
``refused`` → ``httpx.ConnectError`` (both before the store is touched); ``commit_then_drop`` →
``httpx.RemoteProtocolError`` after the store committed; ``commit_then_hold`` →
``httpx.ReadTimeout`` after the commit when the hold is longer than the request's read timeout,
else the 201 at once. Latency is not slept in-process (tests stay fast); it is ignored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl

import httpx

from reconciler.sandbox.handler import handle
from reconciler.sandbox.observe import notify
from reconciler.sandbox.store import Store
from reconciler.sandbox.wire import Effect, Request, Response


def to_plain(request: httpx.Request, *, control: bool) -> Request:
    """An httpx request as the core's plain values."""
    raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
    query = tuple(parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True))
    return Request(
        method=request.method,
        path=raw_path,
        query=query,
        headers=tuple((k.lower(), v) for k, v in request.headers.items()),
        body=request.read(),
        base_url=f"{request.url.scheme}://{request.url.netloc.decode('ascii')}",
        control=control,
    )


def _read_timeout(request: httpx.Request) -> float | None:
    timeouts = request.extensions.get("timeout")
    if isinstance(timeouts, dict):
        value = timeouts.get("read")
        return float(value) if isinstance(value, int | float) else None
    return None


def enact(request: httpx.Request, answer: Response) -> httpx.Response:
    """Perform the answer's effect as httpx would see it over a socket."""
    if answer.effect is Effect.RESET:
        raise httpx.ReadError("Connection reset by peer (sandbox fault)", request=request)
    if answer.effect is Effect.REFUSED:
        raise httpx.ConnectError("Connection refused (sandbox fault)", request=request)
    if answer.effect is Effect.DROP:
        message = "Server disconnected without sending a response (sandbox fault)."
        raise httpx.RemoteProtocolError(message, request=request)
    if answer.effect is Effect.HOLD:
        timeout = _read_timeout(request)
        if timeout is not None and answer.hold_seconds > timeout:
            raise httpx.ReadTimeout("The read operation timed out (sandbox fault)", request=request)
    return httpx.Response(answer.status, headers=list(answer.headers), content=answer.body)


def make_transport(
    store: Store,
    clock: Callable[[], datetime],
    lock: threading.Lock,
    after: Callable[[Request, Response], None] | None = None,
) -> httpx.MockTransport:
    """A transport answering from ``store``; ``after`` runs under the lock (e.g. to persist)."""

    def respond(request: httpx.Request) -> httpx.Response:
        plain = to_plain(request, control=True)
        with lock:
            answer = handle(store, plain, clock())
            if after is not None:
                after(plain, answer)
        notify(plain, answer)
        return enact(request, answer)

    return httpx.MockTransport(respond)
