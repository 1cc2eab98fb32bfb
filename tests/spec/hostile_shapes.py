"""Hostile tasks files just under the 2 MiB cap: the shapes a pull request could use to tie up CI.

Each shape builds its files for a size in bytes (the tasks file stays under it, and under the cap
on YAML values, so that what comes after the parse runs too); the deadline test
(``test_hostile_deadline.py``) and ``bench/hostile.py`` both use them, at full size and small.
Token shapes are built by concatenation, so secret scanners do not flag this file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from reconciler.spec.safeyaml import MAX_NODES

FULL_SIZE = 2 * 1024 * 1024 - 4096
HEAD = "version: 1\nsettings:\n  max_creates: 1000000\ndefaults:\n  repo: octo-org/web\ntasks:\n"
TOKEN = "gh" + "p_" + "a1B2" * 9

Files = dict[str, str]


def _fill(head: str, unit: Callable[[int], str], size: int, tail: str = "", nodes: int = 4) -> str:
    """``head``, then ``unit(0)``, ``unit(1)``… while the whole stays under ``size`` bytes and
    (each unit being at most ``nodes`` YAML values) under ``MAX_NODES`` values."""
    parts, used = [head], len(head.encode()) + len(tail.encode())
    for i in _count():
        piece = unit(i)
        used += len(piece.encode())
        if used > size or (i + 1) * nodes > MAX_NODES - 100:
            break
        parts.append(piece)
    return "".join(parts) + tail


def _count() -> Iterator[int]:
    i = 0
    while True:
        yield i
        i += 1


def _repeat(head: str, chunk: str, size: int, tail: str) -> str:
    """``head``, ``chunk`` as many times as fit under ``size`` bytes, then ``tail``."""
    room = size - len(head.encode()) - len(tail.encode())
    return head + chunk * max(room // len(chunk.encode()), 1) + tail


def ordinary(size: int) -> Files:
    """The baseline: ordinary tasks, in the shapes of tasks.yaml.example, with a paragraph of
    prompt each."""
    paragraph = (
        "      Reproduce it with a test first, then fix it in the smallest change that works.\n"
        "      Keep the public interface as it is, and say in the pull request what changed.\n"
    )

    def unit(i: int) -> str:
        task = f"  task-{i:06d}:\n    repo: octo-org/repo-{i % 40}\n"
        if i % 3 == 0:
            return task + f"    prompt: |\n      Fix bug #{i} in the login flow.\n{paragraph}"
        if i % 3 == 1:
            prompt = f"    prompt: |\n      Tidy module {i}.\n{paragraph}"
            return task + prompt + "    model: claude-sonnet-4.6\n"
        prompt = f"    prompt: |\n      Add dark mode to page {i}.\n{paragraph}"
        return task + prompt + f"    base_ref: release/{i}\n"

    return {"tasks.yaml": _fill(HEAD, unit, size, nodes=8)}


def lookalikes(size: int) -> Files:
    """Every task with one repository and one prompt: each cannot be told apart from the first."""
    return {"tasks.yaml": _fill(HEAD, lambda i: f"  t{i}: {{prompt: same}}\n", size)}


def tiny_tasks(size: int) -> Files:
    """As many tasks as fit, each as short as a task can be."""
    return {"tasks.yaml": _fill(HEAD, lambda i: f"  {i}: {{prompt: {i}}}\n", size)}


def past_the_value_cap(size: int) -> Files:
    """Tiny tasks, as many as fit in the size whatever the cap on YAML values."""
    return {"tasks.yaml": _fill(HEAD, lambda i: f"  t{i}: {{prompt: p{i}}}\n", size, nodes=0)}


def one_flow_line(size: int) -> Files:
    """Every task on one line, in one flow mapping."""
    return {"tasks.yaml": _fill(HEAD + "  {", lambda i: f"t{i}: {{prompt: p{i}}}, ", size, "}\n")}


def plain_scalar(size: int) -> Files:
    """One plain prompt on one line."""
    return {"tasks.yaml": _repeat(HEAD + "  a:\n    prompt: ", "word ", size, "end\n")}


def folded_plain(size: int) -> Files:
    """One plain prompt over many short lines."""
    return {"tasks.yaml": _repeat(HEAD + "  a:\n    prompt: x\n", "      word\n", size, "")}


def double_quoted(size: int) -> Files:
    """One double-quoted prompt made of escapes."""
    chunk = '\\t\\x41\\u00e9\\n\\\\\\" '
    return {"tasks.yaml": _repeat(HEAD + '  a:\n    prompt: "', chunk, size, '"\n')}


def single_quoted(size: int) -> Files:
    """One single-quoted prompt of doubled quotes, over many lines."""
    return {"tasks.yaml": _repeat(HEAD + "  a:\n    prompt: '", "it''s\n      ", size, "'\n")}


def literal_block(size: int) -> Files:
    """One literal block prompt of many short lines."""
    return {"tasks.yaml": _repeat(HEAD + "  a:\n    prompt: |\n", "      a line\n", size, "")}


def folded_block(size: int) -> Files:
    """One folded block prompt of many lines, some more indented."""
    chunk = "      a\n        b\n\n"
    return {"tasks.yaml": _repeat(HEAD + "  a:\n    prompt: >\n", chunk, size, "")}


def long_comment(size: int) -> Files:
    """A valid file and one comment line filling the rest."""
    return {"tasks.yaml": _repeat(HEAD + "  a: {prompt: x}\n#", "x", size, "\n")}


def long_key(size: int) -> Files:
    """One task whose key fills the file: an explicit key (``? ``) may pass 1,024 characters."""
    return {"tasks.yaml": _repeat(HEAD + "  ? ", "k", size, "\n  : {prompt: x}\n")}


def long_plain_key(size: int) -> Files:
    """One task whose plain key fills the file (past YAML's 1,024-character simple key)."""
    return {"tasks.yaml": _repeat(HEAD + "  ", "k", size, ": {prompt: x}\n")}


def deep_flow(size: int) -> Files:
    """Many prompts, each a flow collection nested just below the nesting guard."""
    depth = 28
    value = "[" * depth + "x" + "]" * depth

    def unit(i: int) -> str:
        return f"  t{i}: {{prompt: {value}}}\n"

    return {"tasks.yaml": _fill(HEAD, unit, size, nodes=depth + 4)}


def near_misses(size: int) -> Files:
    """Every task misspells its fields: each one an unknown field and a "did you mean"."""

    def unit(i: int) -> str:
        return f"  t{i}: {{promt: p, repoo: o/r, modle: m, base_rfe: b, custom_agnet: c}}\n"

    return {"tasks.yaml": _fill(HEAD, unit, size, nodes=12)}


def long_near_miss(size: int) -> Files:
    """Unknown field names as long as the file allows, close to a real one."""
    name = "prompt_" + "x" * 2000
    return {"tasks.yaml": _fill(HEAD, lambda i: f"  t{i}:\n    ? {name}{i}\n    : p\n", size)}


def every_task_wrong(size: int) -> Files:
    """Every task wrong in every way a task can be."""

    def unit(i: int) -> str:
        return (
            f"  T{i}: {{repo: 'o/../x', model: [m], create_pull_request: yes,"
            f" on_change: never, retry: {{on: [], max_attempts: 0}}}}\n"
        )

    return {"tasks.yaml": _fill(HEAD, unit, size, nodes=17)}


def duplicate_keys(size: int) -> Files:
    """Many keys, and the same one again at the very end."""
    tail = "  t0: {prompt: again}\n"
    return {"tasks.yaml": _fill(HEAD, lambda i: f"  t{i}: {{prompt: p{i}}}\n", size, tail)}


def prompt_files(size: int) -> Files:
    """Every task reads its prompt from a file (one present, one missing, in turn)."""

    def unit(i: int) -> str:
        return f"  t{i}: {{prompt_file: {'p.md' if i % 2 else f'missing/{i}.md'}}}\n"

    return {"tasks.yaml": _fill(HEAD, unit, size), "p.md": "Do the thing.\n"}


def one_big_prompt_file(size: int) -> Files:
    """Every task reads one prompt file as large as the tasks file."""
    unit = lambda i: f"  t{i}: {{repo: o/r{i}, prompt_file: p.md}}\n"  # noqa: E731
    return {
        "tasks.yaml": _fill(HEAD, unit, size, nodes=6),
        "p.md": _repeat("", "Do it. ", size, ""),
    }


def many_repositories(size: int) -> Files:
    """Every task in a repository of its own."""
    return {
        "tasks.yaml": _fill(
            HEAD, lambda i: f"  t{i}: {{repo: o{i}/r{i}, prompt: p}}\n", size, nodes=6
        )
    }


def unicode_text(size: int) -> Files:
    """Prompts of combining marks, astral characters and right-to-left text."""
    text = "e\u0301\u0327\U0001f600\u05d0\u0627 "
    return {"tasks.yaml": _fill(HEAD, lambda i: f"  t{i}:\n    prompt: {text * 20}{i}\n", size)}


def secrets_everywhere(size: int) -> Files:
    """Every task's block prompt carries a token."""

    def unit(i: int) -> str:
        return f"  t{i}:\n    prompt: |\n      line\n      use {TOKEN}\n"

    return {"tasks.yaml": _fill(HEAD, unit, size)}


def pinned_model(size: int) -> Files:
    """One model name pinned over and over (``m-v1-v1…``): each pin is an alias matching tries."""
    return {"tasks.yaml": _repeat(HEAD + "  a:\n    prompt: x\n    model: m", "-v1", size, "\n")}


def pinned_models(size: int) -> Files:
    """Many tasks with one prompt, each with a model pinned a hundred times over."""
    model = "m" + "-v1" * 100

    def unit(i: int) -> str:
        return f"  t{i}: {{prompt: same, model: {model}-v{i}}}\n"

    return {"tasks.yaml": _fill(HEAD, unit, size, nodes=6)}


def token_lookalikes(size: int) -> Files:
    """One prompt of near-tokens, to tempt the secret patterns into backtracking."""
    chunk = "ghp_" + "a" * 20 + " AKIA" + "A" * 15 + " -----BEGIN A B C D E F G H I PUBLIC KEY "
    return {"tasks.yaml": _repeat(HEAD + "  a:\n    prompt: ", chunk, size, "\n")}


SHAPES: dict[str, Callable[[int], Files]] = {
    "ordinary tasks (baseline)": ordinary,
    "lookalikes": lookalikes,
    "tiny tasks": tiny_tasks,
    "past the value cap": past_the_value_cap,
    "one flow line": one_flow_line,
    "plain scalar": plain_scalar,
    "folded plain scalar": folded_plain,
    "double-quoted escapes": double_quoted,
    "single-quoted lines": single_quoted,
    "literal block": literal_block,
    "folded block": folded_block,
    "long comment line": long_comment,
    "long explicit key": long_key,
    "long plain key": long_plain_key,
    "deep flow nesting": deep_flow,
    "near-miss field names": near_misses,
    "long near-miss names": long_near_miss,
    "every task wrong": every_task_wrong,
    "duplicate key at the end": duplicate_keys,
    "prompt files": prompt_files,
    "one big prompt file": one_big_prompt_file,
    "many repositories": many_repositories,
    "unicode text": unicode_text,
    "secrets everywhere": secrets_everywhere,
    "pinned model": pinned_model,
    "pinned models": pinned_models,
    "token lookalikes": token_lookalikes,
}
BASELINE = "ordinary tasks (baseline)"
