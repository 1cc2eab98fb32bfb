"""The schema of a tasks file (``tasks.yaml``), as pydantic models.

These models are the single source of the file format: ``spec/load.py`` validates with them, and
``agenttasks schema`` prints their JSON Schema. They are strict (``yes`` is not a boolean, ``"3"``
is not a number) and forbid unknown keys, so a typo is an error rather than a silently ignored key.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from reconciler.models import Model
from reconciler.spec.names import KEY_PATTERN, repo_problem
from reconciler.spec.secretscan import find_secret, sent_field_message

REPO_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$"
DEFAULT_MAX_CREATES = 20
DEFAULT_MAX_ATTEMPTS = 3


def _check_repo(value: str) -> str:
    problem = repo_problem(value)
    if problem:
        raise PydanticCustomError("repository", problem)
    return value


def _check_no_secret(value: str) -> str:
    # Every field but the prompt (scanned in spec/load.py, which places the secret inside a block)
    # is sent with the task as it stands: the prompt's rule applies to each.
    secret = find_secret(value)
    if secret:
        raise PydanticCustomError("secret", sent_field_message(secret))
    return value


Repo = Annotated[
    str,
    AfterValidator(_check_no_secret),
    AfterValidator(_check_repo),
    Field(json_schema_extra={"pattern": REPO_PATTERN}),
]


def _check_filled(value: str) -> str:
    # An empty base_ref/model/... is sent, the server fills in its default, and matching (DESIGN
    # §4) can then never find the task again: a lost answer or a lost state would duplicate it.
    if not value.strip():
        raise PydanticCustomError(
            "blank", "is empty; leave the field out to let GitHub choose its default"
        )
    return value


Filled = Annotated[
    str,
    AfterValidator(_check_filled),
    AfterValidator(_check_no_secret),
    Field(min_length=1, json_schema_extra={"pattern": r"\S"}),
]
TaskKey = Annotated[str, Field(pattern=KEY_PATTERN)]
RetryOn = Literal["failed", "timed_out", "cancelled"]


class _FileModel(Model):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, hide_input_in_errors=True)


class Retry(_FileModel):
    """Run a task again when it ends badly."""

    on: list[RetryOn] = Field(
        min_length=1,
        description="End states that trigger a re-run: any of failed, timed_out, cancelled.",
    )
    max_attempts: int = Field(
        default=DEFAULT_MAX_ATTEMPTS,
        ge=1,
        le=100,
        description="Runs in all, the first included.",
    )


class Settings(_FileModel):
    """Settings for the whole set of tasks files; allowed in one file only."""

    max_creates: int = Field(
        default=DEFAULT_MAX_CREATES,
        ge=0,
        description="A plan that would create more tasks than this fails (a guard against a YAML"
        " mistake starting many agents). --max-creates overrides it.",
    )


class _TaskFields(_FileModel):
    repo: Repo | None = Field(
        default=None, description="The repository the task runs in, as owner/name."
    )
    base_ref: Filled | None = Field(
        default=None, description="The branch the agent starts from and opens its pull request on."
    )
    head_ref: Filled | None = Field(
        default=None,
        description="An existing branch to commit to (with base_ref: the open pull request"
        " head_ref -> base_ref) instead of a new branch.",
    )
    model: Filled | None = Field(
        default=None, description="The model to run, e.g. claude-sonnet-4.6; default: automatic."
    )
    custom_agent: Filled | None = Field(
        default=None,
        description="A custom agent id: the file name of .github/agents/NAME.agent.md without"
        " its extension.",
    )
    create_pull_request: bool | None = Field(
        default=None, description="Whether the agent opens a pull request. Default: false."
    )
    on_change: Literal["replace", "ignore"] | None = Field(
        default=None,
        description="What a changed spec does to a task already created: replace (default)"
        " starts a new task and forgets the old one; ignore keeps it and notes the change.",
    )
    retry: Retry | None = Field(
        default=None, description="Re-run the task when it ends in one of the listed states."
    )


class Defaults(_TaskFields):
    """Values merged under every task of the same file; a task's own value wins."""


class TaskEntry(_TaskFields):
    """One task: exactly one of prompt or prompt_file, and a repo here or in defaults."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["prompt"]}, {"required": ["prompt_file"]}]}
    )

    prompt: str | None = Field(default=None, description="What the agent should do.")
    prompt_file: str | None = Field(
        default=None,
        description="A file holding the prompt, relative to this YAML file; it may not leave"
        " this file's directory tree.",
    )

    @model_validator(mode="after")
    def _one_prompt(self) -> TaskEntry:
        if self.prompt is None and self.prompt_file is None:
            raise PydanticCustomError("prompt", "task needs one of 'prompt' or 'prompt_file'")
        if self.prompt is not None and self.prompt_file is not None:
            raise PydanticCustomError(
                "prompt", "task has both 'prompt' and 'prompt_file'; keep one"
            )
        return self


class TasksFile(_FileModel):
    """A tasks file: the tasks you want to exist, reviewed like any other code."""

    model_config = ConfigDict(title="agenttasks tasks file")

    version: Literal[1] = Field(description="The format version of this file; always 1.")
    settings: Settings | None = Field(
        default=None, description="Settings for the whole set of tasks files (one file only)."
    )
    defaults: Defaults | None = Field(
        default=None, description="Values merged under every task of this file."
    )
    tasks: dict[TaskKey, TaskEntry] = Field(
        # Keys are constrained by patternProperties; without this, any other key would pass.
        json_schema_extra={"additionalProperties": False},
        description="The tasks, by key. A key is the task's stable identity: renaming it"
        " forgets the old task and creates a new one.",
    )


FIELDS: dict[str, type[BaseModel]] = {
    "": TasksFile,
    "settings": Settings,
    "defaults": Defaults,
    "task": TaskEntry,
    "retry": Retry,
}


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a tasks file."""
    schema = TasksFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
