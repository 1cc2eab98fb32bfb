"""The one exception tree of agenttasks, and the exit-code table.

Every failure a user can cause or meet is an ``AgentTasksError``; anything else escaping a command
is a bug (exit 70). Only ``cli/main.py`` turns these into a message and an exit code.

AgentTasksError                  exit 1 unless noted
├── UsageError                   a command line that cannot run (bad option value, missing --yes)
├── SpecError                    tasks files: carries every Problem (file:line:col: message)
├── StateError                   the state file is unreadable, corrupt or of a newer format
├── StateConflict                exit 5: lock held, stale or foreign plan, ambiguous match
├── TooManyCreates               a plan creating more than max_creates (the guard rail)
├── ConfigError                  token, API URL or other environment that cannot be used
├── ApiError                     the API answered, or could not be reached; carries METHOD URL
│   ├── AuthenticationError      401: the token was rejected
│   ├── PermissionDenied         403 that is not a rate limit
│   ├── NotFound                 404: missing, or not visible to the token
│   ├── ValidationFailed         422 (and 400): the request was refused, errors[] in words
│   ├── RateLimited              403/429 rate limit whose wait exceeds --max-wait
│   ├── ApiVersionGone           410: the X-GitHub-Api-Version was retired
│   ├── ServerError              5xx after the retries allowed
│   ├── TransportError           connection, timeout or protocol failure after retries
│   ├── PaginationLoop           a Link "next" URL seen twice
│   └── AmbiguousCreate          a POST that may or may not have created a task: never re-sent
│       └── CreateUnconfirmed    … carrying the server time of the last answer (for the intent)
├── PartialApply                 exit 4: some creates failed or are unconfirmed
├── FollowFailed                 exit 3: a followed task ended badly or needs a person
├── WaitTimeout                  exit 6: --wait ran out of time
└── Interrupted                  exit 130 (SIGINT) or 143 (SIGTERM), state saved
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of DESIGN §6; ``PRECEDENCE`` says which wins when several apply."""

    OK = 0
    ERROR = 1
    CHANGES = 2
    TASK_FAILED = 3
    PARTIAL = 4
    CONFLICT = 5
    WAIT_TIMEOUT = 6
    BUG = 70
    SIGINT = 130
    SIGTERM = 143


PRECEDENCE: tuple[ExitCode, ...] = (
    ExitCode.BUG,
    ExitCode.SIGTERM,
    ExitCode.SIGINT,
    ExitCode.CONFLICT,
    ExitCode.ERROR,
    ExitCode.PARTIAL,
    ExitCode.WAIT_TIMEOUT,
    ExitCode.TASK_FAILED,
    ExitCode.CHANGES,
    ExitCode.OK,
)


def combine_exit_codes(*codes: ExitCode) -> ExitCode:
    """The code that wins when several apply (DESIGN §6: first in PRECEDENCE)."""
    present = set(codes)
    for code in PRECEDENCE:
        if code in present:
            return code
    return ExitCode.OK


class AgentTasksError(Exception):
    """Base of every expected failure; ``str()`` is the one-line message shown to the user."""

    exit_code: ExitCode = ExitCode.ERROR


class UsageError(AgentTasksError):
    """The command line cannot run as given."""


@dataclass(frozen=True, order=True)
class Position:
    """A place in a file; line and column count from 1."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        # Line 0 means the problem is the file as a whole (missing, unreadable, too large).
        return f"{self.file}:{self.line}:{self.col}" if self.line else self.file


@dataclass(frozen=True, order=True)
class Problem:
    """One problem of a tasks file, printed as ``FILE:LINE:COL: message``."""

    position: Position
    message: str

    def __str__(self) -> str:
        return f"{self.position}: {self.message}"


# A hostile file can hold 100,000 problems; past this many, the rest are counted, not listed.
MAX_PROBLEMS_SHOWN = 100


class SpecError(AgentTasksError):
    """Tasks files that cannot be used; every problem found, sorted by place. The message lists
    the first ``MAX_PROBLEMS_SHOWN`` and counts the rest."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        lines = [str(p) for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        rest = len(self.problems) - MAX_PROBLEMS_SHOWN
        if rest > 0:
            lines.append(f"… and {rest:,} more problem{'s' if rest > 1 else ''}")
        super().__init__("\n".join(lines))


class StateError(AgentTasksError):
    """The state file cannot be read or used."""


class StateConflict(AgentTasksError):
    """Two views of the world disagree: a held lock, a stale plan, an ambiguous match."""

    exit_code = ExitCode.CONFLICT


class TooManyCreates(AgentTasksError):
    """A plan would create more tasks than ``max_creates`` allows."""


class ConfigError(AgentTasksError):
    """The environment (token, API URL) cannot be used."""


class ApiError(AgentTasksError):
    """The API refused a request or could not be reached."""

    def __init__(self, message: str, *, method: str = "", url: str = "", status: int = 0) -> None:
        self.method = method
        self.url = url
        self.status = status
        super().__init__(message)


class AuthenticationError(ApiError):
    """401: the token was rejected."""


class PermissionDenied(ApiError):
    """403 that is not a rate limit."""


class NotFound(ApiError):
    """404: the resource is missing or the token cannot see it."""


class ValidationFailed(ApiError):
    """422 or 400: the API refused the request's content."""


class RateLimited(ApiError):
    """A rate limit whose wait is longer than allowed; ``retry_at`` says when to try again."""

    def __init__(
        self,
        message: str,
        *,
        retry_at: float | None = None,
        method: str = "",
        url: str = "",
        status: int = 0,
    ) -> None:
        self.retry_at = retry_at
        super().__init__(message, method=method, url=url, status=status)


class ApiVersionGone(ApiError):
    """410: the requested X-GitHub-Api-Version is retired."""


class ServerError(ApiError):
    """5xx after every retry allowed."""


class TransportError(ApiError):
    """Connection, timeout or protocol failure after every retry allowed."""


class PaginationLoop(ApiError):
    """The API's Link header pointed back at a page already read."""


class AmbiguousCreate(ApiError):
    """A POST whose outcome is unknown: the task may exist. Never re-sent in the same run."""


class CreateUnconfirmed(AmbiguousCreate):
    """What the client raises for an ambiguous POST; ``server_time`` is the ``Date`` of the last
    answer seen (None if none came), so the caller can date the intent in server time."""

    def __init__(
        self, message: str, *, server_time: datetime | None, url: str = "", status: int = 0
    ) -> None:
        self.server_time = server_time
        super().__init__(message, method="POST", url=url, status=status)


class PartialApply(AgentTasksError):
    """Some creates failed or are unconfirmed; the rest are recorded."""

    exit_code = ExitCode.PARTIAL


class FollowFailed(AgentTasksError):
    """A followed task ended failed, timed_out or cancelled, or needs a person."""

    exit_code = ExitCode.TASK_FAILED


class WaitTimeout(AgentTasksError):
    """--wait ran out of time before every followed task ended."""

    exit_code = ExitCode.WAIT_TIMEOUT


class Interrupted(AgentTasksError):
    """Stopped by a signal after saving the state."""

    def __init__(self, message: str, *, code: ExitCode) -> None:
        self.exit_code = code
        super().__init__(message)
