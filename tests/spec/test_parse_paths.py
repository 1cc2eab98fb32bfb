"""The two YAML parse paths agree (issue 14): libyaml's events and ruamel's pure-Python parse give
the same values with the same positions, or refuse the same text at the same place.

Generated tasks files (every scalar style, flow and block collections, comments, unicode) and the
same files mutated (characters inserted, deleted, lines repeated) go through ``safeyaml.parse``
on each path. A value is compared as plain data with the line and column of every mapping,
sequence, key, value and item; a refusal by its position (the words may differ).
A short profile here; the soak step runs many more (``AGENTTASKS_SOAK_ROUNDS``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.spec import safeyaml
from reconciler.spec.safeyaml import SpecProblem
from reconciler.spec.tree import Map, Seq

pytestmark = pytest.mark.skipif(not safeyaml.HAVE_LIBYAML, reason="PyYAML without libyaml")

SOAK_EXAMPLES = 400 * int(os.environ.get("AGENTTASKS_SOAK_ROUNDS", "3"))


@contextmanager
def _path(libyaml: bool) -> Iterator[None]:
    saved = safeyaml.use_libyaml
    safeyaml.use_libyaml = libyaml
    try:
        yield
    finally:
        safeyaml.use_libyaml = saved


def _plain(value: Any) -> Any:
    """The value as plain data, with every position the tree records (on the pure path, those
    ruamel's round-trip constructor recorded)."""
    if isinstance(value, Map):
        assert list(value.places) == list(value)  # a place for every key, and nothing else
        items = [(_plain(k), value.places[k], _plain(v)) for k, v in value.items()]
        return ("map", value.line, value.col, items)
    if isinstance(value, Seq):
        assert len(value.places) == len(value)
        entries = [(value.places[i], _plain(v)) for i, v in enumerate(value)]
        return ("seq", value.line, value.col, entries)
    assert not isinstance(value, dict | list), type(value)  # no container the tree does not place
    return (type(value).__name__, repr(value))


def _read(text: str, *, libyaml: bool) -> Any:
    with _path(libyaml):
        try:
            return ("value", _plain(safeyaml.parse(text, "t.yaml")))
        except SpecProblem as refused:
            where = refused.problem.position
            return ("refused", where.line, where.col)


def _same_on_both_paths(text: str) -> None:
    assert _read(text, libyaml=True) == _read(text, libyaml=False), repr(text)


WORDS = st.sampled_from(
    ["repo", "prompt", "o/r", "yes", "no", "on", "true", "False", "null", "~", "1", "0x1f", "0o17",
     "1_000", "1.5", "-.inf", ".NaN", "2024-01-02", "2024-01-02 10:00:00", "é", "日本", "😀",
     "a b", "x:y", "-", "?", "a#b", "<<", "=", "!", "@x", "`x", "%x", ""]
)  # fmt: skip
TEXT = st.text(alphabet=st.sampled_from(list("ab :#-,[]{}'\"\\\t|>é😀\u00a0\ufeff\r")), max_size=12)


def _scalar() -> st.SearchStrategy[str]:
    return st.one_of(
        WORDS,
        TEXT.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
        TEXT.map(lambda t: "'" + t.replace("'", "''") + "'"),
        st.sampled_from(['"\\x41\\u00e9\\U0001F600\\n\\t"', '"a\\\n  b"', "'a\n  b'", "a\n  b"]),
    )


def _flow(depth: int = 0) -> st.SearchStrategy[str]:
    if depth > 2:
        return _scalar()
    inner = st.one_of(_scalar(), st.deferred(lambda: _flow(depth + 1)))
    seq = st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
    pairs = st.lists(st.tuples(WORDS, inner), max_size=3)
    mapping = pairs.map(lambda ps: "{" + ", ".join(f"{k}: {v}" for k, v in ps) + "}")
    return st.one_of(seq, mapping)


def _block_scalar() -> st.SearchStrategy[str]:
    body = st.lists(TEXT.filter(lambda t: "\r" not in t), min_size=1, max_size=3)
    return st.tuples(st.sampled_from(["|", ">", "|-", ">+", "|2"]), body).map(
        lambda hb: hb[0] + "\n" + "".join(f"      {line}\n" for line in hb[1])
    )


FIELD_VALUE = st.one_of(_scalar(), _flow(), _block_scalar())
COMMENT = st.sampled_from(["", "  # note", " #", "\n# a comment line", "\n\n"])


@st.composite
def tasks_files(draw: st.DrawFn) -> str:
    lines = ["version: 1" + draw(COMMENT)]
    if draw(st.booleans()):
        lines.append("defaults:\n  repo: o/r")
    lines.append("tasks:" + draw(COMMENT))
    for i in range(draw(st.integers(0, 3))):
        lines.append(f"  t{i}:" + draw(COMMENT))
        for _ in range(draw(st.integers(0, 3))):
            key, value = draw(WORDS), draw(FIELD_VALUE)
            sep = "" if value.startswith(("|", ">")) else " "
            lines.append(f"    {key}:{sep}{value}".rstrip("\n") + draw(COMMENT))
        if draw(st.booleans()):
            items = draw(st.lists(FIELD_VALUE.filter(lambda v: "\n" not in v), max_size=3))
            lines.append("    on:" + "".join(f"\n      - {v}" for v in items))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n", "\n...\n", "\n---\n"]))


MUTANTS = [
    *":-[]{},'\"#|>&*!%@`?\\ \t\n\r\x00\x07\x85\u2028\u2029\ufeff\u00e9\U0001f600",
    *["\r\n", "- ", ": ", "? ", "---", "...", "&a ", "*a", "!!str ", "%YAML 1.1\n", "\\u2028"],
    *["{", "[a, ", "{b: ", "#c\n", "|\n", ">-\n", "'\n", '"\\\n', "\\x", "\\U0001F600"],
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(tasks_files())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "repeat line", "indent", "CRLF"]))
        if action == "CRLF":
            text = text.replace("\n", "\r\n")
        elif action == "indent":
            start = text.rfind("\n", 0, at) + 1
            text = text[:start] + draw(st.sampled_from([" ", "  ", "- ", "? "])) + text[start:]
        elif action == "insert":
            text = text[:at] + draw(st.sampled_from(MUTANTS)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 3)) :]
        else:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            line = text[start : end if end >= 0 else len(text)]
            text = text[:start] + line + "\n" + text[start:]
    return text


SHORT = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=SOAK_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@SHORT
@given(st.one_of(tasks_files(), mutated()))
def test_both_paths_agree(text: str) -> None:
    _same_on_both_paths(text)


@pytest.mark.soak
@LONG
@given(st.one_of(tasks_files(), mutated(), mutated()))
def test_both_paths_agree_at_length(text: str) -> None:
    _same_on_both_paths(text)


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\ntasks: {}\n",
        "a: yes\nb: on\nc: 0o17\nd: 0x1F\ne: 1_000\nf: .inf\ng: 2024-01-02\nh: ~\ni:\n",
        "a:\n  - x\n  -\n  - [1, {b: c}]\n",
        "a: |\n  lit\nb: >\n  folded\n  text\n",
        'a: "\\u00e9\\U0001F600"\n',
        "a: 1\na: 2\n",
        "a: {b: 1, b: 2}\na: 3\n",
        "1: x\ntrue: y\n",
        "[a, b]: c\n",
        "a: 1\n---\nb: 2\n",
        "a: !x 1\n",
        "a: &x 1\n",
        "%YAML 1.2\n---\na: 1\n",
        "<<: {a: 1}\n",
        'a: "\\ud800"\n',
        "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
        "a: x\u2028b: y\n",
        "a: x\x85\n",
        "a: \ufeffx\n",
        "a: b\rc: d\n",
        "a:\tb\n",
        "a: [b,\tc]\n",
        "- a\n-\tb\n",
        "a:\n  - ?",
        "a: {b: }\n",
        "[a: ]\n",
        "a: [!, b]\n",
        "a: ! x\n",
        "version: 1 #\n&tasks:\n",
        "!:!version: 1\ntasks:\n",
        "!!python/object/apply:os.system [1]\n",
        "a: 1\n...\n...\n",
        "=: b\nc: =\n",
        "a: |#x\n",
        "a: >-#x\n  b\n",
        "a: |2\n    b\n",
        "a: |\t\n  b\n",
        "a: | \t# c\n  b\n",
        "a: |+ # c\n  b\n",
        "&a\t version: 1\ntasks:\n",
        "a: 1\n%YAML 1.1\n---\n",  # libyaml's second document starts at its directive
        "a: 2024-02-31 10:00:00\nb: 2024-13-01\n",  # no such day: ruamel's constructor crashed
    ],
)
def test_known_differences_are_handled(text: str) -> None:
    _same_on_both_paths(text)


_WITHOUT_LIBYAML = """
import sys
sys.modules["yaml._yaml"] = None  # PyYAML as installed without its C extension
from reconciler.cli.main import main
from reconciler.spec import safeyaml
assert not safeyaml.use_libyaml
main(sys.argv[1:])
"""


@pytest.mark.e2e
def test_without_the_c_extension_the_pure_path_reads(tmp_path: Path) -> None:
    (tmp_path / "tasks.yaml").write_text("version: 1\ntasks:\n  a:\n    repo: o/r\n    promt: x\n")
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_LIBYAML, "validate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "",
        "tasks.yaml:5:5: tasks.a: unknown field 'promt'; did you mean 'prompt'?\n",
    )
