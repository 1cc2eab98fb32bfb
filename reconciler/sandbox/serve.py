"""The HTTP adapter: ``agenttasks sandbox serve`` answers ``handle`` over aiohttp.

Latency and holds are ``await asyncio.sleep`` (other requests keep flowing). ``reset`` and
``refused`` close the connection with a TCP reset before the request is processed (a served
socket cannot truly refuse a connection it has accepted, so both look like a reset);
``commit_then_drop`` closes it cleanly, without an answer, after the store committed.
Control routes answer loopback peers only. Prints ``sandbox listening on http://HOST:PORT``
once ready; stops on SIGINT/SIGTERM.
"""

from __future__ import annotations

import asyncio
import ipaddress
import signal
import socket
import struct
import sys
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl

from aiohttp import web

from reconciler.sandbox import persist
from reconciler.sandbox.badinput import SandboxInputError
from reconciler.sandbox.clock import real_clock
from reconciler.sandbox.faults import FaultRule
from reconciler.sandbox.handler import handle
from reconciler.sandbox.inprocess import Sandbox
from reconciler.sandbox.observe import notify
from reconciler.sandbox.wire import Effect, Request, Response


@lru_cache(maxsize=256)  # few peers, many requests: parse each address once
def _loopback(peer: str | None) -> bool:
    try:
        return peer is not None and ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False


async def _plain(request: web.BaseRequest) -> Request:
    return Request(
        method=request.method,
        path=request.raw_path.split("?", 1)[0],
        query=tuple(parse_qsl(request.query_string, keep_blank_values=True)),
        headers=tuple((k.lower(), v) for k, v in request.headers.items()),
        body=await request.read(),
        base_url=f"{request.scheme}://{request.host}",
        control=_loopback(request.remote),
    )


def _close(request: web.BaseRequest, *, reset: bool) -> None:
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if reset and sock is not None:
        # SO_LINGER 0 makes close() send RST: the client sees a reset, not a clean EOF.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class _App:
    def __init__(self, sandbox: Sandbox, data: Path | None) -> None:
        self.sandbox = sandbox
        self.data = data

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        plain = await _plain(request)
        answer = handle(self.sandbox.store, plain, real_clock())
        if self.data is not None and plain.method.upper() != "GET":
            persist.save(self.sandbox.store, self.data)
        notify(plain, answer)
        if answer.latency_seconds > 0:
            await asyncio.sleep(answer.latency_seconds)
        return await self._enact(request, answer)

    async def _enact(self, request: web.BaseRequest, answer: Response) -> web.StreamResponse:
        if answer.effect in (Effect.RESET, Effect.REFUSED, Effect.DROP):
            # A drop is a clean close after the commit (the client reads EOF where a response
            # should be); reset and refused are a TCP reset.
            _close(request, reset=answer.effect is not Effect.DROP)
            raise asyncio.CancelledError  # aiohttp's quiet way out of a closed connection
        if answer.effect is Effect.HOLD:
            await asyncio.sleep(answer.hold_seconds)
        headers = [(k, v) for k, v in answer.headers if k.lower() != "content-length"]
        return web.Response(status=answer.status, body=answer.body, headers=headers)


async def _run(app: _App, host: str, port: int) -> None:
    # The low-level server, not an Application: no router to normalise or refuse odd paths,
    # every request reaches ``handle`` exactly as sent.
    # A held response must not keep a stopping sandbox alive for long.
    server = web.Server(app, access_log=None)
    runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    bound = runner.addresses[0]
    shown = f"[{host}]" if ":" in host else host
    sys.stdout.write(f"sandbox listening on http://{shown}:{bound[1]}\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def serve(
    *,
    host: str,
    port: int,
    data: Path | None,
    token: str | None,
    user_id: int,
    repos: list[str],
    speed: float,
    seed: int,
    latency_ms: int,
    faults: list[str],
    normalise: bool = False,
    omit_session_fields: list[str] | None = None,
) -> None:
    """Serve a sandbox until SIGINT or SIGTERM (see the module docstring)."""
    if speed <= 0:
        raise SandboxInputError(f"--speed {speed} must be positive")
    try:
        sandbox = Sandbox(
            user_id=user_id,
            token=token,
            repos=repos or None,
            speed=speed,
            seed=seed,
            latency_ms=latency_ms,
            normalise=normalise,
            omit_session_fields=omit_session_fields or (),
        )
    except ValueError as bad:
        raise SandboxInputError(f"--omit-session-field: {bad}") from None
    for text in faults:
        try:
            sandbox.add_fault(FaultRule.parse(text))
        except ValueError as bad:
            raise SandboxInputError(f"--fault {text!r}: {bad}") from None
    if data is not None:
        try:
            persist.load(sandbox.store, data)
        except (ValueError, OSError) as bad:
            raise SandboxInputError(f"--data: {bad}") from None
    try:
        asyncio.run(_run(_App(sandbox, data), host, port))
    except OSError as bad:  # the port is taken, or the host is not ours
        raise SandboxInputError(f"cannot listen on {host}:{port}: {bad.strerror or bad}") from None
