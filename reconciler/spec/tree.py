"""A parsed tasks file: plain dicts and lists that know where they stand in the text.

Both parse paths give this tree (``cyaml`` builds it from libyaml's events; ``safeyaml`` from
ruamel's round-trip objects), so ``problems.position_of`` reads one kind of place. A ``Map`` is a
``dict`` that sets items at C speed, and pydantic validates it as one: ruamel's maps set and read
through Python methods, which cost a 2,000-task plan 0.02 s (bench/plan.py). Lines and columns
count from 0, as both parsers do; ``Position`` adds one.
"""

from __future__ import annotations

from typing import Any


class Map(dict[Any, Any]):
    """A mapping, with its own place and, for each key, the key's place and its value's."""

    __slots__ = ("col", "line", "places")

    def __init__(self, line: int, col: int) -> None:
        super().__init__()
        self.line, self.col = line, col
        # key -> (key line, key column, value line, value column)
        self.places: dict[Any, tuple[int, int, int, int]] = {}


class Seq(list[Any]):
    """A sequence, with its own place and each item's."""

    __slots__ = ("col", "line", "places")

    def __init__(self, line: int, col: int) -> None:
        super().__init__()
        self.line, self.col = line, col
        self.places: list[tuple[int, int]] = []  # item i -> (line, column)
