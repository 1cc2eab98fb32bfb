"""Where two prompts that look the same differ (pure).

A prompt re-saved by another editor can change only in what no one sees: NFC ``é`` (U+00E9) for
NFD ``e`` + U+0301, a no-break space, a zero-width joiner. The digest sees it and the plan replaces
the task, but the block shows the same text twice over; the reviewer is owed the difference.
"""

from __future__ import annotations

import unicodedata


def _looks(text: str) -> str:
    """``text`` as a reader sees it: compatibility-composed, format characters dropped."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def _cluster(text: str, start: int) -> str:
    """The character at ``start`` with the format characters before it and the combining marks
    and format characters after it: what a reader takes for one character."""
    end = start
    while end < len(text) and _attaches(text[end]):
        end += 1
    end += 1
    while end < len(text) and _attaches(text[end]):
        end += 1
    return text[start:end]


def _attaches(char: str) -> bool:
    return bool(unicodedata.combining(char)) or unicodedata.category(char) == "Cf"


def _codes(text: str) -> str:
    return " ".join(f"U+{ord(c):04X}" for c in text) or "nothing"


def unseen_difference(old: str, new: str) -> str | None:
    """For texts that differ but look the same, where and how: ``line L, column C: U+… → U+…``;
    None when they are equal or differ visibly."""
    if old == new or _looks(old) != _looks(new):
        return None
    at = next(
        (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
        min(len(old), len(new)),
    )
    # Back up to the character a combining mark or format character belongs to.
    while at > 0 and (_attaches(old[at - 1]) or _attaches(new[at - 1])):
        at -= 1
    line = old.count("\n", 0, at) + 1
    column = at - (old.rfind("\n", 0, at) + 1) + 1
    return (
        f"line {line}, column {column}: {_codes(_cluster(old, at))} → {_codes(_cluster(new, at))}"
    )
