"""CLI commands that read or hand-edit the state: import, state list/show/rm, force-unlock."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.options import (
    context,
    emit,
    file_option,
    lock_timeout_option,
    state_option,
)


@click.command("import")
@file_option
@state_option
@lock_timeout_option
@click.argument("key")
@click.argument("task_id")
@click.option(
    "--force", is_flag=True, help="Record it even if its first session differs from the spec."
)
@click.pass_context
def import_command(
    ctx: click.Context,
    files: tuple[Path, ...],
    state: str | None,
    lock_timeout: float | None,
    key: str,
    task_id: str,
    force: bool,
) -> int:
    """Record an existing task under a declared key."""
    from reconciler.commands.state_edit import run_import

    result = run_import(
        context(ctx),
        files=files,
        state=state,
        key=key,
        task_id=task_id,
        force=force,
        lock_timeout=lock_timeout,
    )
    return emit(result)


@click.group("state")
def state_group() -> None:
    """Inspect or hand-edit the state file."""


@state_group.command("list")
@file_option
@state_option
@click.pass_context
def state_list(ctx: click.Context, files: tuple[Path, ...], state: str | None) -> int:
    """List tracked keys: key, repository, task id, last state seen."""
    from reconciler.commands.state_edit import run_list

    return emit(run_list(context(ctx), files=files, state=state))


@state_group.command("show")
@file_option
@state_option
@click.argument("key")
@click.pass_context
def state_show(ctx: click.Context, files: tuple[Path, ...], state: str | None, key: str) -> int:
    """Show a key's record as JSON."""
    from reconciler.commands.state_edit import run_show

    return emit(run_show(context(ctx), files=files, state=state, key=key))


@state_group.command("rm")
@file_option
@state_option
@lock_timeout_option
@click.argument("key")
@click.option("--tombstone", is_flag=True, help="Remove the key's tombstone instead.")
@click.pass_context
def state_rm(
    ctx: click.Context,
    files: tuple[Path, ...],
    state: str | None,
    lock_timeout: float | None,
    key: str,
    tombstone: bool,
) -> int:
    """Forget a key's record (the task is untouched on GitHub)."""
    from reconciler.commands.state_edit import run_rm

    result = run_rm(
        context(ctx),
        files=files,
        state=state,
        key=key,
        tombstone=tombstone,
        lock_timeout=lock_timeout,
    )
    return emit(result)


@state_group.command("migrate")
@file_option
@state_option
@lock_timeout_option
@click.option("--to", "to", required=True, metavar="LOCATION", help="Where to copy the state.")
@click.pass_context
def state_migrate(
    ctx: click.Context,
    files: tuple[Path, ...],
    state: str | None,
    lock_timeout: float | None,
    to: str,
) -> int:
    """Copy the state, unchanged, to another location (a file, github:…, s3://…)."""
    from reconciler.commands.state_edit import run_migrate

    result = run_migrate(context(ctx), files=files, state=state, to=to, lock_timeout=lock_timeout)
    return emit(result)


@click.command("force-unlock")
@file_option
@state_option
@click.argument("lock_id")
@click.pass_context
def force_unlock_command(
    ctx: click.Context, files: tuple[Path, ...], state: str | None, lock_id: str
) -> int:
    """Break a lock by its id: a dead process's, or (github:, s3://) any holder's."""
    from reconciler.commands.state_edit import run_force_unlock

    return emit(run_force_unlock(context(ctx), files=files, state=state, lock_id=lock_id))
