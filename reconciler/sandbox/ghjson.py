"""Users and repositories in GitHub's JSON shapes (``simple-user``, ``public-user``,
``minimal-repository``, ``repository``): long lists of URLs, all derived from a name."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.repodata import INITIAL_DATE
from reconciler.sandbox.store import iso, stable_id

_USER_LINKS = {
    "followers_url": "followers",
    "following_url": "following{/other_user}",
    "gists_url": "gists{/gist_id}",
    "starred_url": "starred{/owner}{/repo}",
    "subscriptions_url": "subscriptions",
    "organizations_url": "orgs",
    "repos_url": "repos",
    "events_url": "events{/privacy}",
    "received_events_url": "received_events",
}
_REPO_LINKS = (
    "archive_url:{archive_format}{/ref}",
    "assignees_url:assignees{/user}",
    "blobs_url:git/blobs{/sha}",
    "branches_url:branches{/branch}",
    "collaborators_url:collaborators{/collaborator}",
    "comments_url:comments{/number}",
    "commits_url:commits{/sha}",
    "compare_url:compare/{base}...{head}",
    "contents_url:contents/{+path}",
    "contributors_url:contributors",
    "deployments_url:deployments",
    "downloads_url:downloads",
    "events_url:events",
    "forks_url:forks",
    "git_commits_url:git/commits{/sha}",
    "git_refs_url:git/refs{/sha}",
    "git_tags_url:git/tags{/sha}",
    "hooks_url:hooks",
    "issue_comment_url:issues/comments{/number}",
    "issue_events_url:issues/events{/number}",
    "issues_url:issues{/number}",
    "keys_url:keys{/key_id}",
    "labels_url:labels{/name}",
    "languages_url:languages",
    "merges_url:merges",
    "milestones_url:milestones{/number}",
    "notifications_url:notifications{?since,all,participating}",
    "pulls_url:pulls{/number}",
    "releases_url:releases{/id}",
    "stargazers_url:stargazers",
    "statuses_url:statuses/{sha}",
    "subscribers_url:subscribers",
    "subscription_url:subscription",
    "tags_url:tags",
    "teams_url:teams",
    "trees_url:git/trees{/sha}",
)


# What GitHub shows as the author of anything an installation token (the Actions GITHUB_TOKEN)
# writes: the GitHub Actions app's bot user.
ACTIONS_BOT = ("github-actions[bot]", 41898282)


def simple_user(base_url: str, login: str, user_id: int, kind: str = "User") -> dict[str, Any]:
    """``simple-user``: a login, its id and its links; ``kind`` is ``User`` or ``Bot``."""
    url = f"{base_url}/users/{login}"
    links = {key: f"{url}/{tail}" for key, tail in _USER_LINKS.items()}
    return {
        "login": login,
        "id": user_id,
        "node_id": f"U_sandbox{user_id}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"https://github.com/{login}",
        **links,
        "type": kind,
        "site_admin": False,
    }


def public_user(base_url: str, user_id: int) -> dict[str, Any]:
    """``public-user``: ``GET /user`` for a user token (login ``sandbox-user-N``)."""
    login = f"sandbox-user-{user_id}"
    profile: dict[str, Any] = {
        key: None for key in ("name", "company", "blog", "location", "email", "hireable", "bio")
    }
    counts = {key: 0 for key in ("public_repos", "public_gists", "followers", "following")}
    dates = {"created_at": iso(INITIAL_DATE), "updated_at": iso(INITIAL_DATE)}
    return {**simple_user(base_url, login, user_id), **profile, **counts, **dates}


def minimal_repository(base_url: str, owner: str, repo: str) -> dict[str, Any]:
    """``minimal-repository``: a public repository owned by a user named ``owner``."""
    url = f"{base_url}/repos/{owner}/{repo}"
    links = {}
    for spec in _REPO_LINKS:
        key, _, tail = spec.partition(":")
        links[key] = f"{url}/{tail}"
    return {
        "id": stable_id("repo", f"{owner}/{repo}"),
        "node_id": f"R_sandbox{stable_id('repo', f'{owner}/{repo}')}",
        "name": repo,
        "full_name": f"{owner}/{repo}",
        "owner": simple_user(base_url, owner, stable_id("owner", owner)),
        "private": False,
        "html_url": f"https://github.com/{owner}/{repo}",
        "description": None,
        "fork": False,
        "url": url,
        **links,
    }


def repository(base_url: str, owner: str, repo: str) -> dict[str, Any]:
    """``repository`` (a pull request's head and base): the minimal one and its counters."""
    minimal = minimal_repository(base_url, owner, repo)
    created = iso(INITIAL_DATE)
    return {
        **minimal,
        "clone_url": f"https://github.com/{owner}/{repo}.git",
        "git_url": f"git://github.com/{owner}/{repo}.git",
        "ssh_url": f"git@github.com:{owner}/{repo}.git",
        "svn_url": f"https://github.com/{owner}/{repo}",
        "mirror_url": None,
        "homepage": None,
        "language": None,
        "license": None,
        "default_branch": "main",
        **dict.fromkeys(("has_downloads", "has_issues", "has_projects", "has_wiki"), True),
        **dict.fromkeys(("has_pages", "archived", "disabled"), False),
        **dict.fromkeys(
            (
                "forks",
                "forks_count",
                "open_issues",
                "open_issues_count",
                "size",
                "stargazers_count",
                "watchers",
                "watchers_count",
            ),
            0,
        ),
        "pushed_at": created,
        "created_at": created,
        "updated_at": created,
    }
