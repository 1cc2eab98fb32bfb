"""``agenttasks comment`` on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.options import (
    asks_the_api,
    context,
    emit,
    file_option,
    selection_options,
    state_option,
)
from reconciler.errors import UsageError

if TYPE_CHECKING:
    from reconciler.commands.plan import Selection


def _pull_number(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise UsageError(f"--pr takes a pull request number from 1, not {value!r}")
    return number


@click.command("comment")
@file_option
@state_option
@click.option(
    "--pr",
    callback=_pull_number,
    metavar="N",
    help="The pull request (default: pull_request.number of the GITHUB_EVENT_PATH event).",
)
@click.option("--repo", metavar="OWNER/NAME", help="Default: GITHUB_REPOSITORY.")
@click.option(
    "--comment-author",
    metavar="LOGIN",
    help="Whose comment to update (default: the token's login; github-actions[bot] for an"
    " installation token).",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when changes are pending, a create is unconfirmed, or a key needs attention.",
)
@selection_options
@click.pass_context
def comment_command(
    ctx: click.Context,
    files: tuple[Path, ...],
    state: str | None,
    pr: int | None,
    repo: str | None,
    comment_author: str | None,
    detailed_exitcode: bool,
    selection: Selection,
) -> int:
    """Plan, and post the Markdown plan as the pull request's one sticky comment.

    Uses GITHUB_TOKEN (else GH_TOKEN) for the comment, AGENTTASKS_TOKEN for the plan.
    """
    asks_the_api()
    from reconciler.commands.comment import run_comment

    return emit(
        run_comment(
            context(ctx),
            files=files,
            state=state,
            selection=selection,
            detailed_exitcode=detailed_exitcode,
            pr=pr,
            repo=repo,
            author=comment_author,
        )
    )
