"""The spec digest (DESIGN §3) ignores layout and moves with every field of the sent body."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.models import DesiredTask
from reconciler.spec.digest import canonical_json
from reconciler.spec.load import load

FIELDS = ("base_ref", "head_ref", "model", "custom_agent")


@dataclass(frozen=True)
class Spec:
    repo: str
    prompt: str
    base_ref: str | None
    head_ref: str | None
    model: str | None
    custom_agent: str | None
    create_pull_request: bool | None


@dataclass(frozen=True)
class Layout:
    flow: bool
    prompt_style: str  # "|", "|-" or '"'
    order_seed: int
    comments: bool
    crlf: bool
    bom: bool
    in_defaults: frozenset[str]
    repo_case: str  # "as is", "upper" or "lower"
    trailing: str  # whitespace after the prompt
    extras: bool  # retry and on_change, which the digest ignores


_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
_line = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,;()/'!?*é→", min_size=0, max_size=30
).map(lambda s: "L" + s.rstrip())
_optional = st.one_of(st.none(), _word)

specs = st.builds(
    Spec,
    repo=st.sampled_from(["Octo-Org/Web", "octo/api", "O/r.x"]),
    prompt=st.lists(_line, min_size=1, max_size=4).map("\n".join),
    base_ref=_optional,
    head_ref=_optional,
    model=_optional,
    custom_agent=_optional,
    create_pull_request=st.sampled_from([None, False, True]),
)
layouts = st.builds(
    Layout,
    flow=st.booleans(),
    prompt_style=st.sampled_from(["|", "|-", '"']),
    order_seed=st.integers(0, 1000),
    comments=st.booleans(),
    crlf=st.booleans(),
    bom=st.booleans(),
    in_defaults=st.frozensets(st.sampled_from(["repo", *FIELDS, "create_pull_request"])),
    repo_case=st.sampled_from(["as is", "upper", "lower"]),
    trailing=st.sampled_from(["", " ", "\n", "  \n\n"]),
    extras=st.booleans(),
)


def _value(name: str, value: str | bool) -> str:
    return json.dumps(value)


def render(spec: Spec, layout: Layout) -> bytes:
    """Write ``spec`` as a tasks file in the given layout."""
    repo = {"as is": spec.repo, "upper": spec.repo.upper(), "lower": spec.repo.lower()}
    fields: dict[str, str | bool] = {"repo": repo[layout.repo_case]}
    for name in FIELDS:
        if getattr(spec, name) is not None:
            fields[name] = getattr(spec, name)
    if spec.create_pull_request is not None:
        fields["create_pull_request"] = spec.create_pull_request
    defaults = {k: v for k, v in fields.items() if k in layout.in_defaults}
    task = {k: v for k, v in fields.items() if k not in layout.in_defaults}
    names = sorted(task, key=lambda k: hash((k, layout.order_seed)) % 997)
    lines = ["version: 1"]
    if defaults:
        lines += ["defaults:"] + [f"  {k}: {_value(k, v)}" for k, v in defaults.items()]
    lines.append("tasks:")
    prompt = spec.prompt + layout.trailing
    if layout.flow:
        items = [f"prompt: {json.dumps(prompt)}"] + [f"{k}: {_value(k, task[k])}" for k in names]
        if layout.extras:
            items += ["on_change: ignore", "retry: {on: [failed], max_attempts: 2}"]
        lines.append("  the-task: {" + ", ".join(items) + "}")
    else:
        lines.append("  the-task:")
        if layout.comments:
            lines.append("    # a comment the digest never sees")
        for k in names:
            lines.append(f"    {k}: {_value(k, task[k])}")
        if layout.prompt_style == '"':
            lines.append(f"    prompt: {json.dumps(prompt)}")
        else:
            lines.append(f"    prompt: {layout.prompt_style}")
            lines += [f"      {line}" if line else "" for line in spec.prompt.split("\n")]
        if layout.extras:
            lines += ["    on_change: ignore", "    retry:", "      on: [cancelled]"]
    text = "\n".join(lines) + "\n"
    if layout.crlf:
        text = text.replace("\n", "\r\n")
    return ("\ufeff" if layout.bom else "").encode() + text.encode()


CANONICAL = Layout(False, "|", 0, False, False, False, frozenset(), "as is", "", False)


def load_task(data: bytes) -> DesiredTask:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "tasks.yaml"
        path.write_bytes(data)
        return load([path]).tasks["the-task"]


@settings(max_examples=150, deadline=None)
@given(spec=specs, layout=layouts)
def test_layout_never_changes_the_digest(spec: Spec, layout: Layout) -> None:
    reference = load_task(render(spec, CANONICAL))
    task = load_task(render(spec, layout))
    assert task.digest == reference.digest
    assert task.body == reference.body
    assert task.body.prompt == spec.prompt.rstrip()
    assert task.body.create_pull_request is (True if spec.create_pull_request else None)


def _mutations(spec: Spec) -> list[Spec]:
    changed = [
        replace(spec, prompt=spec.prompt + "!"),
        replace(spec, prompt="x" + spec.prompt),
        replace(spec, repo=spec.repo + "2"),
        replace(spec, create_pull_request=not spec.create_pull_request),
    ]
    for name in FIELDS:
        value = getattr(spec, name)
        other: dict[str, Any] = {name: "other" if value is None else value + "x"}
        changed.append(replace(spec, **other))
        if value is not None:
            unset: dict[str, Any] = {name: None}
            changed.append(replace(spec, **unset))
    return changed


@settings(max_examples=40, deadline=None)
@given(spec=specs)
def test_any_change_to_the_sent_body_changes_the_digest(spec: Spec) -> None:
    reference = load_task(render(spec, CANONICAL))
    for mutated in _mutations(spec):
        task = load_task(render(mutated, CANONICAL))
        assert task.digest != reference.digest, mutated
        assert canonical_json(task.body) != canonical_json(reference.body) or (
            task.repo_key != reference.repo_key
        )


def test_digest_encoding_is_pinned() -> None:
    """Changing the digest encoding is a state-format migration: this value must not move.

    Computed by hand: sha256(b"octo/web\\n" + the canonical body).
    """
    data = b"version: 1\ntasks:\n  the-task:\n    repo: Octo/Web\n    prompt: Fix it.\n"
    data += b"    base_ref: main\n    create_pull_request: true\n"
    task = load_task(data)
    assert canonical_json(task.body) == (
        '{"base_ref":"main","create_pull_request":true,"prompt":"Fix it."}'
    )
    assert task.digest == "eba596f93398bb19e329ff8b707f37ad862b4dcc68cedb56f4eca38076e960c8"
