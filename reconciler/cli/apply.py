"""``agenttasks apply [PLANFILE]`` on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler import defaults
from reconciler.cli.options import (
    asks_the_api,
    context,
    emit,
    file_option,
    format_option,
    lock_timeout_option,
    review_digest_value,
    seconds,
    selection_options,
    state_option,
    wait_timeout_option,
)

if TYPE_CHECKING:
    from reconciler.commands.plan import Selection


@click.command("apply")
@click.argument("planfile", required=False, type=click.Path(path_type=Path))
@file_option
@state_option
@format_option("text", "json")
@click.option("--yes", is_flag=True, help="Apply without asking.")
@click.option(
    "--min-interval",
    default=str(defaults.MIN_INTERVAL),
    callback=seconds(positive=False),
    show_default=True,
    metavar="S",
    help="Between POSTs.",
)
@click.option("--max-create-rate", metavar="R", help="e.g. 80/min,500/h (default), or off.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed create.")
@click.option("--wait", is_flag=True, help="Follow the tasks this apply touched until they end.")
@wait_timeout_option
@lock_timeout_option
@click.option(
    "--max-duration",
    metavar="D",
    help="Start no create after D (e.g. 5h, 90m): save, exit 4, and let the next apply go on.",
)
@click.option(
    "--expect-digest",
    metavar="from-pr|sha256:HEX",
    callback=review_digest_value,
    help="Apply only the reviewed plan: the one on the merged pull request's comment (from-pr,"
    " on push in GitHub Actions) or this review digest; exit 5 naming the difference otherwise.",
)
@click.option(
    "--comment-author",
    metavar="LOGIN",
    help="With --expect-digest from-pr: whose plan comment is the review (default: the token's"
    " login; github-actions[bot] for an installation token).",
)
@selection_options
@click.pass_context
def apply_command(
    ctx: click.Context,
    planfile: Path | None,
    files: tuple[Path, ...],
    state: str | None,
    fmt: str,
    yes: bool,
    min_interval: float,
    max_create_rate: str | None,
    fail_fast: bool,
    wait: bool,
    timeout: float,
    lock_timeout: float | None,
    max_duration: str | None,
    expect_digest: str | None,
    comment_author: str | None,
    selection: Selection,
) -> int:
    """Create what is missing and record it in the state file."""
    asks_the_api()
    from reconciler.commands.apply import ApplyOptions, run_apply
    from reconciler.commands.plan import parse_duration
    from reconciler.plan.review import Reviewed

    options = ApplyOptions(
        fmt=fmt,
        yes=yes,
        min_interval=min_interval,
        max_create_rate=max_create_rate,
        fail_fast=fail_fast,
        wait=wait,
        timeout=timeout,
        lock_timeout=lock_timeout,
        expect=Reviewed(expect_digest) if expect_digest and expect_digest != "from-pr" else None,
        from_pr=expect_digest == "from-pr",
        comment_author=comment_author,
        max_duration=(
            parse_duration(max_duration, "--max-duration").total_seconds()
            if max_duration is not None
            else None
        ),
    )
    result = run_apply(
        context(ctx),
        files=files,
        state=state,
        plan_path=planfile,
        selection=selection,
        options=options,
    )
    return emit(result)
