"""``--format markdown``: the plan as one pull-request comment (DESIGN §4). Pure.

The summary sentence comes first and is always kept; then the list of changes (symbol, key,
repository, reason), what needs a person, what changed on GitHub that a reviewer must notice, the
live-state line (the progress every task is expected to make only counted) and table, then the
blocks inside ``<details>``, in a ```diff fence so GitHub colours them. Text that comes from
files or the API is escaped (``|``, HTML, emphasis), and the blocks sit in a fence longer than
any backtick run inside them, so no prompt can close the fence, open a tag or break the table.
A comment holds at most 65,536 characters: lists are cut where they stop fitting, each with a
note saying how much was left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from reconciler.plan.liveview import expected_progress
from reconciler.plan.model import Action, Attention, Plan, Status
from reconciler.render.blocks import QUIET_REASONS, Clip, headline
from reconciler.render.common import (
    COLUMNS,
    DIFF_SYMBOLS,
    OFFLINE,
    TARGETING,
    Paint,
    duration_line,
    header_line,
    live_line,
    longest_backtick_run,
    notes,
    outcome_line,
    printable,
    status_cells,
    unresolved_line,
)
from reconciler.render.text import ordered, plan_body, sorted_statuses

GITHUB_COMMENT_LIMIT = 65536
MARKDOWN_CLIP = Clip(lines=40, width=300)
_MIN_LIMIT = 2048
_FOOTER_MAX = 1000
_BACKSLASHED = re.compile(r"([\\`*_\[\]|~])")
_SAFE_URL = re.compile(r"https://[^\s<>()\[\]|\\`\"']+")


def md_text(text: str) -> str:
    """``text`` as inert Markdown on one line: emphasis, code, links, ``|`` and HTML escaped."""
    flat = printable(text.replace("\r\n", "\n").replace("\n", " "))
    escaped = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BACKSLASHED.sub(r"\\\1", escaped)


def safe_link(url: str, label: str = "open") -> str:
    """``[label](url)`` for a plain https URL; any other text escaped, not linked."""
    return f"[{label}]({url})" if _SAFE_URL.fullmatch(url) else md_text(url)


def _link(url: str | None) -> str:
    return "-" if url is None else safe_link(url)


@dataclass
class _Document:
    """Parts of the comment, and the room left for more under the limit."""

    limit: int
    parts: list[str] = field(default_factory=list)
    reserved: int = 0

    def room(self) -> int:
        return self.limit - self.reserved - sum(len(p) for p in self.parts)

    def add(self, text: str) -> bool:
        """Append ``text`` if it fits."""
        if len(text) > self.room():
            return False
        self.parts.append(text)
        return True

    def fitted(self, section: _Section) -> int:
        """The section with as many items as fit, and a note when some were cut; the count shown.

        Nothing is added when not even the frame and the note fit.
        """
        room = self.room() - len(section.prefix) - len(section.suffix)
        items = section.items
        if sum(len(i) for i in items) <= room:
            self.parts += [section.prefix, *items, section.suffix]
            return len(items)
        note_room, used, count = len(section.more(len(items))), 0, 0
        for item in items:
            if used + len(item) + note_room > room:
                break
            used, count = used + len(item), count + 1
        if used + note_room > room:
            return 0
        self.parts += [section.prefix, *items[:count], section.more(len(items) - count)]
        self.parts.append(section.suffix)
        return count


@dataclass(frozen=True)
class _Section:
    prefix: str
    items: list[str]
    more: Callable[[int], str]
    suffix: str = ""


def _bullets(title: str, lines: list[str]) -> _Section:
    return _Section(
        f"**{title}**\n\n",
        [f"- {md_text(line)}\n" for line in lines],
        lambda n: f"- _… and {n} more not shown._\n",
        "\n",
    )


def _table(statuses: tuple[Status, ...], now: datetime) -> _Section:
    rows = []
    for status in sorted_statuses(statuses):
        cells = [md_text(c) for c in status_cells(status, now)[:-1]]
        rows.append("| " + " | ".join([*cells, _link(status.html_url)]) + " |\n")
    head = "| " + " | ".join(COLUMNS) + " |\n" + "| --- " * len(COLUMNS) + "|\n"
    return _Section(
        head, rows, lambda n: f"\n_… and {n} more tracked tasks: see `agenttasks status`._\n", "\n"
    )


def _blocks(plan: Plan, limit: int) -> _Section:
    blocks = plan_body(plan, paint=Paint(False), clip=MARKDOWN_CLIP, diff=True)
    items = ["\n".join(line.rstrip() for line in b) + "\n\n" for b in blocks]
    fence = "`" * max(3, 1 + max((longest_backtick_run(i) for i in items), default=0))
    return _Section(
        f"{fence}diff\n",
        items,
        lambda n: (
            f"   # ({n} more change{'s' if n > 1 else ''} not shown: a comment holds at most"
            f" {limit:,} characters; the CI log or agenttasks plan shows them all)\n"
        ),
        f"{fence}\n\n",
    )


def change_line(action: Action) -> str:
    """One item of the list of changes: ``+ task.KEY in REPO: will be created (reason)``,
    Markdown-escaped, the symbol in a code span."""
    reason = action.reason if action.reason not in QUIET_REASONS else ""
    words = f"task.{action.key} in {action.repo}: {headline(action)}"
    words += f" ({reason})" if reason else ""
    return f"`{DIFF_SYMBOLS[action.kind]}` {md_text(words)}"


def _changes(plan: Plan) -> _Section:
    return _Section(
        "",
        [f"- {change_line(action)}\n" for action in ordered(plan)],
        lambda n: f"- _… and {n} more not shown._\n",
        "\n",
    )


def progress_line(drift: tuple[str, ...]) -> str:
    """The drift notes that are expected progress (queued -> in_progress -> completed),
    counted per step: ``Since the last save, as expected: 2 queued → in_progress.``; "" for none."""
    steps: dict[tuple[str, str], int] = {}
    for note in drift:
        if (step := expected_progress(note)) is not None:
            steps[step] = steps.get(step, 0) + 1
    if not steps:
        return ""
    counted = ", ".join(f"{n} {was} → {now}" for (was, now), n in sorted(steps.items()))
    return md_text(f"Since the last save, as expected: {counted}.")


def _noticed(drift: tuple[str, ...]) -> list[str]:
    """The drift notes a reviewer must see: a task gone, archived, failed or needing a person."""
    return [note for note in drift if expected_progress(note) is None]


def _head(plan: Plan) -> str:
    parts = ["### agenttasks plan\n\n", f"{outcome_line(plan)}\n\n"]
    if (took := duration_line(plan)) is not None:
        parts.append(f"{md_text(took)}\n\n")
    if plan.offline:
        parts.append(f"> [!NOTE]\n> {md_text(OFFLINE)}\n\n")
    if plan.targeted:
        parts.append(f"> [!WARNING]\n> {md_text(TARGETING)}\n\n")
    return "".join(parts)


def _details(doc: _Document, plan: Plan) -> None:
    found, end = list(notes(plan)), "</details>\n\n"
    if not (plan.changes or found):
        return
    doc.reserved += len(end)
    if not doc.add("<details><summary>Plan details</summary>\n\n"):
        doc.reserved -= len(end)
        return
    if found:
        doc.fitted(_bullets("Notes", found))
    if plan.changes:
        doc.fitted(_blocks(plan, doc.limit))
    doc.reserved -= len(end)
    doc.parts.append(end)


def plan_markdown(
    plan: Plan,
    *,
    files: tuple[str, ...],
    state_path: str,
    now: datetime,
    limit: int = GITHUB_COMMENT_LIMIT,
) -> str:
    """The plan as a PR comment of at most ``limit`` characters; the summary is always kept."""
    if limit < _MIN_LIMIT:
        raise ValueError(f"a Markdown plan needs a limit of at least {_MIN_LIMIT} characters")
    footer = f"<sub>{md_text(header_line(plan, files=files, state_path=state_path))}</sub>\n"
    footer = footer if len(footer) <= _FOOTER_MAX else ""
    doc = _Document(limit, [_head(plan)], reserved=len(footer))
    if plan.changes:
        doc.fitted(_changes(plan))
    if plan.attention:
        lines = [f"task.{a.key}: {a.message}" for a in sorted(plan.attention, key=_by_key)]
        doc.fitted(_bullets("Needs attention", lines))
    if plan.unresolved:
        doc.fitted(
            _bullets("Unconfirmed creates", [unresolved_line(k) for k in sorted(plan.unresolved)])
        )
    if noticed := _noticed(plan.drift):
        doc.fitted(_bullets("Changed on GitHub since the last save (information only)", noticed))
    progress = progress_line(plan.drift)
    live = f"Live: {live_line(plan.statuses)}" + (f" {progress}" if progress else "")
    if doc.add(f"{live}\n\n") and plan.statuses:
        doc.fitted(_table(plan.statuses, now))
    _details(doc, plan)
    doc.parts.append(footer)
    return "".join(doc.parts)


def _by_key(attention: Attention) -> tuple[str, str]:
    return attention.key, attention.message
