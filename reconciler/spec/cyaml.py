"""The fast parse: libyaml's event stream (PyYAML's C ``CParser``) built into the same round-trip
objects, with the same positions, as ruamel's pure-Python loader gives (``safeyaml``).

One loop reads the events, applies every guard of ``yamlguard`` at the event that breaks it (so
hostile input is refused as early as on the pure path, at the same place) and builds
``CommentedMap``/``CommentedSeq`` with the line and column of every collection, key, value and
item, as ruamel's round-trip constructor records them. libyaml's marks count characters, as
ruamel's do. Plain scalars resolve by ruamel's YAML 1.2 rules (``yes`` stays a string); a value
that is not a string is built by ruamel's own constructor.

What it leaves to the pure path (``Deferred``): anything libyaml refuses (its messages are not
ours; the pure path then says what is wrong, or reads what libyaml would not), a nesting refusal
(ruamel's scanner looks ahead within a line and may refuse a deeper bracket first), a key that is a
collection, and a duplicate key whose text would not survive ruamel's message. Each is an error
case a person fixes; the pure path costs what it always did.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from yaml import YAMLError
from yaml._yaml import CParser
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from reconciler.spec.yamlguard import (
    ANCHORS,
    DIRECTIVES,
    MAX_DEPTH,
    MAX_NODES,
    SINGLE_DOCUMENT,
    TAGS,
    TOO_MANY,
    YamlRefused,
    check_scalar,
)

_STR = "tag:yaml.org,2002:str"


class Deferred(Exception):
    """This text is for the pure path to read: libyaml refused it, or it needs ruamel's words."""


class Duplicate(Exception):
    """A duplicate key, found when the whole document had been read without another refusal
    (ruamel checks keys while constructing, after composing)."""

    def __init__(self, line: int, col: int, key: Any) -> None:
        self.line, self.col, self.key = line, col, key
        super().__init__(str(key))


class _Scalars:
    """Plain scalars resolved as ruamel's round-trip loader resolves them (YAML 1.2)."""

    def __init__(self) -> None:
        self._yaml = YAML(typ="rt", pure=True)
        self._resolver = self._yaml.resolver
        self._tags: dict[str, str] = {}

    def plain(self, event: Any) -> Any:
        value: str = event.value
        tag = self._tags.get(value)
        if tag is None:
            tag = self._resolver.resolve(ScalarNode, value, (True, False))
            self._tags[value] = tag
        if tag == _STR:
            return value
        node = ScalarNode(tag, value, None, None)
        return self._yaml.constructor.construct_object(node, deep=True)


_scalars: _Scalars | None = None


def _plain(event: Any) -> Any:
    global _scalars  # one resolver, built on first use, caches its answers
    if _scalars is None:
        _scalars = _Scalars()
    return _scalars.plain(event)


def _start(event: Any, depth: int, nodes: int) -> None:
    """The guards of a value's first event."""
    mark = event.start_mark
    if event.anchor is not None:
        raise YamlRefused(mark.line, mark.column, ANCHORS)
    tag = event.tag
    if tag is not None and tag != "!":
        raise YamlRefused(mark.line, mark.column, TAGS)
    if nodes > MAX_NODES:
        raise YamlRefused(mark.line, mark.column, TOO_MANY)


def load(text: str) -> Any:
    """The tasks file's value, or YamlRefused, Duplicate or Deferred."""
    parser = CParser(text)
    try:
        return _build(parser)
    except YAMLError:  # its scanner, parser or reader refused the text
        raise Deferred from None
    finally:
        parser.dispose()


def _build(parser: Any) -> Any:
    get = parser.get_event
    get()  # the stream start
    event = get()
    if isinstance(event, StreamEndEvent):
        return None
    if event.version is not None or event.tags:
        raise YamlRefused(event.start_mark.line, event.start_mark.column, DIRECTIVES)
    # Each open collection: [container, its line-col data, is a mapping, pending key, key mark].
    stack: list[list[Any]] = []
    root: Any = None
    nodes = 0
    duplicate: Duplicate | None = None
    while True:
        event = get()
        kind = event.__class__
        if kind is ScalarEvent:
            nodes += 1
            _start(event, len(stack), nodes)
            mark = event.start_mark
            line, col = mark.line, mark.column
            plain = event.style == "" and event.tag is None
            top = stack[-1] if stack else None
            is_key = top is not None and top[2] and top[3] is _NO_KEY
            check_scalar(event.value, plain=plain, is_key=is_key, line=line, col=col)
            if plain:
                value = _plain(event)
            elif event.style == "|":
                value = LiteralScalarString(event.value)
            elif event.style == ">":
                value = FoldedScalarString(event.value)
            else:
                value = event.value
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            nodes += 1
            _start(event, len(stack), nodes)
            mark = event.start_mark
            if len(stack) >= MAX_DEPTH:
                raise Deferred  # the pure path knows which bracket its scanner refuses first
            top = stack[-1] if stack else None
            if top is not None and top[2] and top[3] is _NO_KEY:
                raise Deferred  # a collection as a key
            container: Any = CommentedMap() if kind is MappingStartEvent else CommentedSeq()
            lc = container.lc
            lc.line, lc.col = mark.line, mark.column
            lc.data = {}
            stack.append([container, lc.data, kind is MappingStartEvent, _NO_KEY, None])
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            entry = stack.pop()
            value = entry[0]
            line, col = value.lc.line, value.lc.col
            top = stack[-1] if stack else None
        elif kind is DocumentEndEvent:
            break
        elif kind is AliasEvent:
            mark = event.start_mark
            raise YamlRefused(mark.line, mark.column, ANCHORS)
        else:  # pragma: no cover - libyaml sends nothing else inside a document
            raise Deferred
        if top is None:
            root = value
        elif not top[2]:
            top[1][len(top[0])] = [line, col]
            top[0].append(value)
        elif top[3] is _NO_KEY:
            top[3], top[4] = value, (line, col)
        else:
            key, (key_line, key_col) = top[3], top[4]
            top[3] = _NO_KEY
            mapping = top[0]
            if key in mapping:
                if duplicate is None:
                    duplicate = Duplicate(key_line, key_col, key)
            else:
                top[1][key] = [key_line, key_col, line, col]
                mapping[key] = value
    event = get()
    if not isinstance(event, StreamEndEvent):
        raise YamlRefused(event.start_mark.line, event.start_mark.column, SINGLE_DOCUMENT)
    if duplicate is not None:
        raise duplicate
    return root


_NO_KEY: Any = object()
