"""A structural reading of Markdown: fences, HTML tags and table rows, as GitHub would see them."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def outside_fences(markdown: str) -> list[str]:
    """The lines outside fenced code; fails when a fence is left open at the end."""
    outside: list[str] = []
    opening: str | None = None
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if opening is None:
            if match and not (match[1][0] == "`" and "`" in match[2]):
                opening = match[1]
            else:
                outside.append(line)
        elif (
            match
            and match[1][0] == opening[0]
            and len(match[1]) >= len(opening)
            and not match[2].strip()
        ):
            opening = None
    assert opening is None, "a code fence is never closed"
    return outside


def check_structure(markdown: str, *, details: int | None = None) -> None:
    """Fences close, ``<details>`` tags pair up, no live HTML, table rows have 6 cells."""
    text = "\n".join(outside_fences(markdown))
    assert text.count("<details>") == text.count("</details>")
    if details is not None:
        assert text.count("<details>") == details
    assert text.count("<summary>") == text.count("</summary>") == text.count("<details>")
    for tag in ("<script", "<!--", "<img", "<a ", "<table"):
        assert tag not in text.lower()
    for line in text.split("\n"):
        if line.startswith("| "):
            assert len(_UNESCAPED_PIPE.findall(line)) == 7, line
