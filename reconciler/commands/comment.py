"""``agenttasks comment``: plan, and post the Markdown plan as the pull request's one sticky
comment for this tasks-file set (CI.md §5, docs/ci.md "The pull-request comment")."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.commands.context import Context, Result, open_repo_client, workspace
from reconciler.commands.plan import Selection, exit_code, make_plan, publish_plan
from reconciler.errors import UsageError
from reconciler.github.commentdata import Marker, files_hash, reviewed_line
from reconciler.github.comments import CommentClient
from reconciler.github.urls import split_repo
from reconciler.plan.review import identities, review_digest
from reconciler.render.comment import comment_body
from reconciler.render.markdown import plan_markdown
from reconciler.state.holder import ci_run_url

PR_HELP = (
    "pass --pr N, or run on a pull_request event (GITHUB_EVENT_PATH names the event file and"
    " its pull_request.number is used)"
)


def pull_request_number(option: int | None, env: Mapping[str, str]) -> int:
    """``--pr``, else the ``pull_request.number`` of the event file ``GITHUB_EVENT_PATH`` names;
    a UsageError saying how to pass it otherwise."""
    if option is not None:
        return option
    path = env.get("GITHUB_EVENT_PATH", "")
    if not path:
        raise UsageError(f"no pull request to comment on: {PR_HELP}")
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(
            f"cannot read the event file {path} (GITHUB_EVENT_PATH): {error.strerror}; {PR_HELP}"
        ) from None
    except ValueError:
        raise UsageError(
            f"the event file {path} (GITHUB_EVENT_PATH) is not JSON; {PR_HELP}"
        ) from None
    pull = event.get("pull_request") if isinstance(event, dict) else None
    number = pull.get("number") if isinstance(pull, dict) else None
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        name = event.get("event_name") if isinstance(event, dict) else None
        kind = f" ({name})" if isinstance(name, str) else ""
        raise UsageError(f"the event{kind} in {path} is not about a pull request; {PR_HELP}")
    return number


def repository(option: str | None, env: Mapping[str, str]) -> str:
    """``--repo``, else ``GITHUB_REPOSITORY``; checked."""
    repo = option or env.get("GITHUB_REPOSITORY", "")
    if not repo:
        raise UsageError(
            "no repository to comment in: pass --repo OWNER/NAME or set GITHUB_REPOSITORY"
        )
    split_repo(repo)
    return repo


def repo_root(env: Mapping[str, str], start: Path) -> Path:
    """The repository's root: ``GITHUB_WORKSPACE``, else the nearest folder holding ``.git``
    from ``start`` up, else ``start``."""
    if env.get("GITHUB_WORKSPACE"):
        return Path(env["GITHUB_WORKSPACE"])
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def relative_paths(files: Sequence[str], root: Path) -> list[str]:
    """The tasks files as ``/``-separated paths relative to ``root`` (the marker's ``files``)."""
    base = os.path.realpath(root)
    return [Path(os.path.relpath(os.path.realpath(f), base)).as_posix() for f in files]


def run_comment(
    ctx: Context,
    *,
    files: Sequence[Path],
    state: Path | str | None,
    selection: Selection,
    detailed_exitcode: bool,
    pr: int | None,
    repo: str | None,
    author: str | None,
) -> Result:
    """Plan, then create or update the sticky comment; exit code as ``plan``'s."""
    number = pull_request_number(pr, ctx.env)  # both before any file is read or request made
    where = repository(repo, ctx.env)
    work = workspace(ctx, files, state)
    result, now = make_plan(ctx, work, selection)

    def markdown(limit: int) -> str:
        return plan_markdown(
            result, files=tuple(work.files), state_path=str(work.state_path), now=now, limit=limit
        )

    run_url = ci_run_url(ctx.env)
    tasks_files = relative_paths(work.files, repo_root(ctx.env, Path.cwd()))
    marker = Marker(files_hash(tasks_files), review_digest(result), run_url)
    head = "\n".join(filter(None, [marker.line(), reviewed_line(identities(result))]))
    body = comment_body(result, markdown, marker=head, run_url=run_url)
    with open_repo_client(
        ctx,
        CommentClient,
        where,
        purpose="the pull-request comment",
        permission="pull-requests: write",
    ) as client:
        found = client.marked(number, files=marker.files, author=client.author(author))
        if found is None:
            comment, verb = client.create(number, body), "Created"
        else:
            comment, verb = client.update(found.comment.id, body), "Updated"
    line = f"{verb} comment #{comment.id} on pull request #{number}"
    link = f": {comment.html_url}" if comment.html_url else ""
    code = exit_code(result, detailed_exitcode)
    # In Actions, as plan: the whole plan in the step summary (the comment links it), the outputs.
    commands = publish_plan(ctx, work, result, now, code)
    return Result(f"{line}{link}\n", (), code, commands)
