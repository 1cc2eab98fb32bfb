"""Domain types shared by the core: what is wanted, and what the API says exists.

The tasks file's own schema lives in ``spec/schema.py``; these are the typed values the rest of the
program passes around. API objects ignore unknown fields and read unknown enum values as
``unknown`` because the API is a preview (DESIGN §2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from reconciler.errors import Position


class TaskState(StrEnum):
    """A task's state as the API reports it; ``unknown`` for values this version does not know."""

    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    IDLE = "idle"
    WAITING_FOR_USER = "waiting_for_user"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: object) -> TaskState:
        """Read an API value; anything unrecognised is ``UNKNOWN``, never an error."""
        if isinstance(value, str):
            try:
                return cls(value)
            except ValueError:
                pass
        return cls.UNKNOWN


class OnChange(StrEnum):
    """What a changed spec does to a task already created."""

    REPLACE = "replace"
    IGNORE = "ignore"


class RetryState(StrEnum):
    """The end states a task may be re-run from."""

    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


TASK_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._~-]{0,199}"
_TASK_ID = re.compile(TASK_ID_PATTERN)


def _task_id(value: str) -> str:
    # Ids become URL path segments and state keys: "../../x" must never get that far.
    if not _TASK_ID.fullmatch(value):
        raise PydanticCustomError(
            "task_id",
            "not a task id: expected 1-200 ASCII letters, digits, '.', '_', '~' or '-',"
            " starting with a letter or digit",
        )
    return value


def _plausible(value: datetime) -> datetime:
    # Year 1 or 9999 parse, then a later "minus five minutes" or "plus a window" overflows.
    if not 1970 <= value.year < 9000:
        raise PydanticCustomError(
            "time_range", "a time between the years 1970 and 9000 was expected"
        )
    return value


TaskId = Annotated[str, AfterValidator(_task_id)]
"""A task id as the API gives it: checked when an answer is read, before it is used or recorded."""

Timestamp = Annotated[AwareDatetime, AfterValidator(_plausible)]
"""A time read from the API or the state: with its timezone, between 1970 and 9000."""


class Model(BaseModel):
    """The base of every pydantic model here: its validator is built when it is first used, not
    at import. A plan uses few of the program's models; building them all cost 0.035 s of a
    2,000-task plan (bench/plan.py)."""

    model_config = ConfigDict(defer_build=True)


class Lenient(Model):
    """A record read from outside the program (an API's answer, another run's lock record):
    fields it does not know are ignored, so a newer writer does not break it; frozen."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Ref(Lenient):
    """``{"id": N}``: a user, owner or repository reference."""

    id: int


class Artifact(Lenient):
    """A resource a task made: a pull request (database id) or a branch."""

    provider: str
    type: str
    data: dict[str, Any]

    @property
    def pull_id(self) -> int | None:
        """The pull request's database id (not its number), when this artifact is a pull."""
        if self.type != "pull":
            return None
        value = self.data.get("id")
        return value if isinstance(value, int) else None


class CustomAgent(Lenient):
    """The custom agent a task runs with."""

    id: str


def _state(value: object) -> TaskState:
    return TaskState.parse(value)


class RemoteTask(Lenient):
    """A task as listed or created by the API."""

    id: TaskId
    state: TaskState
    created_at: Timestamp
    updated_at: Timestamp | None = None
    name: str | None = None
    url: str | None = None
    html_url: str | None = None
    creator: Ref | None = None
    repository: Ref | None = None
    artifacts: tuple[Artifact, ...] = ()
    archived_at: Timestamp | None = None
    custom_agent: CustomAgent | None = None
    session_count: int | None = None

    _parse_state = field_validator("state", mode="before")(_state)

    @property
    def creator_id(self) -> int | None:
        """The id of the user who created the task."""
        return self.creator.id if self.creator else None

    @property
    def pull_id(self) -> int | None:
        """The database id of the task's pull request, if it made one."""
        for artifact in self.artifacts:
            if artifact.pull_id is not None:
                return artifact.pull_id
        return None


class RemoteSession(Lenient):
    """One session of a task; it carries what the task was started with."""

    id: str
    state: TaskState
    created_at: Timestamp
    prompt: str | None = None
    base_ref: str | None = None
    head_ref: str | None = None
    model: str | None = None

    _parse_state = field_validator("state", mode="before")(_state)


class TaskDetail(RemoteTask):
    """A task with its sessions, as one GET returns it."""

    sessions: tuple[RemoteSession, ...] = ()


class RequestBody(Model):
    """The normalised body of ``POST …/tasks``: what is sent and what the digest covers.

    Fields equal to the API's defaults are absent (``create_pull_request`` is only ever ``True``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str
    base_ref: str | None = None
    head_ref: str | None = None
    model: str | None = None
    custom_agent: str | None = None
    create_pull_request: bool | None = None

    def to_json(self) -> dict[str, object]:
        """The body as sent: only the fields that are set."""
        return self.model_dump(exclude_none=True)


@dataclass(frozen=True)
class RetryPolicy:
    """Re-run a task that ended in one of ``on`` until it has run ``max_attempts`` times."""

    on: frozenset[RetryState]
    max_attempts: int


@dataclass(frozen=True)
class DesiredTask:
    """One declared task, resolved: defaults merged, prompt file read, body normalised."""

    key: str
    repo: str
    body: RequestBody
    digest: str
    on_change: OnChange
    retry: RetryPolicy | None
    position: Position

    @property
    def repo_key(self) -> str:
        """The repository as compared: GitHub names are case-insensitive."""
        return self.repo.lower()


@dataclass(frozen=True)
class Desired:
    """Every declared task of every tasks file, keyed by task key."""

    tasks: dict[str, DesiredTask]
    files: tuple[str, ...]
    max_creates: int | None = None
    settings_file: str | None = None

    @property
    def repositories(self) -> set[str]:
        """The distinct repositories (lower-cased) the tasks live in."""
        return {t.repo_key for t in self.tasks.values()}
