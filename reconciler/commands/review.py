"""``apply --expect-digest from-pr``: the plan reviewed on the merged pull request (CI.md §5).

The apply job on ``push`` finds the pull request GitHub associates with the pushed commit, reads
the review digest from our own sticky comment there (marker **and** author, as ``comment``
finds it), and lets apply go ahead only with that plan. The comment then says what happened: not
applied and why, or the apply's result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.commands.comment import relative_paths, repo_root, repository
from reconciler.commands.context import Context, open_repo_client
from reconciler.errors import StateConflict, UsageError
from reconciler.github.commentdata import Comment, Pull, files_hash, parse_reviewed
from reconciler.github.comments import CommentClient
from reconciler.plan.review import Identity, Reviewed, digest_of

RESULT = "<!-- agenttasks:result -->"
DISPATCH = (
    "To apply deliberately, run apply without --expect-digest (a workflow_dispatch job, docs/ci.md)"
)


class NoReview(StateConflict):
    """No reviewed plan for this commit (exit 5)."""


@dataclass
class Review:
    """The merged pull request's reviewed plan, and the comment that holds it."""

    client: CommentClient
    number: int
    comment: Comment
    reviewed: Reviewed

    def close(self) -> None:
        """Close the comment client."""
        self.client.close()

    def say(self, markdown: str) -> None:
        """Put ``markdown`` under the plan in the comment, in place of an earlier result."""
        body = self.comment.body.split(f"\n\n{RESULT}", 1)[0]
        self.comment = self.client.update(self.comment.id, f"{body}\n\n{RESULT}\n{markdown}")


def _merged(pulls: list[Pull], sha: str) -> Pull | None:
    merged = [p for p in pulls if p.merged_at]
    exact = [p for p in merged if p.merge_commit_sha == sha]
    chosen = exact or merged
    return chosen[0] if chosen else None


def reviewed_plan(ctx: Context, files: Sequence[str], *, author: str | None = None) -> Review:
    """The review of the commit being applied (``GITHUB_SHA``); ``NoReview`` when there is none.
    The review's client stays open for the comment's updates: ``Review.close()`` it."""
    sha = ctx.env.get("GITHUB_SHA")
    if not sha:
        raise UsageError(
            "--expect-digest from-pr needs GITHUB_SHA (set by GitHub Actions on push): the commit"
            " whose pull request was reviewed"
        )
    where = repository(None, ctx.env)
    tasks_files = relative_paths(files, repo_root(ctx.env, Path.cwd()))
    client = open_repo_client(
        ctx,
        CommentClient,
        where,
        purpose="the reviewed plan's comment",
        permission="pull-requests: write",
    )
    try:
        pull = _merged(client.pulls_for_commit(sha), sha)
        if pull is None:
            raise NoReview(
                f"no reviewed plan for this commit: {sha[:12]} belongs to no merged pull request"
                f" of {where}. {DISPATCH}"
            )
        author = client.author(author)
        found = client.marked(pull.number, files=files_hash(tasks_files), author=author)
        if found is None:
            raise NoReview(
                f"no reviewed plan for this commit: pull request #{pull.number} has no agenttasks"
                f" plan comment by {author} for {', '.join(tasks_files)}. {DISPATCH}"
            )
        items = parse_reviewed(found.comment.body)
        listed = tuple(_identity(i) for i in items) if items is not None else None
        if listed is not None and digest_of(listed) != found.marker.digest:
            listed = None  # edited by hand: only the marker's digest is trusted
        reviewed = Reviewed(found.marker.digest, listed)
        return Review(client, pull.number, found.comment, reviewed)
    except BaseException:
        client.close()
        raise


def _identity(item: tuple[str | None, ...]) -> Identity:
    kind, key, repo, digest, forgets = (item + (None,) * 5)[:5]
    return (kind or "", key or "", repo or "", digest, forgets)
