"""Spot prompts that carry a credential: a prompt is sent to an agent and kept by GitHub."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "a GitHub token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
    ),
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b")),
)


@dataclass(frozen=True)
class SecretFinding:
    """What kind of secret was seen, where (character offset) and its first four characters."""

    kind: str
    offset: int
    prefix: str

    def message(self) -> str:
        """The error text; it never shows more than the first four characters."""
        return (
            f"prompt contains what looks like {self.kind} ('{self.prefix}…'); remove it: prompts"
            " are sent to the agent and stored by GitHub"
        )


def find_secret(text: str) -> SecretFinding | None:
    """The first secret-shaped string in ``text``, or None."""
    found: list[SecretFinding] = []
    for kind, pattern in _PATTERNS:
        match = pattern.search(text)
        if match:
            found.append(SecretFinding(kind, match.start(), match.group()[:4]))
    return min(found, key=lambda f: f.offset) if found else None
