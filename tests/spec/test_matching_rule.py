"""The one tolerant matching rule (spec/matching.py) and the linear lookalike index built on it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.spec.matching import (
    MATCHED_FIELDS,
    answered_as,
    could_be_either,
    lookup_values,
    model_aliases,
    probe_values,
)


@pytest.mark.parametrize(
    ("name", "declared", "answered", "matches"),
    [
        ("base_ref", "main", "refs/heads/main", True),
        ("base_ref", "refs/heads/main", "main", True),
        ("base_ref", "main", "refs/heads/release", False),
        ("head_ref", "feature/x", "refs/heads/feature/x", True),
        ("base_ref", "main", "refs/tags/main", False),
        ("model", "gpt-5", "gpt-5-2025-08-07", True),
        ("model", "gpt-5", "gpt-5-20250807", True),
        ("model", "claude-sonnet-4.6", "claude-sonnet-4.6-v2", True),
        ("model", "gpt-5", "gpt-5-mini", False),
        ("model", "claude-sonnet-4", "claude-sonnet-4-5", False),
        ("model", "gpt-5-2025-08-07", "gpt-5", False),
        ("model", "gpt-5", None, True),
        ("custom_agent", "reviewer", None, True),
        ("custom_agent", "reviewer", "Reviewer", False),
    ],
)
def test_what_an_answer_may_differ_in(
    name: str, declared: str, answered: str | None, matches: bool
) -> None:
    assert answered_as(name, declared, answered) is matches


def test_a_model_pinned_twice_names_both_aliases() -> None:
    assert list(model_aliases("m-2025-01-01-v3")) == ["m-2025-01-01", "m"]
    assert list(model_aliases("m")) == []


parts = st.sampled_from(["main", "refs/heads/main", "gpt-5", "2025-08-07", "v2", "mini", "x"])
values = st.lists(parts, min_size=1, max_size=4).map("-".join) | parts


@given(st.sampled_from(MATCHED_FIELDS), values, values)
def test_the_index_meets_exactly_when_the_rule_says_either(name: str, a: str, b: str) -> None:
    """The lookalike check's index (lookup_values/probe_values) is the rule, not a second one."""
    meets = bool(set(lookup_values(name, a)) & set(probe_values(name, b)))
    assert meets is could_be_either(name, a, b)
    # And "could be either" is what one answer matching both declared values means.
    if meets:
        assert answered_as(name, a, b) or answered_as(name, b, a)


def test_a_model_is_matched_at_most_three_pins_deep() -> None:
    # A hostile model pinned 700,000 times over (2 MiB) had as many aliases, each a copy of it.
    assert answered_as("model", "m", "m-v1-v1-v1") is True
    assert answered_as("model", "m", "m-v1-v1-v1-v1") is False
    assert list(model_aliases("m" + "-v1" * 100_000))[-1] == "m" + "-v1" * 99_997
