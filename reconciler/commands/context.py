"""What every command starts from: global options, the environment, and the shared steps."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import defaults
from reconciler.errors import ConfigError, ExitCode
from reconciler.wallclock import utc_now

if TYPE_CHECKING:
    # Only for annotations: --help must not import pydantic or httpx.
    import httpx

    from reconciler.github.client import AgentTasksClient
    from reconciler.models import Desired
    from reconciler.state.format import State


@dataclass(frozen=True, kw_only=True)
class GlobalOptions:
    """Options given before the command, shared by every command."""

    api_url: str | None = None
    api_version: str = defaults.API_VERSION
    max_wait: float = defaults.MAX_WAIT
    post_timeout: float = defaults.POST_TIMEOUT
    color: bool = False
    verbose: bool = False


@dataclass(frozen=True)
class Context:
    """The shell's view of the world, passed to commands: nothing here is read behind their back."""

    options: GlobalOptions
    env: Mapping[str, str]
    err: Callable[[str], None]
    now: Callable[[], datetime] = utc_now
    interactive: bool = False
    terminal: bool = False  # stdout is a terminal: live displays instead of change lines
    out: Callable[[str], None] = lambda line: None
    ask: Callable[[str], str] = lambda question: ""


@dataclass(frozen=True)
class Result:
    """What a command wants printed (stdout text, stderr lines) and its exit code."""

    out: str = ""
    err: tuple[str, ...] = ()
    code: ExitCode = ExitCode.OK


@dataclass(frozen=True)
class Workspace:
    """The tasks files, the state file's path, and what they hold."""

    files: tuple[str, ...]
    state_path: Path
    desired: Desired
    state: State
    notes: tuple[str, ...] = field(default=())


def tasks_files(files: Sequence[Path]) -> list[Path]:
    """The files given, or ``tasks.yaml``."""
    return list(files) or [Path(defaults.TASKS_FILE)]


def state_path(files: Sequence[Path], option: Path | None) -> Path:
    """``--state``, else beside the first tasks file (inside it, for a directory)."""
    from reconciler.state.store import default_state_path

    return option if option is not None else default_state_path(tasks_files(files)[0])


def workspace(files: Sequence[Path], state_option: Path | None) -> Workspace:
    """Load the tasks files and read the state (never locking)."""
    from reconciler.spec.load import load
    from reconciler.state.format import State
    from reconciler.state.store import read_state

    desired = load(tasks_files(files))
    path = state_path(files, state_option)
    return Workspace(desired.files, path, desired, read_state(path) or State())


def open_api(ctx: Context, *, create_rate: str | None = None) -> AgentTasksClient:
    """The API client for this run: URL and token from options and environment (DESIGN §6)."""
    from reconciler.github.client import ClientSettings, Hooks, open_client

    options = ctx.options
    settings = ClientSettings(
        api_version=options.api_version,
        max_wait=options.max_wait,
        post_timeout=options.post_timeout,
    )
    if create_rate is not None:
        settings = replace(settings, create_rate=create_rate)
    warned: set[str] = set()

    def warn(message: str) -> None:
        if message not in warned:
            warned.add(message)
            ctx.err(f"Warning: {message}")

    hooks = Hooks(log=ctx.err if options.verbose else None, warn=warn)
    return open_client(
        options.api_url, ctx.env, settings=settings, hooks=hooks, sandbox=sandbox_transport
    )


def sandbox_transport(url: str) -> httpx.BaseTransport:
    """The in-process sandbox a ``sandbox:PATH`` URL names; its refusals become ours."""
    from reconciler.sandbox.badinput import SandboxInputError
    from reconciler.sandbox.url import open_sandbox_url

    try:
        return open_sandbox_url(url)
    except SandboxInputError as bad:
        raise ConfigError(str(bad)) from None


def server_now(client: AgentTasksClient, ctx: Context) -> datetime:
    """The server's time when known (it measures settle windows), else the local clock."""
    return client.server_time or ctx.now()
