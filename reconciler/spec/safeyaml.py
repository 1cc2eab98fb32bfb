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

That is the pure path. ``parse`` reads through libyaml (``cyaml``, ten times faster) whenever PyYAML
has its C extension, with the same guards (``yamlguard``) at the same events, and comes here for
what libyaml refuses or leaves to ruamel's words. Both refuse NEL, U+2028, U+2029 and U+FEFF
first (``yamlguard.odd_character``).
"""

from __future__ import annotations

from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from ruamel.yaml.nodes import MappingNode
from ruamel.yaml.parser import Parser
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scanner import Scanner
from ruamel.yaml.tokens import ValueToken

from reconciler.errors import Position, Problem
from reconciler.spec.secretscan import shown
from reconciler.spec.tree import Map, Seq
from reconciler.spec.yamlguard import (
    ANCHORS,
    BAD_TIMESTAMP,
    COLLECTION_KEY,
    DIRECTIVES,
    MAX_DEPTH,
    MAX_NODES,
    NESTING,
    SINGLE_DOCUMENT,
    TAGS,
    TOO_MANY,
    YamlRefused,
    check_scalar,
    odd_character,
)

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "SpecProblem", "decode", "parse"]

MAX_BYTES = 2 * 1024 * 1024
# Set by ``agenttasks`` from AGENTTASKS_YAML at start-up ("pure": ruamel's pure-Python parse);
# the C path whenever PyYAML was built with libyaml.
HAVE_LIBYAML: bool = pyyaml.__with_libyaml__
use_libyaml = HAVE_LIBYAML


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
            raise YamlRefused(mark.line, mark.column, NESTING)
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


class _GuardedComposer(Composer):
    _depth = 0
    _nodes = 0

    def compose_document(self) -> Any:
        event = self.parser.peek_event()
        if getattr(event, "version", None) is not None or getattr(event, "tags", None):
            mark = event.start_mark
            raise YamlRefused(mark.line, mark.column, DIRECTIVES)
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        mark = event.start_mark
        if isinstance(event, AliasEvent) or event.anchor is not None:
            raise YamlRefused(mark.line, mark.column, ANCHORS)
        tag = getattr(event, "ctag", None)
        if tag is not None and str(tag) != "!":
            raise YamlRefused(mark.line, mark.column, TAGS)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise YamlRefused(mark.line, mark.column, TOO_MANY)
        if isinstance(event, ScalarEvent):
            is_key = isinstance(parent, MappingNode) and index is None
            plain = event.style is None
            check_scalar(event.value, plain=plain, is_key=is_key, line=mark.line, col=mark.column)
        if not isinstance(event, MappingStartEvent | SequenceStartEvent):
            return super().compose_node(parent, index)
        if isinstance(parent, MappingNode) and index is None:
            # ruamel crashed (TypeError) on a key holding a list or mapping; none names a task.
            raise YamlRefused(mark.line, mark.column, COLLECTION_KEY)
        if self._depth >= MAX_DEPTH:
            raise YamlRefused(mark.line, mark.column, NESTING)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Constructor(RoundTripConstructor):
    """Refuses a timestamp that names no real moment (``2024-02-31``) at its place: ruamel's own
    constructor raises a bare ValueError there (a crash, exit 70)."""

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except (ValueError, OverflowError):
            mark = node.start_mark
            raise YamlRefused(mark.line, mark.column, BAD_TIMESTAMP, mark.index) from None


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.Constructor = _Constructor
    yaml.Scanner = _GuardedScanner
    yaml.Parser = _Parser
    yaml.Composer = _GuardedComposer
    yaml.allow_duplicate_keys = False
    return yaml


def _adopted(value: Any) -> Any:
    """ruamel's round-trip objects as the tree both paths give (``tree``), with the places its
    constructor recorded; scalars as they are. Its depth is bounded by the nesting guard."""
    if isinstance(value, CommentedMap):
        lc = value.lc
        adopted = Map(lc.line or 0, lc.col or 0)
        for key, item in value.items():
            key_line, key_col, line, col = lc.data[key]
            adopted.places[key] = (key_line, key_col, line, col)
            adopted[key] = _adopted(item)
        return adopted
    if isinstance(value, CommentedSeq):
        lc = value.lc
        sequence = Seq(lc.line or 0, lc.col or 0)
        for index, item in enumerate(value):
            line, col = lc.data[index]
            sequence.places.append((line, col))
            sequence.append(_adopted(item))
        return sequence
    return value


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


def _duplicate_message(problem: str) -> str:
    """ruamel's words for a duplicate key, ``found duplicate key "KEY" with value…``, shortened."""
    quoted = problem.split(" with value")[0].removeprefix("found duplicate key ")
    return f'duplicate key "{shown(quoted[1:-1])}"'


def _marked_message(error: MarkedYAMLError) -> str:
    if isinstance(error, ComposerError) and "single document" in str(error.context):
        return SINGLE_DOCUMENT
    problem = (error.problem or error.context or "invalid YAML").strip()
    if "duplicate key" in problem:
        return _duplicate_message(problem)
    return f"YAML syntax error: {problem}"


def _first_directive_line(text: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("%"):
            return number
    return None


def _refused(refused: YamlRefused, text: str, file: str) -> SpecProblem:
    line, col = refused.line + 1, refused.col + 1
    if refused.message == DIRECTIVES:
        line, col = _first_directive_line(text) or line, 1
    return SpecProblem(Problem(Position(file, line, col), refused.message))


def parse(text: str, file: str) -> Any:
    """Read ``text`` into a ``tree``, or raise SpecProblem: through libyaml when ``use_libyaml``,
    else (or for what it leaves to ruamel) the pure path."""
    odd = odd_character(text)  # on both paths: they would place what follows differently
    if odd is not None:
        offset, message = odd
        raise SpecProblem(Problem(position_of_offset(text, offset, file), message))
    if use_libyaml:
        from reconciler.spec import cyaml  # only where PyYAML has libyaml

        try:
            return cyaml.load(text)
        except YamlRefused as refused:
            raise _refused(refused, text, file) from None
        except cyaml.Duplicate as duplicate:
            where = Position(file, duplicate.line + 1, duplicate.col + 1)
            message = _duplicate_message(f'found duplicate key "{duplicate.key}" with value')
            raise SpecProblem(Problem(where, message)) from None
        except cyaml.Deferred:
            pass
    return parse_pure(text, file)


def parse_pure(text: str, file: str) -> Any:
    """The pure path: ruamel's scanner and parser, the guarded composer, its constructor."""
    try:
        return _adopted(_yaml().load(text))
    except YamlRefused as refused:
        raise _refused(refused, text, file) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise SpecProblem(Problem(Position(file, line, col), _marked_message(error))) from None
    except ReaderError as error:
        position = position_of_offset(text, max(error.position, 0), file)
        message = f"control character #x{error.character:04x} is not allowed"
        raise SpecProblem(Problem(position, message)) from None
