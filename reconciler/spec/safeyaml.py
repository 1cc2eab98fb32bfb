"""Read YAML text that may be hostile, keeping positions for error messages.

ruamel.yaml's pure-Python round-trip loader gives every mapping and sequence its line and column.
It is fed by ruamel's plain pure-Python scanner and parser rather than their round-trip variants:
positions come from the marks every token carries, and gathering comments (which nothing here
reads) was 40% of the parse of a large file.
On its own it accepts what a tasks file never needs and an attacker loves: explicit tags
(``!!python/…``), anchors and aliases (the "billion laughs"), ``%YAML``/``%TAG`` directives
(``%YAML 1.1`` turns ``no`` into ``False``) and unbounded nesting (its recursive composer takes
seconds to hit ``RecursionError``). A guarded composer refuses each of those as the events stream
past, before any node is built, so hostile input costs time linear in its size and is refused at
the first offending event. It also caps the values in a file (``MAX_NODES``): the parse costs the
same per value however small, and a 2 MiB file of tiny ones took 26 s.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from ruamel.yaml.nodes import MappingNode
from ruamel.yaml.parser import Parser
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scanner import Scanner
from ruamel.yaml.tokens import ValueToken

from reconciler.errors import Position, Problem
from reconciler.spec.secretscan import shown

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 32
# The pure-Python parse costs 40-110 µs a value (keys, scalars, collections) whatever its size: a
# hostile file of 2 MiB holds 325,000 tiny ones, 26 s. This cap keeps it to a few seconds, and is
# far above any tasks file a person writes (an ordinary task is 6-10 values: 6,000 tasks and more).
MAX_NODES = 60_000


class YamlRefused(Exception):
    """Raised inside the composer; carries a 0-based mark and the reason."""

    def __init__(self, line: int, col: int, message: str) -> None:
        self.line, self.col, self.message = line, col, message
        super().__init__(message)


class _GuardedScanner(Scanner):
    """Caps flow nesting while scanning: the scanner reads ahead up to 1,024 open brackets
    looking for a simple key, at a cost quadratic in that window, before any event is composed.

    It also checks for stale simple keys once per place in the text: ruamel checks each time a
    token is asked for, several times a token, walking every open flow level each time (7% of the
    parse of prompts nested 28 deep). A key saved since, at the same place, cannot be stale.
    """

    _stale_checked_at = -1

    def stale_possible_simple_keys(self) -> None:
        index = self.reader.index
        if index != self._stale_checked_at:
            self._stale_checked_at = index
            super().stale_possible_simple_keys()

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
        if len(self.flow_context) >= MAX_DEPTH:
            mark = self.reader.get_mark()
            raise YamlRefused(
                mark.line, mark.column, f"nesting deeper than {MAX_DEPTH} levels is not allowed"
            )
        super().fetch_flow_collection_start(TokenClass, to_push)


class _Parser(Parser):
    """Places an empty mapping value (``on:``) just after its colon, as PyYAML does.

    ruamel places it at the token that follows, often the next key some lines down, unless a
    comment token came first: its round-trip scanner gathers those, the plain one skips them.
    """

    def parse_block_mapping_value(self) -> Any:
        colon = self.scanner.peek_token()
        event = super().parse_block_mapping_value()
        # The empty scalar is the only scalar event made with one mark for its start and end.
        empty = isinstance(event, ScalarEvent) and event.start_mark is event.end_mark
        if empty and isinstance(colon, ValueToken):
            event.start_mark = event.end_mark = colon.end_mark
        return event


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_scalar(event: ScalarEvent, *, is_key: bool) -> None:
    """Refuses a plain ``<<`` key (a merge key: it copies a mapping in, and a key it brings in
    escapes the duplicate-key check) and an escaped surrogate (``"\\ud800"``), which no UTF-8
    text can hold."""
    mark = event.start_mark
    if is_key and event.value == "<<" and event.style is None:
        raise YamlRefused(mark.line, mark.column, "YAML merge keys (<<) are not allowed")
    found = _SURROGATE.search(event.value)
    if found:
        escape = f"\\u{ord(found.group()):04x}"
        message = (
            f"escaped surrogate {escape} is not a character;"
            " write the character itself, or \\U and 8 hex digits"
        )
        raise YamlRefused(mark.line, mark.column, message)


class _GuardedComposer(Composer):
    _depth = 0
    _nodes = 0

    def compose_document(self) -> Any:
        event = self.parser.peek_event()
        if getattr(event, "version", None) is not None or getattr(event, "tags", None):
            mark = event.start_mark
            raise YamlRefused(
                mark.line, mark.column, "YAML directives (%YAML, %TAG) are not allowed"
            )
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        mark = event.start_mark
        if isinstance(event, AliasEvent) or event.anchor is not None:
            raise YamlRefused(mark.line, mark.column, "YAML anchors and aliases are not allowed")
        tag = getattr(event, "ctag", None)
        if tag is not None and str(tag) != "!":
            raise YamlRefused(mark.line, mark.column, "explicit YAML tags are not allowed")
        self._nodes += 1
        if self._nodes > MAX_NODES:
            message = f"more than {MAX_NODES:,} YAML values in one file; split the tasks over files"
            raise YamlRefused(mark.line, mark.column, message)
        if isinstance(event, ScalarEvent):
            _check_scalar(event, is_key=isinstance(parent, MappingNode) and index is None)
        if not isinstance(event, MappingStartEvent | SequenceStartEvent):
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise YamlRefused(
                mark.line, mark.column, f"nesting deeper than {MAX_DEPTH} levels is not allowed"
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.Scanner = _GuardedScanner
    yaml.Parser = _Parser
    yaml.Composer = _GuardedComposer
    yaml.allow_duplicate_keys = False
    return yaml


def position_of_offset(text: str, offset: int, file: str) -> Position:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Position(file, line, col)


def decode(data: bytes, file: str) -> str:
    """UTF-8 text without a BOM, or a Problem at the first byte that is not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        good = data[: error.start].decode("utf-8")
        position = position_of_offset(good, len(good), file)
        raise SpecProblem(Problem(position, "file is not valid UTF-8")) from None
    return text.removeprefix("\ufeff")


class SpecProblem(Exception):
    """A single problem that ends the reading of one file."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def _marked_message(error: MarkedYAMLError) -> str:
    if isinstance(error, ComposerError) and "single document" in str(error.context):
        return "only one YAML document is allowed in a tasks file"
    problem = (error.problem or error.context or "invalid YAML").strip()
    if "duplicate key" in problem:
        quoted = problem.split(" with value")[0].removeprefix("found duplicate key ")
        return f'duplicate key "{shown(quoted[1:-1])}"'
    return f"YAML syntax error: {problem}"


def _first_directive_line(text: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("%"):
            return number
    return None


def parse(text: str, file: str) -> Any:
    """Compose ``text`` into ruamel's round-trip objects, or raise SpecProblem."""
    try:
        return _yaml().load(text)
    except YamlRefused as refused:
        line, col = refused.line + 1, refused.col + 1
        if refused.message.startswith("YAML directives"):
            line, col = _first_directive_line(text) or line, 1
        raise SpecProblem(Problem(Position(file, line, col), refused.message)) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise SpecProblem(Problem(Position(file, line, col), _marked_message(error))) from None
    except ReaderError as error:
        position = position_of_offset(text, max(error.position, 0), file)
        message = f"control character #x{error.character:04x} is not allowed"
        raise SpecProblem(Problem(position, message)) from None
