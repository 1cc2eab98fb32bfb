"""What went wrong, in words: API answers and failures turned into the error tree.

Pure. Every message names ``METHOD URL`` (query secrets masked), the cause, and what to try next
(DESIGN §7). The token's *source* (an environment variable's name) may appear; its value never can,
since no function here is given it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import urlsplit

from reconciler.errors import (
    ApiError,
    ApiVersionGone,
    AuthenticationError,
    CreateUnconfirmed,
    NotFound,
    PaginationLoop,
    PermissionDenied,
    RateLimited,
    ServerError,
    TransportError,
    ValidationFailed,
)
from reconciler.github.endpoints import ApiRequest, ErrorItem, Response, parse_error
from reconciler.github.pacing import TRANSIENT_STATUSES, TransportFailure
from reconciler.github.urls import describe, redact_url

VERSIONS_DOC = "https://docs.github.com/rest/about-the-rest-api/api-versions"
STATUS_PAGE = "https://www.githubstatus.com"


def _head(method: str, url: str, response: Response) -> str:
    return f"{describe(method, url)}: {status_line(response)}"


def _token_fix(source: str) -> str:
    if source == "gh auth token":
        return "Run `gh auth login` again, or set AGENTTASKS_TOKEN to a valid token."
    return f"Replace the value of {source} with a valid personal access token or user token."


_PHRASES = {
    "invalid": "is invalid",
    "missing_field": "is required",
    "missing": "does not exist",
    "already_exists": "already exists",
    "unprocessable": "could not be processed",
}


def error_item(item: ErrorItem) -> str:
    """One entry of ``errors[]`` as a phrase: the API's own sentence when it names the field."""
    name = item.field or item.resource or "a field"
    # API messages end in a full stop; ours continue the sentence.
    message = (item.message or "").strip().rstrip(".")
    if message and message.lower().startswith(name.lower()):
        return message
    phrase = _PHRASES.get(item.code or "")
    if phrase is None:  # "custom", or a code this version does not know
        if message:
            return f"{item.field}: {message}" if item.field else message
        return f"{name}: {item.code or 'invalid'}"
    return f"{name} {phrase}" + (f" ({message})" if message else "")


def error_for(
    request: ApiRequest, response: Response, *, url: str, token_source: str, api_version: str
) -> ApiError:
    """The error for a final, unsuccessful answer (rate limits are decided before this)."""
    status, method = response.status, request.method
    head = _head(method, url, response)
    kind: type[ApiError] = ApiError
    text = f"{head}. An answer agenttasks does not expect; run with -v and retry."
    if status == 401:
        kind = AuthenticationError
        text = (
            f"{head}. The token from {token_source} was rejected: it is mistyped, expired or"
            f" revoked. {_token_fix(token_source)}"
        )
    elif status == 403:
        kind, text = PermissionDenied, f"{head}. {_permission_help(response, token_source)}"
    elif status == 404:
        kind, text = NotFound, f"{head}. {_not_found_help(request, token_source)}"
    elif status in (400, 422):
        kind, text = ValidationFailed, _validation(head, response)
    elif status == 410:
        kind = ApiVersionGone
        text = (
            f"{head}. API version {api_version} has been retired; run with --api-version set to"
            f" a version GitHub still supports (see {VERSIONS_DOC}), or upgrade agenttasks."
        )
    elif status >= 500:
        kind = ServerError
        text = f"{head}. GitHub may be having trouble ({STATUS_PAGE}); try again later."
    return kind(text, method=method, url=url, status=status)


def _permission_help(response: Response, source: str) -> str:
    needs = response.header("x-accepted-github-permissions")
    hint = f" GitHub says the request needs: {needs}." if needs else ""
    return (
        f'The token from {source} may not use agent tasks here. It needs the "Agent tasks"'
        " repository permission (read to list, read and write to start tasks), its user needs a"
        " Copilot Business or Copilot Enterprise seat, and it must be a personal access token or"
        f" user token: GitHub App installation tokens are not supported.{hint}"
    )


def _not_found_help(request: ApiRequest, source: str) -> str:
    if request.path.endswith("/tasks"):
        return (
            f"{request.what.capitalize()} does not exist, or the token from {source} cannot see"
            " it. Check the repository's name in the tasks file and the token's repository"
            " access."
        )
    return (
        f"{request.what.capitalize()} does not exist, or the token from {source} cannot see it."
        " Check the task id; a task deleted on GitHub can be forgotten with `agenttasks state rm`."
    )


def _validation(head: str, response: Response) -> str:
    items = parse_error(response.body).errors
    if response.status == 400:
        return (
            f"{head}. The API could not read the request: likely a bug in agenttasks or a change"
            " in the preview API. Run with -v and report it."
        )
    details = "; ".join(error_item(i) for i in items) or "no details given"
    return f"{head}: {details}. Correct these fields in the tasks file and run again."


def server_gave_up(request: ApiRequest, response: Response, *, url: str, attempts: int) -> ApiError:
    """A 5xx that outlived the retries."""
    return ServerError(
        f"{_head(request.method, url, response)} after {attempts} attempts. GitHub may be having"
        f" trouble ({STATUS_PAGE}); try again later.",
        method=request.method,
        url=url,
        status=response.status,
    )


def unreachable(method: str, url: str, *, detail: str, attempts: int) -> TransportError:
    """No answer at all, after the retries."""
    return TransportError(
        f"{describe(method, url)}: no answer after {attempts} attempt"
        f"{'s' if attempts != 1 else ''} ({detail}). Check the network and the API URL"
        " (--api-url), then try again.",
        method=method,
        url=url,
    )


def status_line(response: Response) -> str:
    """``502 Bad Gateway``, or the API's own message in place of the phrase."""
    message = parse_error(response.body).message
    try:
        phrase = HTTPStatus(response.status).phrase
    except ValueError:
        phrase = "Unknown Status"
    return f"{response.status} {message or phrase}"


def ambiguous_create(
    url: str, *, detail: str, server_time: datetime | None, status: int = 0
) -> CreateUnconfirmed:
    """A POST that may have created the task: it is never sent again in this run."""
    return CreateUnconfirmed(
        f"{describe('POST', url)}: {detail}; the task may or may not have been created, so it is"
        " not sent again in this run. The next plan imports it if GitHub lists it.",
        server_time=server_time,
        url=url,
        status=status,
    )


def rate_limited(
    method: str, url: str, *, reason: str, max_wait: float, retry_at: float, status: int
) -> RateLimited:
    """A rate-limit wait longer than ``--max-wait`` allows; ``retry_at`` is local epoch time."""
    when = datetime.fromtimestamp(retry_at, UTC)
    return RateLimited(
        f"{describe(method, url)}: {reason}, longer than --max-wait allows ({max_wait:g}s)."
        f" Retry after {when:%Y-%m-%d %H:%M:%S} UTC, or raise --max-wait.",
        retry_at=retry_at,
        method=method,
        url=url,
        status=status,
    )


def pagination_loop(method: str, url: str, *, repeated: str) -> PaginationLoop:
    """A ``Link: rel="next"`` pointing at a page already read."""
    return PaginationLoop(
        f"{describe(method, url)}: the API's Link header points back to"
        f" {describe(method, repeated).partition(' ')[2]}, a page already read. Stopped to avoid"
        " an endless loop; try again, and report it if it repeats.",
        method=method,
        url=url,
    )


def bad_redirect(method: str, url: str, problem: str) -> TransportError:
    """A redirect not followed: out of https, or too many."""
    return TransportError(f"{describe(method, url)}: {problem}.", method=method, url=url)


def foreign_link(method: str, url: str, *, target: str) -> ApiError:
    """A ``Link`` URL outside the API base: following it would send the token elsewhere."""
    return ApiError(
        f"{describe(method, url)}: the API's Link header points outside the API"
        f" ({describe(method, target).partition(' ')[2]}); refused so the token is not sent"
        " there. Report this if it repeats.",
        method=method,
        url=url,
    )


def final_error(
    request: ApiRequest,
    outcome: Response | TransportFailure,
    *,
    url: str,
    attempts: int,
    token_source: str,
    api_version: str,
    server_time: datetime | None,
) -> ApiError:
    """The error for an outcome no policy retries: ambiguous creates first, then the rest."""
    if request.method == "POST" and isinstance(outcome, TransportFailure) and outcome.sent:
        detail = f"no answer after sending ({outcome.detail})"
        return ambiguous_create(url, detail=detail, server_time=server_time)
    if request.method == "POST" and isinstance(outcome, Response) and outcome.status >= 500:
        detail = f"the server answered {status_line(outcome)}"
        return ambiguous_create(url, detail=detail, server_time=server_time, status=outcome.status)
    if isinstance(outcome, TransportFailure):
        return unreachable(request.method, url, detail=outcome.detail, attempts=attempts)
    if outcome.status in TRANSIENT_STATUSES and attempts > 1:
        return server_gave_up(request, outcome, url=url, attempts=attempts)
    return error_for(request, outcome, url=url, token_source=token_source, api_version=api_version)


def log_line(method: str, url: str, *, seconds: float, outcome: Response | TransportFailure) -> str:
    """One ``-v`` line: method, path, status, duration, request id, rate limit left. Never a
    header's or body's content beyond those."""
    path = urlsplit(redact_url(url))
    target = path.path + (f"?{path.query}" if path.query else "")
    if isinstance(outcome, TransportFailure):
        return f"{method} {target} -> {outcome.detail} after {seconds * 1000:.0f}ms"
    rid = outcome.header("x-github-request-id") or "-"
    left = outcome.header("x-ratelimit-remaining") or "-"
    return (
        f"{method} {target} -> {outcome.status} in {seconds * 1000:.0f}ms"
        f" request-id={rid} rate-limit-remaining={left}"
    )
