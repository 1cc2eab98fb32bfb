"""Spot text that carries a credential: a prompt is sent to an agent and kept by GitHub, every
other field of a task is sent with it, and an error message ends up in a CI log.

One rule (``_PATTERNS``) decides what looks like a secret, for the fields sent (``find_secret``)
and for every piece of user text a message echoes (``shown``): a match is shown as its first four
characters and ``…``, never more.
"""

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


# An echoed name (a key, a field) is cut here: a 2 MiB key must not become a 2 MiB error line.
SHOWN_CHARS = 64


def sent_field_message(finding: SecretFinding) -> str:
    """The error text for a secret in a field other than the prompt; the first four characters."""
    return (
        f"value contains what looks like {finding.kind} ('{finding.prefix}…'); remove it: it is"
        " sent to GitHub with the task"
    )


def shown(text: str) -> str:
    """User text as a message may echo it: every secret-shaped run cut to its first four
    characters and ``…``, and the whole cut to ``SHOWN_CHARS`` characters and ``…``."""
    for _, pattern in _PATTERNS:
        text = pattern.sub(lambda match: match.group()[:4] + "…", text)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def find_secret(text: str) -> SecretFinding | None:
    """The first secret-shaped string in ``text``, or None."""
    found: list[SecretFinding] = []
    for kind, pattern in _PATTERNS:
        match = pattern.search(text)
        if match:
            found.append(SecretFinding(kind, match.start(), match.group()[:4]))
    return min(found, key=lambda f: f.offset) if found else None
