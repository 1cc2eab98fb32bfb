"""The fast parse: libyaml's event stream (PyYAML's C ``CParser``) built into the same round-trip
objects, with the same positions, as ruamel's pure-Python loader gives (``safeyaml``).

One loop reads the events, applies every guard of ``yamlguard`` at the event that breaks it (so
hostile input is refused as early as on the pure path, at the same place) and builds
a ``tree.Map``/``tree.Seq`` with the line and column of every collection, key, value and item,
as ruamel's round-trip constructor records them. libyaml's marks count characters, as
ruamel's do. Plain scalars resolve by ruamel's YAML 1.2 rules (``yes`` stays a string); a value
that is not a string is built by ruamel's own constructor.

What it leaves to the pure path (``Deferred``), whose answer is then the answer: anything libyaml
refuses (its messages are not ours; the pure path says what is wrong, or reads what libyaml would
not), a nesting refusal (ruamel's scanner looks ahead along a line and may refuse a deeper bracket
first), a ``!`` tag, a tag or anchor the two scanners could end at different characters, a
block scalar header ruamel refuses, an explicit document end ``...``, and a tab outside a quoted or
block scalar. Each is rare in a tasks
file a person writes; the pure path costs what it always did. ``tests/spec/test_parse_paths.py``
compares the two paths on generated and mutated files.
"""

from __future__ import annotations

from re import Pattern
from typing import Any

from ruamel.yaml import YAML
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

from reconciler.spec.tree import Map, Seq
from reconciler.spec.yamlguard import (
    ANCHORS,
    BAD_TIMESTAMP,
    COLLECTION_KEY,
    DIRECTIVES,
    MAX_DEPTH,
    MAX_NODES,
    SINGLE_DOCUMENT,
    TAGS,
    TOO_MANY,
    YamlRefused,
    check_scalar,
)

_VALUE = "tag:yaml.org,2002:value"


class Deferred(Exception):
    """This text is for the pure path to read: libyaml refused it, or it needs ruamel's words."""


class Duplicate(Exception):
    """A duplicate key, found when the whole document had been read without another refusal
    (ruamel checks keys while constructing, after composing)."""

    def __init__(self, line: int, col: int, key: Any) -> None:
        self.line, self.col, self.key = line, col, key
        super().__init__(str(key))


class _Scalars:
    """Plain scalars that resolve to something but a string, built by ruamel's round-trip
    constructor (one per file: it remembers what it built)."""

    def __init__(self) -> None:
        self._yaml = YAML(typ="rt", pure=True)
        # ruamel builds one in 30 µs; a file says `true` or `3` again and again. What it builds
        # (numbers, booleans, None, dates) is never changed, so one object serves each text.
        self._built: dict[tuple[str, str], Any] = {}

    def resolvers(self) -> dict[str, list[tuple[str, Pattern[str]]]]:
        """ruamel's YAML 1.2 implicit resolvers, by the first character of the text."""
        table: dict[str, list[tuple[str, Pattern[str]]]] = self._yaml.resolver.versioned_resolver
        assert None not in table  # none for every first character in 1.2
        return dict(table)

    def build(self, tag: str, value: str, *, is_key: bool) -> Any:
        if is_key and tag == _VALUE:  # ruamel reads a key "=" as a string
            return value
        built = self._built.get((tag, value), _NO_KEY)
        if built is _NO_KEY:
            node = ScalarNode(tag, value, None, None)
            built = self._yaml.constructor.construct_object(node, deep=True)
            self._built[tag, value] = built
        return built


# What ruamel's resolver does for a plain scalar: the first pattern for its first character that
# matches gives its tag; none, a string ("repo", "o/r", "yes").
_RESOLVERS = _Scalars().resolvers()


def _anchor(text: str, mark: Any) -> YamlRefused:
    """An anchor or alias refused where it starts, as on the pure path, when both read the same
    name; ruamel reads more characters into a name (``&a:`` is ``a:``), so it may see another
    structure after it: Deferred."""
    at = mark.index
    if text[at : at + 1] not in ("&", "*"):
        raise Deferred
    end = at + 1
    while end < len(text) and (text[end].isalnum() or text[end] in "-_"):
        end += 1
    if end < len(text) and text[end] not in " \t\r\n,[]{}":
        raise Deferred
    return YamlRefused(mark.line, mark.column, ANCHORS, mark.index)


def _block_header(text: str, at: int) -> None:
    """Deferred unless a block scalar's header (``|``, ``>-``, ``|2+``) is followed by spaces, then
    a comment, a line break or the end: libyaml also reads ``|#x`` (a comment needs a blank
    before it) and a tab there, which ruamel refuses."""
    end = at + 1
    while end < len(text) and end <= at + 2 and text[end] in "+-0123456789":
        end += 1
    blanks = end
    while blanks < len(text) and text[blanks] == " ":
        blanks += 1
    if blanks < len(text) and text[blanks] not in "\r\n" + ("#" if blanks > end else ""):
        raise Deferred


def _tag(text: str, mark: Any) -> YamlRefused:
    """A tag refused where it starts, as on the pure path, when it is plainly one (``!x``,
    ``!!str``, ``!a/b``, then a blank); the two scanners end a tag with other characters at
    different places (``!:!x``), so that ruamel may see another structure: Deferred."""
    at = mark.index
    if text[at : at + 1] != "!":
        raise Deferred
    end = at + 1
    while end < len(text) and (text[end].isalnum() or text[end] in "!-_/."):
        end += 1
    if end < len(text) and text[end] not in " \t\r\n":
        raise Deferred
    return YamlRefused(mark.line, mark.column, TAGS, mark.index)


def _start(event: Any, text: str, nodes: int) -> None:
    """The guards of a value's first event."""
    mark = event.start_mark
    if event.anchor is not None:
        raise _anchor(text, mark)
    tag = event.tag
    if tag == "!":
        raise Deferred  # a non-specific tag: ruamel and libyaml end it at different characters
    if tag is not None:
        raise _tag(text, mark)
    if nodes > MAX_NODES:
        raise YamlRefused(mark.line, mark.column, TOO_MANY, mark.index)


def load(text: str) -> Any:
    """The tasks file's value, or YamlRefused, Duplicate or Deferred."""
    parser = CParser(text)
    # Where a tab stands inside a quoted or block scalar, both read it alike; anywhere else
    # (between tokens, in a plain scalar, in a comment) libyaml accepts some that ruamel refuses.
    # A refusal too: ruamel reads ahead past the refused event (``&a\t b``), and the scalars after
    # it were never seen here, so any tab after it counts as loose.
    quoted: list[tuple[int, int]] | None = [] if "\t" in text else None
    try:
        value = _build(parser, text, quoted)
    except YAMLError:  # its scanner, parser or reader refused the text
        raise Deferred from None
    except (YamlRefused, Duplicate):
        if quoted is not None and _loose_tab(text, quoted):
            raise Deferred from None
        raise
    finally:
        parser.dispose()
    if quoted is not None and _loose_tab(text, quoted):
        raise Deferred
    return value


def _loose_tab(text: str, quoted: list[tuple[int, int]]) -> bool:
    """Whether a tab stands outside every quoted or block scalar read."""
    end = len(text)
    spans = iter(quoted)
    start, stop = next(spans, (end, end))
    at = text.find("\t", 0, end)
    while at >= 0:
        while stop <= at:
            start, stop = next(spans, (end, end))
        if not start <= at < stop:
            return True
        at = text.find("\t", at + 1, end)
    return False


def _build(parser: Any, text: str, quoted: list[tuple[int, int]] | None) -> Any:
    get = parser.get_event
    get()  # the stream start
    event = get()
    if isinstance(event, StreamEndEvent):
        return None
    if event.version is not None or event.tags:
        mark = event.start_mark
        raise YamlRefused(mark.line, mark.column, DIRECTIVES, mark.index)
    # Each open collection: [container, its places, is a mapping, pending key, its place,
    # in flow style, the pending key's end mark].
    stack: list[list[Any]] = []
    root: Any = None
    nodes = 0
    duplicate: Duplicate | None = None
    scalars: _Scalars | None = None
    while True:
        event = get()
        kind = event.__class__
        if kind is ScalarEvent:
            nodes += 1
            _start(event, text, nodes)
            mark = event.start_mark
            line, col = mark.line, mark.column
            plain = event.style == ""
            top = stack[-1] if stack else None
            is_key = top is not None and top[2] and top[3] is _NO_KEY
            check_scalar(
                event.value, plain=plain, is_key=is_key, line=line, col=col, index=mark.index
            )
            if plain and mark.index == event.end_mark.index and not is_key:
                line, col = _empty_value_at(text, event, top)
            if quoted is not None and not plain:
                quoted.append((mark.index, event.end_mark.index))
            if plain:
                value = event.value
                for tag, pattern in _RESOLVERS.get(value[:1], ()):
                    if pattern.match(value):
                        scalars = scalars or _Scalars()
                        try:
                            value = scalars.build(tag, value, is_key=is_key)
                        except (ValueError, OverflowError):  # 2024-02-31: no such day
                            raise YamlRefused(line, col, BAD_TIMESTAMP, mark.index) from None
                        break
            elif event.style == "|":
                _block_header(text, mark.index)
                value = LiteralScalarString(event.value)
            elif event.style == ">":
                _block_header(text, mark.index)
                value = FoldedScalarString(event.value)
            else:
                value = event.value
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            nodes += 1
            _start(event, text, nodes)
            mark = event.start_mark
            top = stack[-1] if stack else None
            if top is not None and top[2] and top[3] is _NO_KEY:
                raise YamlRefused(mark.line, mark.column, COLLECTION_KEY, mark.index)
            if len(stack) >= MAX_DEPTH:
                raise Deferred  # the pure path knows which bracket its scanner refuses first
            container: Any = (Map if kind is MappingStartEvent else Seq)(mark.line, mark.column)
            is_map, flow = kind is MappingStartEvent, bool(event.flow_style)
            stack.append([container, container.places, is_map, _NO_KEY, None, flow, None])
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value = stack.pop()[0]
            line, col = value.line, value.col
            top = stack[-1] if stack else None
        elif kind is DocumentEndEvent:
            if event.explicit:
                raise Deferred  # libyaml reads "..." again where ruamel wants a new document
            break
        elif kind is AliasEvent:
            mark = event.start_mark
            raise _anchor(text, mark)
        else:  # pragma: no cover - libyaml sends nothing else inside a document
            raise Deferred
        if top is None:
            root = value
        elif not top[2]:
            top[1].append((line, col))
            top[0].append(value)
        elif top[3] is _NO_KEY:
            top[3], top[4] = value, (line, col)
            if top[5] and kind is ScalarEvent:
                top[6] = event.end_mark
        else:
            key, (key_line, key_col) = top[3], top[4]
            top[3] = _NO_KEY
            mapping = top[0]
            if key in top[1]:  # every key read so far has its place there
                if duplicate is None:
                    duplicate = Duplicate(key_line, key_col, key)
            else:
                top[1][key] = (key_line, key_col, line, col)
                mapping[key] = value
    event = get()
    if not isinstance(event, StreamEndEvent):
        mark = event.start_mark
        if text.startswith("%", mark.index):
            raise Deferred  # libyaml's next document starts at its directive, ruamel's at "---"
        raise YamlRefused(mark.line, mark.column, SINGLE_DOCUMENT, mark.index)
    if duplicate is not None:
        raise duplicate
    return root


_NO_KEY: Any = object()


def _empty_value_at(text: str, event: Any, top: list[Any] | None) -> tuple[int, int]:
    """Where ruamel places an empty value, where libyaml places it elsewhere: just after the colon
    in a flow mapping (``{a: }``; libyaml: at the next token), and at the end of a text that does
    not end with a line break (libyaml: at the start of a line after it)."""
    mark = event.start_mark
    if top is not None and top[5] and top[6] is not None:
        after = _after_colon(text, top[6], mark.index)
        if after is not None:
            return after
    if mark.index == len(text) and text and text[-1] not in "\r\n":
        breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
        last = max(text.rfind("\n"), text.rfind("\r"))
        return breaks, len(text) - last - 1
    return mark.line, mark.column


def _after_colon(text: str, key_end: Any, stop: int) -> tuple[int, int] | None:
    """The place just after the ``:`` that follows a key (past blanks, line breaks and comments),
    if there is one before ``stop``."""
    at, line, col = key_end.index, key_end.line, key_end.column
    while at < stop:
        char = text[at]
        if char == ":":
            return line, col + 1
        if char in " \t":
            at, col = at + 1, col + 1
        elif char in "\r\n":
            at += 2 if text.startswith("\r\n", at) else 1
            line, col = line + 1, 0
        elif char == "#":
            ends = [i for i in (text.find("\n", at), text.find("\r", at)) if i >= 0]
            at = min(ends) if ends else len(text)
        else:
            return None
    return None
