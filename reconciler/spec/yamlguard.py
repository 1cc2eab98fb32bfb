"""The guards both YAML parse paths apply, each rule written once: what a tasks file may not hold.

``safeyaml`` (ruamel's pure-Python parse) and ``cyaml`` (libyaml's event stream) call these as the
events stream past, so a refusal names the same place on either path.
"""

from __future__ import annotations

import re

MAX_DEPTH = 32
# The pure-Python parse costs 40-110 µs a value (keys, scalars, collections) whatever its size: a
# hostile file of 2 MiB holds 325,000 tiny ones, 26 s. This cap keeps it to a few seconds, and is
# far above any tasks file a person writes (an ordinary task is 6-10 values: 6,000 tasks and more).
MAX_NODES = 60_000

DIRECTIVES = "YAML directives (%YAML, %TAG) are not allowed"
ANCHORS = "YAML anchors and aliases are not allowed"
TAGS = "explicit YAML tags are not allowed"
MERGE_KEYS = "YAML merge keys (<<) are not allowed"
COLLECTION_KEY = "a list or mapping as a key is not allowed"
SINGLE_DOCUMENT = "only one YAML document is allowed in a tasks file"
NESTING = f"nesting deeper than {MAX_DEPTH} levels is not allowed"
TOO_MANY = f"more than {MAX_NODES:,} YAML values in one file; split the tasks over files"


BAD_TIMESTAMP = "not a valid date or time (YAML reads this as one); quote it to keep it as text"


class YamlRefused(Exception):
    """Raised while composing; carries a 0-based mark and the reason."""

    def __init__(self, line: int, col: int, message: str, index: int = -1) -> None:
        self.line, self.col, self.message, self.index = line, col, message, index
        super().__init__(message)


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_scalar(
    value: str, *, plain: bool, is_key: bool, line: int, col: int, index: int = -1
) -> None:
    """Refuses a plain ``<<`` key (a merge key: it copies a mapping in, and a key it brings in
    escapes the duplicate-key check) and an escaped surrogate (``"\\ud800"``), which no UTF-8
    text can hold."""
    if is_key and plain and value == "<<":
        raise YamlRefused(line, col, MERGE_KEYS, index)
    found = _SURROGATE.search(value)
    if found:
        escape = f"\\u{ord(found.group()):04x}"
        message = (
            f"escaped surrogate {escape} is not a character;"
            " write the character itself, or \\U and 8 hex digits"
        )
        raise YamlRefused(line, col, message, index)


# Characters libyaml and ruamel read differently: refused before either parses, so that both agree
# on every line and column. Both count NEL, U+2028 and U+2029 as line breaks where they may end a
# line, but not alike inside scalars; ruamel gives a byte order mark no column (libyaml does).
_ODD = re.compile("[\x85\u2028\u2029\ufeff]")
_NAMES = {
    "\x85": "NEXT LINE",
    "\u2028": "LINE SEPARATOR",
    "\u2029": "PARAGRAPH SEPARATOR",
    "\ufeff": "BYTE ORDER MARK",
}


def odd_character(text: str) -> tuple[int, str] | None:
    """The offset of the first NEL, U+2028, U+2029 or (past the start) U+FEFF in ``text``, and
    why it is refused."""
    found = _ODD.search(text)
    if found is None:
        return None
    code = f"{ord(found.group()):04X}"
    message = (
        f"character U+{code} ({_NAMES[found.group()]}) is not allowed: YAML readers do not agree"
        f' where it leaves the lines and columns; write it as "\\u{code}" in a double-quoted string'
    )
    return found.start(), message
