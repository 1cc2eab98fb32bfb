"""``sandbox:PATH[?speed=X&seed=N&user_id=N]``: the sandbox in-process, its tasks kept in PATH.

PATH is relative to the working directory. The file is read when the URL is opened and replaced
atomically after every request that may have changed it (any method but GET). The real clock is
used and no token is needed (any token, or none, acts as ``user_id``, default 1).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

import httpx

from reconciler.sandbox import persist
from reconciler.sandbox.badinput import SandboxInputError
from reconciler.sandbox.inprocess import Sandbox
from reconciler.sandbox.wire import Request, Response

PREFIX = "sandbox:"


def open_sandbox(url: str) -> tuple[Sandbox, Path]:
    """The sandbox a ``sandbox:`` URL names, loaded from its file, and that file's path.

    Raises ``SandboxInputError`` naming the URL for a malformed URL or an unreadable data file.
    """
    if not url.startswith(PREFIX):
        raise SandboxInputError(f"{url!r} is not a sandbox:PATH URL")
    location, _, raw_query = url[len(PREFIX) :].partition("?")
    if not location:
        raise SandboxInputError(f"{url!r} names no file: use sandbox:PATH")
    options = dict(parse_qsl(raw_query, keep_blank_values=True))
    unknown = set(options) - {"speed", "seed", "user_id"}
    if unknown:
        names = ", ".join(sorted(unknown))
        raise SandboxInputError(
            f"{url!r}: unknown sandbox option(s) {names}; use speed, seed, user_id"
        )
    try:
        sandbox = Sandbox(
            user_id=int(options.get("user_id", "1")),
            speed=float(options.get("speed", "1")),
            seed=int(options.get("seed", "0")),
            anonymous=True,
        )
        path = Path(location)
        persist.load(sandbox.store, path)
    except (ValueError, KeyError, TypeError, OSError) as bad:
        raise SandboxInputError(f"{url!r}: {bad}") from None
    return sandbox, path


def open_sandbox_url(url: str) -> httpx.BaseTransport:
    """An httpx transport for ``sandbox:PATH?speed=50&seed=1`` (see the module docstring)."""
    sandbox, path = open_sandbox(url)
    return _FileBacked(sandbox, path)


class _FileBacked(httpx.BaseTransport):
    """The sandbox behind one ``sandbox:PATH``, kept in step with its file: read again before a
    request when someone else wrote it since (a second client of the same run, such as the
    state branch's beside the agent tasks one, or another process), saved after every request
    that may have changed it."""

    def __init__(self, sandbox: Sandbox, path: Path) -> None:
        self._sandbox, self._path = sandbox, path
        self._seen = _signature(path)
        self._inner = sandbox.transport(after=self._save)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if _signature(self._path) != self._seen:
            persist.load(self._sandbox.store, self._path)
            self._seen = _signature(self._path)
        return self._inner.handle_request(request)

    def _save(self, request: Request, response: Response) -> None:
        if request.method.upper() != "GET":
            persist.save(self._sandbox.store, self._path)
            self._seen = _signature(self._path)


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns
