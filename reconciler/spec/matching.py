"""The one tolerant rule for "was this task started from this field's value?" (pure).

DESIGN §4: recovery finds a lost task by comparing what its first session was started with to
the declared body, and ``validate`` refuses two keys whose tasks recovery could not tell apart.
Both ask this module, so the two can never disagree.

GitHub's description of a task promises none of ``base_ref``, ``head_ref`` or ``model`` back
byte for byte (all optional), so a value is matched through the normalisations it may apply:

- a ref is the same with or without a leading ``refs/heads/`` (``main`` is ``refs/heads/main``);
- a model alias may be answered as a pinned version of itself: the declared value, ``-``, then a
  version (a date such as ``2025-08-07`` or ``20250807``, or ``v`` and a number such as ``v2``),
  at most three such pins (``MAX_PINS``; a hostile 2 MiB model pinned 700,000 times over had as
  many aliases, each a copy of it, for the lookalike check to file);
- a field missing from the answer matches anything (it cannot contradict the body).

Nothing else is forgiven: another branch, another model family (``gpt-5`` is not ``gpt-5-mini``,
nor ``claude-sonnet-4`` ``claude-sonnet-4-5``), another custom agent never match, so a task that is
not ours is never adopted because of the tolerance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

REF_PREFIX = "refs/heads/"
REF_FIELDS = ("base_ref", "head_ref")
# Every body field matching compares, besides the prompt (create_pull_request is never answered).
MATCHED_FIELDS = ("base_ref", "head_ref", "model", "custom_agent")

_VERSION = r"(?:\d{4}-\d{2}-\d{2}|\d{8}|v\d+(?:\.\d+)*)"
_PINNED = re.compile(rf"(.+)-{_VERSION}")
MAX_PINS = 3


def canonical_ref(ref: str) -> str:
    """``ref`` without a leading ``refs/heads/``: the branch name both spellings mean."""
    return ref[len(REF_PREFIX) :] if ref.startswith(REF_PREFIX) else ref


def model_aliases(model: str) -> Iterator[str]:
    """Every shorter name ``model`` may be a pinned version of (``gpt-5-2025-08-07`` → ``gpt-5``),
    longest first, at most ``MAX_PINS`` of them."""
    found = _PINNED.fullmatch(model)
    for _ in range(MAX_PINS):
        if found is None:
            return
        alias = found.group(1)
        yield alias
        found = _PINNED.fullmatch(alias)


def answered_as(name: str, declared: str, answered: str | None) -> bool:
    """Whether a task answered with ``answered`` for field ``name`` may have been started with
    ``declared``."""
    if answered is None:
        return True
    if name in REF_FIELDS:
        return canonical_ref(answered) == canonical_ref(declared)
    if name == "model":
        return answered == declared or declared in model_aliases(answered)
    return answered == declared


def could_be_either(name: str, left: str | None, right: str | None) -> bool:
    """Whether one answer could match two declared values of field ``name`` (None: left to the
    server, which matches anything)."""
    if left is None or right is None:
        return True
    if name in REF_FIELDS:
        return canonical_ref(left) == canonical_ref(right)
    if name == "model":
        return answered_as(name, left, right) or answered_as(name, right, left)
    return left == right


def lookup_values(name: str, value: str) -> tuple[tuple[str, str], ...]:
    """The index entries a declared ``value`` of field ``name`` is filed under, so that two values
    ``could_be_either`` iff one's ``lookup_values`` meets the other's ``probe_values``.

    This keeps the "could not be told apart" check linear in the number of tasks (a hostile file
    of thousands of tasks with one prompt must not take minutes) without a second copy of the rule.
    """
    if name in REF_FIELDS:
        return (("=", canonical_ref(value)),)
    if name == "model":
        return (("=", value), *(("<", alias) for alias in model_aliases(value)))
    return (("=", value),)


def probe_values(name: str, value: str) -> tuple[tuple[str, str], ...]:
    """The index entries to look up for ``value``: itself, a longer pinned version of it, and each
    shorter alias it pins (see ``lookup_values``)."""
    if name == "model":
        return (("=", value), ("<", value), *(("=", a) for a in model_aliases(value)))
    return lookup_values(name, value)
