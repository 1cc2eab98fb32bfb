"""What every command starts from: global options, the environment, and the shared steps."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, assert_never

from reconciler import defaults
from reconciler.errors import ConfigError, ExitCode, UsageError
from reconciler.wallclock import utc_now

if TYPE_CHECKING:
    # Only for annotations: --help must not import pydantic or httpx.
    import httpx

    from reconciler.github.client import AgentTasksClient
    from reconciler.models import Desired
    from reconciler.state.backend import Backend, Lease
    from reconciler.state.format import State
    from reconciler.state.location import GithubFile

C = TypeVar("C")


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
    monotonic: Callable[[], float] = time.monotonic  # measures time since the server's last Date
    interactive: bool = False
    terminal: bool = False  # stdout is a terminal: live displays instead of change lines
    out: Callable[[str], None] = lambda line: None
    ask: Callable[[str], str] = lambda question: ""
    # The transport a sandbox: URL is served by; None opens the URL's file (sandbox_transport).
    # Tests hand in a sandbox on a manual clock this way.
    sandbox: Callable[[str], httpx.BaseTransport] | None = None
    # Waits for pacing and rate limits; None waits on the clock (interruptibly). Tests on a manual
    # clock hand in one that advances it, so an hour of GitHub's create limits passes at once.
    sleep: Callable[[float], None] | None = None


@dataclass(frozen=True)
class Result:
    """What a command wants printed (stdout text, stderr lines) and its exit code; in GitHub
    Actions, the workflow commands (annotations) to print after the user text's block."""

    out: str = ""
    err: tuple[str, ...] = ()
    code: ExitCode = ExitCode.OK
    commands: tuple[str, ...] = ()


@dataclass(frozen=True)
class Workspace:
    """The tasks files, where the state lives, and what they hold."""

    files: tuple[str, ...]
    state_path: Path | str  # the state's location, as messages and plans name it
    desired: Desired
    state: State
    notes: tuple[str, ...] = field(default=())


def tasks_files(files: Sequence[Path]) -> list[Path]:
    """The files given, or ``tasks.yaml``."""
    return list(files) or [Path(defaults.TASKS_FILE)]


def state_backend(ctx: Context, files: Sequence[Path], option: Path | str | None) -> Backend:
    """``--state`` as a location (docs/state.md), else the file beside the first tasks file
    (inside it, for a directory)."""
    from reconciler.state.local import STATE_NAME, LocalBackend, default_state_path
    from reconciler.state.location import GithubFile, LocalFile, S3Object, parse_location

    if option is None:
        return LocalBackend(default_state_path(tasks_files(files)[0]))
    location = parse_location(str(option))
    if isinstance(location, LocalFile):
        path = location.path
        if path.endswith("/") or os.path.basename(path) in (".", "..") or Path(path).is_dir():
            example = os.path.join(path, STATE_NAME)
            raise UsageError(
                f"--state {path!r} is a directory; name a file in it, such as {example}"
            )
        return LocalBackend(Path(path))
    if isinstance(location, GithubFile):
        return _branch_backend(ctx, location)
    if isinstance(location, S3Object):
        try:
            from reconciler.state.s3 import S3Backend  # boto3: only for s3:// states
        except ModuleNotFoundError as missing:
            if (missing.name or "").partition(".")[0] not in ("boto3", "botocore"):
                raise
            raise ConfigError(
                f"--state {location} needs boto3, which is not installed:"
                " pip install 'agenttasks[s3]'"
            ) from None
        return S3Backend(location, environ=ctx.env)
    assert_never(location)


def _branch_backend(ctx: Context, location: GithubFile) -> Backend:
    """A ``github:`` state: the repository client on the Actions token, never the agent tasks
    token (CI.md §1), at the API URL both clients share."""
    from reconciler.github.repos import RepoClient
    from reconciler.state.branch import BranchBackend

    repo = location.repo or ctx.env.get("GITHUB_REPOSITORY", "")
    if not repo:
        raise UsageError(
            f"--state {location}: name the repository (github:OWNER/REPO@BRANCH:PATH) or set"
            " GITHUB_REPOSITORY"
        )
    client = open_repo_client(ctx, RepoClient, repo)
    return BranchBackend(client, location, repo=repo, environ=ctx.env)


def open_repo_client(
    ctx: Context,
    make: Callable[..., C],
    repo: str,
    *,
    purpose: str = "the state branch",
    permission: str = "contents: write",
) -> C:
    """A repository client (``RepoClient``, ``CommentClient``) for ``repo``: the API URL both
    clients share, and the repository token (GITHUB_TOKEN, else GH_TOKEN, else ``gh auth
    token``), never the agent tasks token (CI.md §1); a ``sandbox:`` URL is served in-process.
    ``purpose`` and ``permission`` word the error when there is no token."""
    from reconciler.github.auth import Token, find_repo_token, resolve_api_url
    from reconciler.github.session import ClientSettings, Hooks

    target = resolve_api_url(ctx.options.api_url, ctx.env)
    hooks = Hooks(log=ctx.err if ctx.options.verbose else None)
    settings = ClientSettings(api_version=ctx.options.api_version, max_wait=ctx.options.max_wait)
    if target.is_sandbox:
        transport = (ctx.sandbox or sandbox_transport)(target.url)
        return make(
            "http://localhost",
            Token("sandbox", "the sandbox"),  # no real token is ever handed to it
            repo,
            transport=transport,
            settings=settings,
            hooks=hooks,
        )
    token = find_repo_token(ctx.env, api_url=target.url, purpose=purpose, permission=permission)
    return make(target.url, token, repo, settings=settings, hooks=hooks)


def workspace(ctx: Context, files: Sequence[Path], state_option: Path | str | None) -> Workspace:
    """Load the tasks files and read the state (never locking)."""
    from reconciler.spec.load import load
    from reconciler.state.format import State

    desired = load(tasks_files(files))
    with opened_state(ctx, files, state_option) as backend:
        stored = backend.read().state or State()
    return Workspace(desired.files, backend.location, desired, stored)


@contextmanager
def opened_state(
    ctx: Context, files: Sequence[Path], option: Path | str | None
) -> Iterator[Backend]:
    """``state_backend`` for the block, its connections closed after it."""
    backend = state_backend(ctx, files, option)
    try:
        yield backend
    finally:
        backend.close()


def lock_state(
    ctx: Context, backend: Backend, *, command: str, timeout: float | None
) -> AbstractContextManager[Lease]:
    """The state's lock for a writing command, its holder naming this run."""
    from reconciler.state.holder import ci_run_url

    return backend.lock(
        command=command, timeout=timeout, run_url=ci_run_url(ctx.env), on_wait=ctx.err
    )


def open_api(ctx: Context, *, create_rate: str | None = None) -> AgentTasksClient:
    """The API client for this run: URL and token from options and environment (DESIGN §6)."""
    from reconciler.github.client import open_client
    from reconciler.github.session import ClientSettings, Hooks

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

    hooks = Hooks(
        log=ctx.err if options.verbose else None,
        warn=warn,
        monotonic=ctx.monotonic,
        sleep=ctx.sleep,
    )
    return open_client(
        options.api_url,
        ctx.env,
        settings=settings,
        hooks=hooks,
        sandbox=ctx.sandbox or sandbox_transport,
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
    """The server's time now when known (the last ``Date`` plus the monotonic time since: it
    measures settle windows and the adopt window), else the local clock."""
    return client.server_now or ctx.now()
