"""The pull-request comment client: a pull request's comments (every page), create, update, the
sticky comment found again by its marker and author, and the pull requests of a commit, over a
``Session`` with the repository token (GITHUB_TOKEN: never the agent tasks token, CI.md §1)."""

from __future__ import annotations

from reconciler.errors import PermissionDenied
from reconciler.github import commentdata, diagnose
from reconciler.github.commentdata import Comment, MarkedComment, Pull
from reconciler.github.endpoints import ApiRequest, next_url
from reconciler.github.session import RepoSession
from reconciler.github.urls import describe, inside_api, join_link


class CommentClient(RepoSession):
    """One repository's pull-request comments."""

    def __enter__(self) -> CommentClient:
        return self

    def login(self) -> str | None:
        """The token's login (``GET /user``), or None for an installation token, which GitHub
        answers 403 there."""
        request = commentdata.get_user()
        try:
            return commentdata.parse_login(self._call(request).body, self._where(request))
        except PermissionDenied:
            return None

    def author(self, override: str | None = None) -> str:
        """Whom this client's comments are by (``commentdata.comment_author``)."""
        return commentdata.comment_author(None if override else self.login(), override)

    def comments(self, number: int) -> list[Comment]:
        """Every comment of pull request ``number``, oldest first, following ``Link`` pages."""
        found: list[Comment] = []
        for body, where in self._pages(commentdata.list_comments(self.repo, number)):
            found += commentdata.parse_comments(body, where)
        return found

    def create(self, number: int, body: str) -> Comment:
        """A new comment on pull request ``number``."""
        request = commentdata.create_comment(self.repo, number, body)
        return commentdata.parse_comment(self._call(request).body, self._where(request))

    def update(self, comment_id: int, body: str) -> Comment:
        """Replace a comment's body."""
        request = commentdata.update_comment(self.repo, comment_id, body)
        return commentdata.parse_comment(self._call(request).body, self._where(request))

    def marked(self, number: int, *, files: str, author: str) -> MarkedComment | None:
        """Our sticky comment on pull request ``number`` for the tasks-file set ``files`` (a
        ``files_hash``), by ``author``, with its parsed marker (the reviewed digest, the run);
        None when there is none. Every page is read."""
        return commentdata.find_marked(self.comments(number), files=files, author=author)

    def pulls_for_commit(self, sha: str) -> list[Pull]:
        """The pull requests GitHub associates with commit ``sha`` (the merged one, after a
        merge), every page."""
        found: list[Pull] = []
        for body, where in self._pages(commentdata.pulls_for_commit(self.repo, sha)):
            found += commentdata.parse_pulls(body, where)
        return found

    def _pages(self, request: ApiRequest) -> list[tuple[bytes, str]]:
        """Each page's body and its ``METHOD URL``; links are followed on the API's host only."""
        url = self._url(request)
        seen, pages = {url}, list[tuple[bytes, str]]()
        while True:
            response = self._call(request, url)
            pages.append((response.body, describe(request.method, url)))
            link = next_url(response)
            if link is None:
                return pages
            target = join_link(url, link)
            if not inside_api(target, self.base_url, under="/"):
                raise diagnose.foreign_link(request.method, url, target=target)
            if target in seen:
                raise diagnose.pagination_loop(request.method, url, repeated=target)
            seen.add(target)
            url = target
