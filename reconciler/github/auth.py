"""Where the token and the API URL come from (DESIGN §6), decided before any request.

The environment arrives as a Mapping and ``gh auth token`` as an injected callable, so everything
but :func:`gh_auth_token` is pure. A :class:`Token` never shows its value in ``repr``/``str``.
"""

from __future__ import annotations

import ipaddress
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from reconciler.errors import ConfigError
from reconciler.github.urls import redact_url

TOKEN_VARIABLES = ("AGENTTASKS_TOKEN", "GH_TOKEN", "GITHUB_TOKEN")
GH_SOURCE = "gh auth token"
DEFAULT_API_URL = "https://api.github.com"
ALLOW_INSTALLATION = "AGENTTASKS_ALLOW_INSTALLATION_TOKEN"


class Token:
    """A secret and where it came from; printing it shows only the source."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source

    def reveal(self) -> str:
        """The secret itself, for the Authorization header and nothing else."""
        return self._value

    def __repr__(self) -> str:
        return f"Token(source={self.source!r}, value=***)"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        # A token must not leave the process by pickling (e.g. into a saved plan).
        raise TypeError("a Token cannot be pickled")


GhRunner = Callable[[str], "str | None"]


def gh_auth_token(hostname: str) -> str | None:
    """``gh auth token --hostname HOST``'s output, or None when gh is absent or logged out."""
    try:
        done = subprocess.run(
            ["gh", "auth", "token", "--hostname", hostname],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else None


def find_token(
    env: Mapping[str, str], *, api_url: str = DEFAULT_API_URL, run_gh: GhRunner = gh_auth_token
) -> Token:
    """The first of AGENTTASKS_TOKEN, GH_TOKEN, GITHUB_TOKEN, ``gh auth token``; checked."""
    token = _first_token(env, TOKEN_VARIABLES, api_url=api_url, run_gh=run_gh)
    if token is None:
        raise ConfigError(
            "No token found: set AGENTTASKS_TOKEN (or GH_TOKEN or GITHUB_TOKEN) to a personal"
            ' access token with the "Agent tasks" repository permission, or log in with'
            " `gh auth login`."
        )
    check_token(token, env)
    return token


REPO_TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")  # never AGENTTASKS_TOKEN (CI.md §1)


def find_repo_token(
    env: Mapping[str, str],
    *,
    api_url: str = DEFAULT_API_URL,
    run_gh: GhRunner = gh_auth_token,
    purpose: str = "the state branch",
    permission: str = "contents: write",
) -> Token:
    """The repository clients' token: GITHUB_TOKEN (the Actions token), else GH_TOKEN, else
    ``gh auth token``. The agent tasks token is never sent to repository endpoints; ``purpose``
    and ``permission`` word the error when there is none."""
    token = _first_token(env, REPO_TOKEN_VARIABLES, api_url=api_url, run_gh=run_gh)
    if token is None:
        raise ConfigError(
            f"No token for {purpose}: set GITHUB_TOKEN (in Actions: ${{{{ github.token }}}},"
            f" with {permission}) or GH_TOKEN, or log in with `gh auth login`."
        )
    return token


def _first_token(
    env: Mapping[str, str], names: tuple[str, ...], *, api_url: str, run_gh: GhRunner
) -> Token | None:
    """The first of ``names`` set in ``env``, else ``gh auth token`` for the API's host."""
    token = next((Token(env[n].strip(), n) for n in names if env.get(n, "").strip()), None)
    if token is None:
        value = run_gh(_web_host(api_url))
        token = Token(value, GH_SOURCE) if value else None
    return token


def check_token(token: Token, env: Mapping[str, str]) -> None:
    """Refuse a GitHub App installation token (``ghs_``) unless the override is set."""
    if token.reveal().startswith("ghs_") and env.get(ALLOW_INSTALLATION) != "1":
        raise ConfigError(
            f"The token from {token.source} is a GitHub App installation token (ghs_…), such as"
            " the GITHUB_TOKEN of GitHub Actions; the agent tasks API accepts only user tokens."
            " Store a personal access token as a secret and pass it in AGENTTASKS_TOKEN"
            f" (or set {ALLOW_INSTALLATION}=1 once GitHub supports installation tokens)."
        )


def _web_host(api_url: str) -> str:
    # gh keys its logins by web host: api.github.com → github.com, api.X.ghe.com → X.ghe.com.
    host = urlsplit(api_url).hostname or "github.com"
    return host.removeprefix("api.") if host.startswith("api.") else host


@dataclass(frozen=True)
class ApiTarget:
    """Where requests go: an HTTP(S) base URL, or the built-in sandbox (``sandbox:PATH``)."""

    url: str
    source: str

    @property
    def is_sandbox(self) -> bool:
        """True for ``sandbox:PATH``: in-process, no token needed."""
        return self.url.startswith("sandbox:")


def resolve_api_url(option: str | None, env: Mapping[str, str]) -> ApiTarget:
    """--api-url, else AGENTTASKS_API_URL, else GITHUB_API_URL, else api.github.com; checked."""
    choices = (
        ("--api-url", option),
        ("AGENTTASKS_API_URL", env.get("AGENTTASKS_API_URL")),
        ("GITHUB_API_URL", env.get("GITHUB_API_URL")),
    )
    source, url = next(((s, u.strip()) for s, u in choices if u and u.strip()), ("default", ""))
    if not url:
        return ApiTarget(DEFAULT_API_URL, source)
    if url.startswith("sandbox:"):
        return ApiTarget(url, source)
    return ApiTarget(check_base_url(url, source=source), source)


def check_base_url(url: str, *, source: str = "the API URL") -> str:
    """An http(s) base URL without a trailing slash; plain http only to a loopback host."""
    parts = urlsplit(url)
    problem = None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problem = "expected https://HOST[/PATH] (or sandbox:PATH)"
    elif not _port_ok(parts):
        problem = "the port must be a number from 1 to 65535"
    elif parts.username or parts.password or parts.query or parts.fragment:
        problem = "credentials, a query or a fragment have no place in the API URL"
    elif parts.scheme == "http" and not is_loopback(parts.hostname):
        problem = (
            "plain http:// would send the token unencrypted; use https:// (http:// is only"
            " allowed to loopback hosts: 127.0.0.0/8, ::1, localhost)"
        )
    if problem:
        raise ConfigError(f"Invalid API URL {redact_url(url)!r} from {source}: {problem}.")
    return url.rstrip("/")


def _port_ok(parts: SplitResult) -> bool:
    try:
        number = parts.port  # ValueError when out of range or not a number
    except ValueError:
        return False
    return number != 0


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
