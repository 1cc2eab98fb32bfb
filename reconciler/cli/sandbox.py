"""``agenttasks sandbox serve``: the API simulator over HTTP."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.options import port as port_option
from reconciler.errors import UsageError


@click.group()
def sandbox() -> None:
    """The agent tasks API simulator."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default="8765", show_default=True, metavar="INTEGER", callback=port_option)
@click.option("--data", type=click.Path(path_type=Path), help="Persist the store in this file.")
@click.option("--token", help="Accept only this token (default: any token).")
@click.option("--user-id", default=1, show_default=True, type=int, help="The token's user id.")
@click.option("--repos", help="Comma-separated owner/name list; others answer 404.")
@click.option("--speed", default=1.0, show_default=True, type=float, help="Lifecycle clock scale.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for outcomes and ids.")
@click.option(
    "--latency-ms", default=0, show_default=True, type=int, help="Added to each response."
)
@click.option("--fault", "faults", multiple=True, metavar="RULE", help="A fault rule; repeatable.")
@click.option(
    "--normalise",
    is_flag=True,
    help="Echo sessions as GitHub may: refs/heads/ refs, pinned models.",
)
@click.option(
    "--omit-session-field",
    "omitted",
    multiple=True,
    type=click.Choice(["base_ref", "head_ref", "model"]),
    metavar="FIELD",
    help="Leave base_ref, head_ref or model out of every session; repeatable.",
)
def sandbox_serve(
    host: str,
    port: int,
    data: Path | None,
    token: str | None,
    user_id: int,
    repos: str | None,
    speed: float,
    seed: int,
    latency_ms: int,
    faults: tuple[str, ...],
    normalise: bool,
    omitted: tuple[str, ...],
) -> None:
    """Serve the sandbox over HTTP until interrupted."""
    from reconciler.sandbox.badinput import SandboxInputError
    from reconciler.sandbox.serve import serve

    try:
        serve(
            host=host,
            port=port,
            data=data,
            token=token,
            user_id=user_id,
            repos=[r for r in (repos or "").split(",") if r],
            speed=speed,
            seed=seed,
            latency_ms=latency_ms,
            faults=list(faults),
            normalise=normalise,
            omit_session_fields=list(omitted),
        )
    except SandboxInputError as bad:
        raise UsageError(str(bad)) from None
