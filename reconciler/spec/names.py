"""Names checked before any use: task keys and GitHub repository names.

A repository name ends up in URL paths, so anything that could change a path once
percent-decoded or normalised (``..``, ``%2e``, ``/``, ``?``, ``#``, whitespace, non-ASCII) is
refused here, at load.
"""

from __future__ import annotations

import re

# Checked with fullmatch: with match, "$" also matches before a trailing newline.
KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
_KEY = re.compile(KEY_PATTERN)
# GitHub logins: letters, digits and single hyphens, at most 39 characters, no leading hyphen.
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_REPO_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid task key, or None."""
    if _KEY.fullmatch(key):
        return None
    return (
        "task key must be 1-63 lower-case letters, digits, '.', '_' or '-', starting with a"
        f" letter or digit ({KEY_PATTERN})"
    )


def repo_problem(repo: str) -> str | None:
    """Why ``repo`` is not a valid ``owner/name`` GitHub repository, or None."""
    parts = repo.split("/")
    if len(parts) != 2:
        return "repository must be owner/name with exactly one '/'"
    owner, name = parts
    if not _OWNER.fullmatch(owner):
        return "repository owner must be 1-39 ASCII letters, digits or '-', not starting with '-'"
    if not _REPO_NAME.fullmatch(name):
        return "repository name must be 1-100 ASCII letters, digits, '.', '_' or '-'"
    if name in {".", ".."}:
        return "repository name cannot be '.' or '..'"
    if name.lower().endswith(".git"):
        return "repository name cannot end in '.git'; write the name without it"
    return None
