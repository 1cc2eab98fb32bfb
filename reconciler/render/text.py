"""The plan and the live table as terminal text (DESIGN §4). Pure; colour only when asked."""

from __future__ import annotations

from datetime import datetime

from reconciler.plan.model import Action, Plan, Status, sort_actions
from reconciler.render.blocks import Clip, block
from reconciler.render.common import (
    BUCKET_STYLE,
    COLUMNS,
    NO_CHANGES,
    OFFLINE,
    SYNC_STYLE,
    TABLE_TITLE,
    TARGETING,
    Paint,
    Style,
    duration_line,
    header_line,
    live_line,
    notes,
    outcome_line,
    printable,
    status_cells,
    unresolved_line,
)

TEXT_CLIP = Clip(lines=6)
DRIFT_TITLE = "Note: changed since the last save (information only; nothing is planned for it):"


def sorted_statuses(statuses: tuple[Status, ...]) -> tuple[Status, ...]:
    """The live table's rows in their one order: by key, then repository."""
    return tuple(sorted(statuses, key=lambda s: (s.key, s.repo)))


def ordered(plan: Plan) -> tuple[Action, ...]:
    """The plan's changes in the plan's order, whatever order they were given in."""
    return sort_actions(list(plan.changes))


def _row(
    cells: tuple[str, ...], widths: list[int], *, styles: list[Style | None], paint: Paint
) -> str:
    parts = [
        paint(cell, style) + " " * (width - len(cell))
        for cell, width, style in zip(cells, widths, styles, strict=True)
    ]
    return ("  " + "  ".join(parts)).rstrip()


def table(statuses: tuple[Status, ...], *, now: datetime, paint: Paint) -> list[str]:
    """The live table: a header row and one row per status, columns aligned."""
    rows = [(s, status_cells(s, now)) for s in sorted_statuses(statuses)]
    columns = zip(COLUMNS, *(cells for _, cells in rows), strict=True)
    widths = [max(map(len, column)) for column in columns]
    lines = [_row(COLUMNS, widths, styles=[None] * len(COLUMNS), paint=paint)]
    for status, cells in rows:
        styles: list[Style | None] = [None, None, SYNC_STYLE.get(status.sync)]
        styles += [BUCKET_STYLE[status.bucket], None, None]
        lines.append(_row(cells, widths, styles=styles, paint=paint))
    return lines


def _bullets(title: str, items: tuple[str, ...], paint: Paint, style: Style) -> list[str]:
    return [paint(title, style), *(f"  - {printable(item)}" for item in items)]


def _preamble(plan: Plan, paint: Paint) -> list[list[str]]:
    sections = []
    if plan.offline:
        sections.append([f"{paint('Note:', 'yellow')} {OFFLINE}"])
    if plan.targeted:
        sections.append([f"{paint('Warning:', 'yellow')} {TARGETING}"])
    if plan.drift:
        sections.append(_bullets(DRIFT_TITLE, plan.drift, paint, "bold"))
    return sections


def _epilogue(plan: Plan, paint: Paint) -> list[list[str]]:
    sections = []
    if found := notes(plan):
        sections.append(_bullets("Notes:", found, paint, "bold"))
    if plan.attention:
        attention = tuple(
            f"task.{a.key}: {a.message}"
            for a in sorted(plan.attention, key=lambda a: (a.key, a.message))
        )
        sections.append(_bullets("Needs attention:", attention, paint, "yellow"))
    if plan.unresolved:
        unknown = tuple(unresolved_line(key) for key in sorted(plan.unresolved))
        sections.append(_bullets("Unconfirmed creates:", unknown, paint, "magenta"))
    return sections


def _outcome(plan: Plan, paint: Paint) -> str:
    line = outcome_line(plan)
    return paint(line, "green" if line == NO_CHANGES else "bold")


def plan_body(plan: Plan, *, paint: Paint, clip: Clip, diff: bool = False) -> list[list[str]]:
    """The blocks of every change, in the plan's order (no-ops have none)."""
    dropped = set(plan.dropped_intents)
    return [
        block(action, paint=paint, clip=clip, dropped=action.key in dropped, diff=diff)
        for action in ordered(plan)
    ]


def live_section(statuses: tuple[Status, ...], *, now: datetime, paint: Paint) -> list[str]:
    """``Tracked tasks (live):``, the table, and the line that counts the buckets."""
    return [TABLE_TITLE, *table(statuses, now=now, paint=paint), "", f"  {live_line(statuses)}"]


def _join(sections: list[list[str]]) -> str:
    return "\n\n".join("\n".join(line.rstrip() for line in s) for s in sections) + "\n"


def plan_text(
    plan: Plan, *, files: tuple[str, ...], state_path: str, now: datetime, color: bool = False
) -> str:
    """The plan as the terminal shows it: header, notes, blocks, summary sentence, live table."""
    paint = Paint(color)
    sections = [[header_line(plan, files=files, state_path=state_path)]]
    sections += _preamble(plan, paint)
    sections += plan_body(plan, paint=paint, clip=TEXT_CLIP)
    sections += _epilogue(plan, paint)
    sections.append([_outcome(plan, paint)])
    if (took := duration_line(plan)) is not None:
        sections.append([took])
    if plan.statuses:
        sections.append(live_section(plan.statuses, now=now, paint=paint))
    return _join(sections)


def status_text(statuses: tuple[Status, ...], *, now: datetime, color: bool = False) -> str:
    """``agenttasks status``: the live table of every tracked task, or a line saying none is."""
    if not statuses:
        return "No tracked tasks.\n"
    return _join([live_section(statuses, now=now, paint=Paint(color))])
