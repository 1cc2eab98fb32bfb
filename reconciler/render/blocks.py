"""One block per action, Terraform-style, shared by the text and Markdown renderers. Pure.

```
  # task.fix-login-button will be created
  + task "fix-login-button" {
      + repo                = "octo-org/web"
      + prompt              = "Fix the login button on the homepage."
      + id                  = (known after apply)
    }
```
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.models import RequestBody
from reconciler.plan.model import Action, Kind
from reconciler.render.common import (
    DIFF_SYMBOLS,
    HEADLINES,
    KIND_STYLE,
    STATE_ONLY,
    SYMBOLS,
    Paint,
    printable,
    quote,
)

KNOWN_AFTER_APPLY = "(known after apply)"
BODY_FIELDS = ("base_ref", "head_ref", "model", "custom_agent", "create_pull_request")
_HEREDOC_INDENT = " " * 12
QUIET_REASONS = frozenset({"not created yet"})


@dataclass(frozen=True)
class Clip:
    """How much of a prompt a block shows: ``lines`` lines, each at most ``width`` characters."""

    lines: int = 6
    width: int | None = None

    def line(self, text: str) -> str:
        """``text`` cut to ``width`` with a note of what was cut."""
        if self.width is None or len(text) <= self.width:
            return text
        return f"{text[: self.width]}… ({len(text) - self.width} more characters)"


@dataclass(frozen=True)
class _Attr:
    name: str
    value: str
    extra: tuple[str, ...] = ()


def _prompt(prompt: str, clip: Clip) -> _Attr:
    lines = prompt.split("\n")
    if len(lines) == 1:
        return _Attr("prompt", quote(clip.line(prompt)))
    shown = [_HEREDOC_INDENT + printable(clip.line(line)) for line in lines[: clip.lines]]
    hidden = len(lines) - len(shown)
    if hidden:
        shown.append(f"{_HEREDOC_INDENT}# ({hidden} more line{'s' if hidden > 1 else ''} hidden)")
    return _Attr("prompt", "<<-EOT", (*shown, "        EOT"))


def _body_attrs(repo: str, body: RequestBody | None, clip: Clip) -> list[_Attr]:
    attrs = [_Attr("repo", quote(repo))]
    if body is None:
        return attrs
    for name in BODY_FIELDS:
        value = getattr(body, name)
        if isinstance(value, bool):
            attrs.append(_Attr(name, "true" if value else "false"))
        elif value is not None:
            attrs.append(_Attr(name, quote(value)))
    return [*attrs, _prompt(body.prompt, clip), _Attr("id", KNOWN_AFTER_APPLY)]


def _existing_attrs(action: Action) -> list[_Attr]:
    task_id = action.task.id if action.task is not None else action.old_task_id
    attrs = [_Attr("repo", quote(action.repo))]
    if task_id is not None:
        attrs.append(_Attr("id", quote(task_id)))
    if action.task is not None:
        attrs.append(_Attr("state", quote(action.task.state.value)))
    return attrs


def headline(action: Action) -> str:
    """What happens to the key: ``will be created``, ``will be imported, then forgotten``…"""
    if action.kind == Kind.IMPORT and action.forget_after_import:
        return "will be imported, then forgotten"
    return HEADLINES[action.kind]


def _comments(action: Action, *, dropped: bool) -> list[str]:
    lines = []
    if action.reason and action.reason not in QUIET_REASONS and action.kind != Kind.FORGET:
        lines.append(f"({printable(action.reason)})")
    if dropped:
        lines.append("(an earlier create got no answer and started no task)")
    if action.kind == Kind.FORGET or action.forget_after_import:
        lines.append(STATE_ONLY)
    if action.earlier_runs:
        runs = ", ".join(
            printable(r.task_id) + (f" ({r.state.value})" if r.state else "")
            for r in action.earlier_runs
        )
        lines.append(f"(earlier runs kept in the state: {runs})")
    lines += [f"({printable(note)})" for note in action.notes]
    return lines


def block(
    action: Action, *, paint: Paint, clip: Clip, dropped: bool = False, diff: bool = False
) -> list[str]:
    """The lines of one action's block, without a trailing blank line.

    With ``diff``, the action's symbol moves to the first column of every line of the block's
    body (``DIFF_SYMBOLS``; comments keep a blank one), as a ```diff fence wants it.
    """
    style = KIND_STYLE[action.kind]
    symbol = "" if diff else SYMBOLS[action.kind]
    lines = [paint(f"  # task.{printable(action.key)} {headline(action)}", "bold")]
    lines += [f"  # {comment}" for comment in _comments(action, dropped=dropped)]
    head = len(lines)
    column = paint(f"{symbol:>3}", style) if symbol else "   "
    lines.append(f"{column} task {quote(action.key)} {{")
    attrs = _body_attrs(action.repo, action.body, clip) if action.creates else None
    attrs = attrs or _existing_attrs(action)
    width = max(len(a.name) for a in attrs)
    marker = paint(symbol[0], style) if symbol else " "
    for attr in attrs:
        value = paint(attr.value, "dim") if attr.value == KNOWN_AFTER_APPLY else attr.value
        lines.append(f"      {marker} {attr.name:<{width}} = {value}")
        lines += attr.extra
    lines.append("    }")
    if diff:
        first = DIFF_SYMBOLS[action.kind]
        lines = [f" {line}" for line in lines[:head]] + [f"{first}{line}" for line in lines[head:]]
    return lines
