"""What every plan renderer shares: sentences, ages, escaping and the blocks' content. Pure.

Nothing here reads a clock: ages are measured from a ``now`` passed in, so a saved plan re-renders
to the same bytes. Strings that come from files or from the API (prompts, refs, ids, URLs) pass
through ``printable`` before they reach a terminal, so no prompt can move the cursor or recolour it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from reconciler.defaults import BRANCH_WRITES_PER_CREATE as BRANCH_WRITES
from reconciler.plan.model import Bucket, Counts, Kind, Plan, Status, Sync, sort_actions

NO_CHANGES = "No changes. Declared tasks match the state."
TABLE_TITLE = "Tracked tasks (live):"
COLUMNS = ("KEY", "REPO", "SYNC", "STATE", "AGE", "LINK")
EMPTY = "-"
STATE_ONLY = "(state only: the task keeps running on GitHub)"
OFFLINE = (
    "Offline plan, made without the agent tasks API (no token: a pull request from a fork gets"
    " no secrets). It shows what the tasks files ask of the state; the real plan may import a"
    " task instead of creating it (a lost answer or state), re-run or recreate tracked tasks, and"
    " shows their live states."
)
TARGETING = (
    "Targeting is in effect (--target/--exclude): keys outside the selection are left out of"
    " this plan, so it may not show everything that applying the whole tasks files would do."
)

HEADLINES = {
    Kind.CREATE: "will be created",
    Kind.IMPORT: "will be imported",
    Kind.REPLACE: "will be replaced",
    Kind.RERUN: "will be re-run",
    Kind.RECREATE: "will be recreated",
    Kind.FORGET: "will be forgotten",
    Kind.NOOP: "is unchanged",
}
SYMBOLS = {
    Kind.CREATE: "+",
    Kind.IMPORT: "",
    Kind.REPLACE: "+/.",
    Kind.RERUN: "+/.",
    Kind.RECREATE: "+",
    Kind.FORGET: ".",
    Kind.NOOP: "",
}
# The first column of a block in a ```diff fence, so GitHub colours it: + added (green), ! a
# task replaced by a new one (orange), - forgotten (red), ~ imported (uncoloured: nothing starts).
DIFF_SYMBOLS = {
    Kind.CREATE: "+",
    Kind.IMPORT: "~",
    Kind.REPLACE: "!",
    Kind.RERUN: "!",
    Kind.RECREATE: "+",
    Kind.FORGET: "-",
    Kind.NOOP: " ",
}

_BIDI = frozenset("\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def summary_sentence(counts: Counts) -> str:
    """``Plan: [N to import, ]N to add, 0 to change, 0 to destroy[, N to forget].`` (DESIGN §4)."""
    imported = f"{counts.imported} to import, " if counts.imported else ""
    forgotten = f", {counts.forgotten} to forget" if counts.forgotten else ""
    return f"Plan: {imported}{counts.added} to add, 0 to change, 0 to destroy{forgotten}."


def _span(seconds: float) -> str:
    """``3 h 9 min``, ``12 min``, ``45 s``."""
    minutes = math.ceil(seconds / 60)
    hours, rest = divmod(minutes, 60)
    if hours:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes} min"


def _per(count: int, seconds: float) -> str:
    unit = {60.0: "a minute", 3600.0: "an hour"}.get(seconds, f"per {seconds:g} s")
    return f"{count:,} {unit}"


def duration_line(plan: Plan) -> str | None:
    """``2,000 to add: at GitHub's limits of 80 creates a minute and 500 an hour, this apply takes
    at least 3 h 9 min.`` when applying takes over a minute (``Plan.duration``)."""
    took = plan.duration
    if took is None:
        return None
    limits = " and ".join(_per(count, seconds) for count, seconds in took.limits)
    why = (
        f"GitHub's limits, shared with the state branch's {BRANCH_WRITES} commits a create,"
        f" of {limits}"
        if took.branch
        else f"GitHub's limits of {limits}"
    )
    return (
        f"{took.creates:,} to add: at {why}, this apply takes at least {_span(took.seconds)}"
        " (apply --max-duration splits it across runs)."
    )


def awaits_decision(plan: Plan) -> bool:
    """Whether the plan is more than "no changes": something to apply, an unconfirmed create, or
    a key that needs attention. ``plan --detailed-exitcode`` exits 2 exactly then."""
    return plan.counts.changes or bool(plan.unresolved) or bool(plan.attention)


def outcome_line(plan: Plan) -> str:
    """The summary sentence, or the no-changes line when applying would do nothing at all.

    A plan with unconfirmed creates or a "Needs attention" block is not "no changes"
    (``--detailed-exitcode`` exits 2 for it, DESIGN §4), so it keeps the sentence even when every
    count is zero.
    """
    counts = plan.counts
    if not awaits_decision(plan):
        return NO_CHANGES
    return summary_sentence(counts)


def _files_phrase(files: tuple[str, ...]) -> str:
    if len(files) == 1:
        return files[0]
    if not files:
        return "no files"
    return f"{len(files)} files ({', '.join(files)})"


def header_line(plan: Plan, *, files: tuple[str, ...], state_path: str) -> str:
    """``agenttasks read 4 declared tasks from tasks.yaml and 3 tracked tasks in 2 …; state: ….``"""
    declared = _plural(plan.declared, "declared task")
    tracked = _plural(plan.tracked, "tracked task")
    repositories = _plural(plan.repositories, "repository", "repositories")
    return (
        f"agenttasks read {declared} from {printable(_files_phrase(files))} and {tracked} in"
        f" {repositories}; state: {printable(state_path)}."
    )


def age(created_at: datetime | None, now: datetime) -> str:
    """``45s``, ``12m``, ``3h``, ``2d``: the largest whole unit; ``-`` when unknown."""
    seconds = age_seconds(created_at, now)
    if seconds is None:
        return EMPTY
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def age_seconds(created_at: datetime | None, now: datetime) -> int | None:
    """Whole seconds since ``created_at`` (never negative), or None."""
    if created_at is None:
        return None
    return max(0, int((_utc(now) - _utc(created_at)).total_seconds()))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def timestamp(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z``, as GitHub writes times; None stays None."""
    return None if moment is None else _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _escape_char(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _unsafe(char: str) -> bool:
    if char == "\t":
        return False
    return char in _BIDI or unicodedata.category(char) in ("Cc", "Zl", "Zp")


def printable(text: str) -> str:
    """``text`` with controls (newlines too), line separators and bidi marks escaped."""
    if text.isprintable():
        return text
    return "".join(_escape_char(c) if _unsafe(c) else c for c in text)


def quote(text: str) -> str:
    """A double-quoted string as the blocks show it: backslash, quote and controls escaped."""
    for raw, shown in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\t", "\\t")):
        text = text.replace(raw, shown)
    return f'"{printable(text)}"'


def status_cells(status: Status, now: datetime) -> tuple[str, ...]:
    """One row of the live table, in ``COLUMNS`` order, every cell printable."""
    state = status.state.value if status.state is not None else EMPTY
    return (
        printable(status.key),
        printable(status.repo),
        status.sync.value,
        state,
        age(status.created_at, now),
        printable(status.html_url) if status.html_url else EMPTY,
    )


def live_line(statuses: tuple[Status, ...]) -> str:
    """``5 tracked tasks: 2 progressing, 1 done; 1 missing, 1 unconfirmed.``"""
    if not statuses:
        return "no tracked tasks."
    counted = Counter(s.bucket for s in statuses)  # one pass: a table may hold thousands
    synced = Counter(s.sync for s in statuses)
    buckets = [f"{counted[b]} {b.value}" for b in Bucket if counted[b]]
    syncs = {Sync.MISSING: "missing", Sync.UNKNOWN: "unconfirmed"}
    problems = [f"{synced[sync]} {word}" for sync, word in syncs.items() if synced[sync]]
    tail = f"; {', '.join(problems)}" if problems else ""
    return f"{_plural(len(statuses), 'tracked task')}: {', '.join(buckets)}{tail}."


def notes(plan: Plan) -> tuple[str, ...]:
    """Notes of unchanged keys (``on_change: ignore`` …) that the drift notes do not already say."""
    said = set(plan.drift)
    actions = sort_actions(list(plan.actions))
    found = (f"task.{a.key}: {n}" for a in actions if a.kind == Kind.NOOP for n in a.notes)
    return tuple(n for n in found if n not in said)


def unresolved_line(key: str) -> str:
    """What an unconfirmed create means for its key."""
    return (
        f"task.{key}: a create was sent but its answer was lost; it is not sent again before its"
        " settle window ends (sync: unknown)"
    )


_BACKTICKS = re.compile(r"`+")


def longest_backtick_run(text: str) -> int:
    """The length of the longest run of backticks in ``text`` (0 for none)."""
    return max((len(m) for m in _BACKTICKS.findall(text)), default=0)


Style = Literal["green", "yellow", "red", "magenta", "cyan", "bold", "dim"]
_SGR: dict[Style, str] = {
    "green": "32",
    "yellow": "33",
    "red": "31",
    "magenta": "35",
    "cyan": "36",
    "bold": "1",
    "dim": "2",
}
KIND_STYLE: dict[Kind, Style] = {
    Kind.CREATE: "green",
    Kind.IMPORT: "cyan",
    Kind.REPLACE: "yellow",
    Kind.RERUN: "yellow",
    Kind.RECREATE: "green",
    Kind.FORGET: "magenta",
    Kind.NOOP: "dim",
}
BUCKET_STYLE: dict[Bucket, Style] = {
    Bucket.PROGRESSING: "cyan",
    Bucket.NEEDS_PERSON: "yellow",
    Bucket.DONE: "green",
    Bucket.FAILED: "red",
    Bucket.UNKNOWN: "magenta",
}
SYNC_STYLE: dict[Sync, Style] = {
    Sync.PENDING: "yellow",
    Sync.UNKNOWN: "magenta",
    Sync.MISSING: "red",
}


@dataclass(frozen=True)
class Paint:
    """ANSI colour when ``enabled``; the identity otherwise (no colour unless asked)."""

    enabled: bool = False

    def __call__(self, text: str, style: Style | None) -> str:
        if not self.enabled or style is None or not text:
            return text
        return f"\x1b[{_SGR[style]}m{text}\x1b[0m"
