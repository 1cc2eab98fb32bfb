"""Where a state lives, as ``--state`` spells it (CI.md §2). Pure: parsing only.

path/to/agenttasks.state.json      a local file
github:BRANCH:PATH                 a file on BRANCH of the repository in GITHUB_REPOSITORY
github:OWNER/REPO@BRANCH:PATH      a file on BRANCH of OWNER/REPO
s3://BUCKET/KEY                    an object in an S3-compatible store
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.errors import UsageError

FORMS = "a path, github:BRANCH:PATH, github:OWNER/REPO@BRANCH:PATH or s3://BUCKET/KEY"
_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
_BRANCH = re.compile(r"[A-Za-z0-9._/-]+")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class LocalFile:
    path: str

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True)
class GithubFile:
    repo: str | None  # owner/name; None: the workflow's own (GITHUB_REPOSITORY)
    branch: str
    path: str

    def __str__(self) -> str:
        where = f"{self.repo}@" if self.repo else ""
        return f"github:{where}{self.branch}:{self.path}"


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


Location = LocalFile | GithubFile | S3Object


def parse_location(text: str) -> Location:
    """``text`` as a location; ``UsageError`` naming the accepted forms when it is none."""
    if text.startswith("github:"):
        return _github(text)
    if text.startswith("s3://"):
        return _s3(text)
    if not text or "://" in text:
        raise _bad(text, "not a state location")
    return LocalFile(text)


def _github(text: str) -> GithubFile:
    where, sep, path = text[len("github:") :].rpartition(":")
    repo, at, branch = where.rpartition("@")
    problem = None
    if not sep or not where:
        problem = "it names no branch and path"
    elif at and not _REPO.fullmatch(repo):
        problem = f"{repo!r} is not OWNER/REPO"
    elif not _BRANCH.fullmatch(branch) or ".." in branch or branch.endswith((".", "/", ".lock")):
        problem = f"{branch!r} is not a branch name"
    elif not path or path.startswith("/") or ".." in path.split("/") or path.endswith("/"):
        problem = f"{path!r} is not a file path inside the repository"
    if problem:
        raise _bad(text, problem)
    return GithubFile(repo if at else None, branch, path)


def _s3(text: str) -> S3Object:
    bucket, _, key = text[len("s3://") :].partition("/")
    if not _BUCKET.fullmatch(bucket) or not key or key.endswith("/"):
        raise _bad(text, "it needs a bucket and an object key")
    return S3Object(bucket, key)


def _bad(text: str, why: str) -> UsageError:
    return UsageError(f"--state {text!r}: {why}; use {FORMS}")
