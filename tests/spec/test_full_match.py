"""Every name check is a full match: with ``re.match``, ``$`` also matches before a trailing
newline, so ``"octo/web\\n"`` once passed ``validate`` and was refused by ``plan`` (issue 11 a)."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from reconciler.sandbox.actions import valid_repository
from reconciler.spec.schema import Repo, TaskKey


@pytest.mark.parametrize("key", ["a\n", "a\r\n", "\na"])
def test_schema_task_key_is_a_full_match(key: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(TaskKey).validate_python(key)


@pytest.mark.parametrize("repo", ["octo/web\n", "octo\n/web", "octo/web\r\n"])
def test_schema_repo_is_a_full_match(repo: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Repo).validate_python(repo)


def test_sandbox_repository_names_are_full_matches() -> None:
    assert valid_repository("octo", "web")
    assert not valid_repository("octo\n", "web")
    assert not valid_repository("octo", "web\n")
