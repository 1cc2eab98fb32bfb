"""URL rules of the agent-tasks client: path segments checked and encoded, links kept inside the
API, and URLs cleaned for messages and logs. Pure.

The invariant (DESIGN §7): every URL the client builds or follows stays under ``{base}/agents/``
after normalisation (``GET /user`` is the one exception, built as a constant).
"""

from __future__ import annotations

import posixpath
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from reconciler.errors import UsageError
from reconciler.models import TASK_ID_PATTERN

# The URL builder's own guard: whatever validated the names before, nothing that could change the
# path once percent-decoded or normalised ('.', '..', '/', '%', '?', '#', whitespace, non-ASCII)
# reaches a path. Owners allow '_' because Enterprise Managed Users' logins carry one.
_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")
_TASK_ID = re.compile(TASK_ID_PATTERN)
_SECRET_PARAM = re.compile(r"token|secret|password|passwd|key|sig|code|auth", re.IGNORECASE)


def split_repo(repo: str) -> tuple[str, str]:
    """``owner/name`` split and checked for use in a URL path; UsageError when it cannot be."""
    owner, sep, name = repo.partition("/")
    problem = None
    if not sep or not _OWNER.fullmatch(owner):
        problem = "expected OWNER/NAME, the owner 1-100 ASCII letters, digits, '-' or '_'"
    elif not _REPO.fullmatch(name) or name in {".", ".."}:
        problem = "the name must be 1-100 ASCII letters, digits, '.', '_' or '-', not '.' or '..'"
    elif name.lower().endswith(".git"):
        problem = "write the name without '.git'"
    if problem:
        raise UsageError(f"invalid repository name {repo!r}: {problem}.")
    return owner, name


def task_segment(task_id: str) -> str:
    """A task id checked and percent-encoded as one path segment; UsageError when it cannot be."""
    if not _TASK_ID.fullmatch(task_id):
        raise UsageError(
            f"invalid task id {task_id!r}: expected 1-200 ASCII letters, digits, '.', '_', '~'"
            " or '-', starting with a letter or digit."
        )
    return quote(task_id, safe="")


def repo_tasks_path(repo: str) -> str:
    """``/agents/repos/{owner}/{repo}/tasks`` with both segments checked and encoded."""
    owner, name = split_repo(repo)
    return f"/agents/repos/{quote(owner, safe='')}/{quote(name, safe='')}/tasks"


def format_time(moment: datetime) -> str:
    """An aware datetime as the API's ISO 8601 UTC form, ``2026-01-02T03:04:05Z``."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place in an API query; give it a timezone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


def parse_link(value: str | None) -> dict[str, str]:
    """A ``Link`` header as ``{rel: url}``; the first URL wins for a repeated rel."""
    links: dict[str, str] = {}
    for match in _LINK.finditer(value or ""):
        for param in match.group(2).split(";"):
            name, _, rel = param.strip().partition("=")
            if name.strip().lower() == "rel":
                for one in rel.strip().strip('"').split():
                    links.setdefault(one, match.group(1))
    return links


def join_link(page_url: str, link: str) -> str:
    """A Link URL made absolute against the page that carried it."""
    return urljoin(page_url, link)


def normalised_path(path: str) -> str:
    """The path a server may end up serving: percent-decoded once, backslashes as slashes,
    dot segments resolved."""
    decoded = unquote(path).replace("\\", "/")
    resolved = posixpath.normpath(decoded) if decoded else "/"
    return resolved + ("/" if decoded.endswith("/") and resolved != "/" else "")


def inside_api(url: str, base_url: str, under: str = "/agents/") -> bool:
    """True when ``url`` has the base's scheme, host and port and stays under its ``under``
    (``/agents/`` for the agent tasks client; a repository's ``/repos/{o}/{r}/`` for the
    repository clients)."""
    target, base = urlsplit(url), urlsplit(base_url)
    if (target.scheme, target.hostname, target.port) != (base.scheme, base.hostname, base.port):
        return False
    prefix = normalised_path(base.path or "/").rstrip("/") + under
    return normalised_path(target.path).startswith(prefix)


def redact_url(url: str) -> str:
    """A URL fit for messages and logs: no user-info, secret-looking query values masked."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    # The port as written: parts.port raises ValueError for one out of range or not a number.
    port = parts.netloc.rpartition("@")[2].rpartition("]")[2].partition(":")[2]
    netloc = f"{host}:{port}" if port else host
    query = [
        (k, "***" if _SECRET_PARAM.search(k) else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*,:"), ""))


def describe(method: str, url: str) -> str:
    """``METHOD URL`` as shown in messages."""
    return f"{method} {redact_url(url)}"


def redirect_target(url: str, location: str) -> tuple[str, bool]:
    """Where a redirect leads, and whether the Authorization header may follow it (same scheme,
    host and port only). A redirect from https to http is refused: ValueError."""
    target = urljoin(url, location)
    old, new = urlsplit(url), urlsplit(target)
    if old.scheme == "https" and new.scheme != "https":
        raise ValueError(
            f"refused a redirect to {redact_url(target)}, which would send the request unencrypted"
        )
    same = (old.scheme, old.hostname, old.port) == (new.scheme, new.hostname, new.port)
    return target, same
