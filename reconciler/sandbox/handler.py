"""The sandbox's pure core: ``handle(store, request, now) -> Response``.

No I/O and no clock: the adapter passes ``now`` and performs the response's ``effect``. Order of
work for one request: record, route (404 / 405), faults that strike before processing, API
version, authentication, rate limit, a ``race`` fault's other writer (git ref writes), the
operation, faults that strike after a commit, and the headers every GitHub response carries
(``Date``, ``x-ratelimit-*``, ``x-github-request-id``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import unquote

from reconciler.sandbox import control, endpoints
from reconciler.sandbox.endpoints import Caller
from reconciler.sandbox.gitrefs import lose_race
from reconciler.sandbox.inject import Strike, strike
from reconciler.sandbox.quota import count, rate_headers
from reconciler.sandbox.routes import ALLOW, OPERATIONS, dispatch_repo, route
from reconciler.sandbox.store import RecordedRequest, Store
from reconciler.sandbox.wire import Request, Response, error

API_VERSIONS = ("2022-11-28", "2026-03-10")
INSTALLATION_PREFIX = "ghs_"  # GitHub App installation tokens
USER_DOCS = "https://docs.github.com/rest/users/users#get-the-authenticated-user"


def _record(store: Store, request: Request, now: datetime) -> RecordedRequest:
    try:
        body = json.loads(request.body) if request.body else None
    except (ValueError, UnicodeDecodeError):
        body = None
    entry = RecordedRequest(request.method.upper(), unquote(request.path), request.query, body, now)
    store.record(entry)
    return entry


def _who(store: Store, request: Request, entry: RecordedRequest) -> int:
    """The user the request's token acts as (0: refused), kept on its record."""
    entry.user_id = _user(store, request)
    return entry.user_id


def _token(request: Request) -> str | None:
    value = request.header("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "token") and token.strip() else ""


def authenticate(store: Store, request: Request) -> int | Response:
    """The caller's user id, or the 401 GitHub gives."""
    token = _token(request)
    config = store.config
    if token is None:
        if config.anonymous:
            return config.user_id
        return error(401, "Requires authentication")
    if not token:  # another scheme (Basic …) or an empty token
        return error(401, "Bad credentials")
    if token in store.tokens:
        return store.tokens[token]
    if config.token is not None and token != config.token:
        return error(401, "Bad credentials")
    return config.user_id


def _dispatch(
    store: Store, request: Request, name: str, params: list[str], caller: Caller
) -> Response:
    if name == "user":
        if caller.installation:
            # GitHub: an installation token has no user; /user is not for integrations.
            return error(403, "Resource not accessible by integration", docs=USER_DOCS)
        return endpoints.user(caller, request.base_url)
    if name not in ("tasks", "task", "task-repo", "tasks-repo"):
        return dispatch_repo(store, request, name, params, caller)
    if name == "tasks":
        return endpoints.list_for_user(store, request, caller)
    if name == "task":
        return endpoints.get_task(store, request, params[0], None, caller.now)
    owner, repo = params[0], params[1]
    if name == "task-repo":
        return endpoints.get_task(store, request, params[2], f"{owner}/{repo}", caller.now)
    if request.method.upper() == "POST":
        return endpoints.create_task(store, request, owner, repo, caller)
    return endpoints.list_for_repo(store, request, owner, repo, caller.now)


def _version_problem(request: Request) -> Response | None:
    version = request.header("x-github-api-version")
    if version is None or version in API_VERSIONS:
        return None
    return error(400, f"{version!r} is not a supported version for this endpoint.")


def _operate(
    store: Store,
    request: Request,
    name: str,
    params: list[str],
    entry: RecordedRequest,
    race: Strike | None = None,
) -> Response:
    now = entry.time
    if (problem := _version_problem(request)) is not None:
        return problem
    who = authenticate(store, request)
    if isinstance(who, Response):
        return who
    if not count(store, who, now):
        return error(403, f"API rate limit exceeded for user ID {who}.")
    caller = Caller(who, now, (_token(request) or "").startswith(INSTALLATION_PREFIX))
    if race is not None and lose_race(store, request, name, params, caller):
        entry.fault = race.kind
    elif race is not None:
        race.fault.fired -= 1  # nothing to race here, so the rule is not spent
    return _dispatch(store, request, name, params, caller)


def _user(store: Store, request: Request) -> int:
    who = authenticate(store, request)
    return who if isinstance(who, int) else 0


@dataclass
class _Extra:
    """What ``_finish`` adds to an answer beyond the common headers."""

    operation: str | None = None
    user_id: int = 0
    latency: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()
    version: str = API_VERSIONS[0]


def handle(store: Store, request: Request, now: datetime) -> Response:
    """Answer one request, changing the store as the API would."""
    if request.path.startswith("/_sandbox/"):
        answer = control.handle_control(store, request, now) if request.control else None
        return _finish(answer or endpoints.not_found(), store, store.effective_now(now))
    now = store.effective_now(now)
    entry = _record(store, request, now)
    user_id = _who(store, request, entry)
    found = route(request.path)
    if found is None:
        return _finish(endpoints.not_found(), store, now, _Extra(user_id=user_id))
    name, params = found
    operation = OPERATIONS.get((name, entry.method))
    if operation is None:
        refusal = error(405, "Method Not Allowed", ("allow", ALLOW[name]))
        return _finish(refusal, store, now, _Extra(user_id=user_id))
    struck = strike(store, entry.method, entry.path, now)
    extra = _Extra(operation, user_id, struck.latency, struck.headers)
    if struck.before is not None:
        entry.fault = struck.before.kind
        limits = struck.before.rate_headers(now)
        return _finish(struck.before.respond(user_id), store, now, extra, limits)
    answer = _operate(store, request, name, params, entry, struck.race)
    if struck.after is not None and answer.status == 201:
        entry.fault = struck.after.kind
        answer = struck.after.after_commit(answer)
    elif struck.after is not None:
        struck.after.fault.fired -= 1  # nothing was committed, so the rule is not spent
    selected = request.header("x-github-api-version")
    extra.version = selected if selected in API_VERSIONS else API_VERSIONS[0]
    return _finish(answer, store, now, extra)


def _finish(
    answer: Response,
    store: Store,
    now: datetime,
    extra: _Extra | None = None,
    limits: tuple[tuple[str, str], ...] | None = None,
) -> Response:
    extra = extra or _Extra()
    headers = (
        *answer.headers,
        *extra.headers,
        ("date", format_datetime(now, usegmt=True)),
        *(limits or rate_headers(store, extra.user_id, now)),
        ("x-github-request-id", f"SANDBOX:{store.received:08X}"),
        ("x-github-api-version-selected", extra.version),
    )
    return Response(
        answer.status,
        headers,
        answer.body,
        answer.effect,
        answer.hold_seconds,
        extra.latency + store.config.latency_ms / 1000.0,
        extra.operation,
    )
