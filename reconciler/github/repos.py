"""The repository client: the git database, contents and workflow runs of one repository, over a
``Session`` with the repository token (GITHUB_TOKEN: never the agent tasks token). It is the
``GitStore`` a ``github:`` state is written through (``state/branch.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

from reconciler.errors import ApiError, ConfigError, NotFound, PermissionDenied, ValidationFailed
from reconciler.github import gitdata
from reconciler.github.endpoints import ApiRequest, Response
from reconciler.github.session import RepoSession

# GitHub's words for a lost race on a ref (CI.md §2.1): someone else moved or created it first.
LOST_RACE = ("Update is not a fast forward", "Reference already exists")


class RepoClient(RepoSession):
    """One repository's git data, as ``state.branch.GitStore`` needs it."""

    # Trees and commits are content-addressed: a POST sent again makes the same object. A ref
    # update is never ambiguous either: the same sha twice is a no-op, and a lost race is a 422
    # the caller reads.
    posts_are_idempotent = True

    @cached_property
    def _trees(self) -> dict[str, str]:
        """Commit sha -> its tree's sha, as read or made by this client."""
        return {}

    def head(self, branch: str) -> str | None:
        answer = self._maybe(gitdata.get_ref(self.repo, branch))
        return None if answer is None else gitdata.parse_ref(answer.body, self._where_ref(branch))

    def file(self, commit: str, path: str) -> bytes | None:
        answer = self._maybe(gitdata.get_content(self.repo, path, commit))
        return None if answer is None else answer.body

    def commit(self, parent: str | None, changes: Mapping[str, bytes | None], message: str) -> str:
        base = None if parent is None else self._tree_of(parent)
        request = gitdata.create_tree(self.repo, base, changes)
        tree = gitdata.parse_tree(self._call(request).body, self._where(request))
        request = gitdata.create_commit(self.repo, message, tree, (parent,) if parent else ())
        made = gitdata.parse_commit(self._call(request).body, self._where(request))
        self._trees[made.sha] = made.tree.sha
        return made.sha

    def swap(self, branch: str, old: str | None, new: str) -> bool:
        if old is None:
            request = gitdata.create_ref(self.repo, branch, new)
        else:
            request = gitdata.update_ref(self.repo, branch, new)
        try:
            self._call(request)
        except ValidationFailed as error:
            if any(words in str(error) for words in LOST_RACE):
                return False
            raise
        return True

    def run_completed(self, repository: str, run_id: int) -> bool:
        if repository.lower() != self.repo.lower():
            return False  # another repository's run: this token may not see it
        request = gitdata.get_run(self.repo, run_id)
        try:
            run = gitdata.parse_run(self._call(request).body, self._where(request))
        except (NotFound, PermissionDenied):
            return False  # cannot be told (actions: read missing): wait for the lease instead
        return run.status == "completed"

    def _tree_of(self, commit: str) -> str:
        if not self._trees.get(commit):
            request = gitdata.get_commit(self.repo, commit)
            self._trees[commit] = gitdata.parse_commit(
                self._call(request).body, self._where(request)
            ).tree.sha
        return self._trees[commit]

    def _maybe(self, request: ApiRequest) -> Response | None:
        try:
            return self._call(request)
        except NotFound:
            return None
        except ApiError as error:
            if error.status == 409:  # GitHub's "Git Repository is empty."
                raise ConfigError(
                    f"repository {self.repo} is empty, and an empty repository cannot hold"
                    " branches: push one commit (a README) first"
                ) from None
            raise

    def _where_ref(self, branch: str) -> str:
        return f"branch {branch} of {self.repo}"
