"""The sticky pull-request comment's body (CI.md §5): the marker line, then the Markdown plan,
under a byte limit. Pure.

GitHub caps a comment at 65,536 "characters" without saying which unit it counts, so the body is
kept under 60,000 UTF-8 bytes. When the whole Markdown plan fits, the comment is the marker and
the plan. When it does not, the comment keeps, in this order: the marker, the summary sentence,
the list of changes (one line per action: always kept, unless that list alone would overflow, and
then cut with a count of what is left out), a note saying the details are cut with a link to the
run's step summary (where the whole plan is), and as much of the Markdown plan's details as fits.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from reconciler.plan.model import Plan
from reconciler.render.common import HEADLINES, SYMBOLS, outcome_line

COMMENT_BYTES = 60_000
TITLE = "### agenttasks plan\n\n"
_MIN_MARKDOWN = 2048  # plan_markdown's smallest limit
_SAFE_URL = re.compile(r"https?://[^\s<>()\[\]|\\`\"']+")
_SLACK = 256  # what a smaller limit may still overshoot by, in bytes, while the fit is sought


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _change_lines(plan: Plan) -> list[str]:
    lines = []
    for action in plan.changes:
        symbol = SYMBOLS[action.kind] or "~"
        lines.append(
            f"- `{symbol}` `task.{action.key}` in `{action.repo}`: {HEADLINES[action.kind]}\n"
        )
    return lines


def _note(run_url: str | None, limit: int) -> str:
    where = (
        f"in [the run's step summary]({run_url})"
        if run_url and _SAFE_URL.fullmatch(run_url)
        else "in the CI log, and `agenttasks plan` shows it"
    )
    return (
        f"> [!NOTE]\n> The whole plan does not fit in one comment (at most {limit:,} bytes here),"
        f" so its details are cut below; every change is listed above. The whole plan is {where}."
        "\n\n"
    )


def _changes(lines: list[str], room: int) -> str:
    head = "**Changes**\n\n"
    if not lines:
        return ""
    if _size(head + "".join(lines)) + 1 <= room:
        return head + "".join(lines) + "\n"
    kept, used = [], _size(head) + 80  # 80: the "… and N more" line
    for line in lines:
        if used + _size(line) > room:
            break
        kept.append(line)
        used += _size(line)
    more = f"- _… and {len(lines) - len(kept)} more changes not shown._\n"
    return head + "".join(kept) + more + "\n"


def _details(markdown: Callable[[int], str], head: str, room: int) -> str:
    """As much of the Markdown plan as fits in ``room`` bytes, without its own title and summary
    (already above); empty when not even the smallest Markdown plan fits."""
    limit = min(room, 65536)
    while limit >= _MIN_MARKDOWN:
        text = markdown(limit).removeprefix(head)
        size = _size(text)
        if size <= room:
            return text
        limit = min(limit - 1, limit * room // size - _SLACK)
    return ""


def comment_body(
    plan: Plan,
    markdown: Callable[[int], str],
    *,
    marker: str,
    run_url: str | None,
    limit: int = COMMENT_BYTES,
) -> str:
    """The comment: ``marker`` on the first line, then the plan; at most ``limit`` UTF-8 bytes.

    ``markdown(n)`` renders the Markdown plan in at most ``n`` characters
    (``render.markdown.plan_markdown`` with its ``limit``).
    """
    whole = f"{marker}\n{markdown(65536)}"
    if _size(whole) <= limit:
        return whole
    head = f"{TITLE}{outcome_line(plan)}\n\n"
    top = f"{marker}\n{head}"
    note = _note(run_url, limit)
    changes = _changes(_change_lines(plan), limit - _size(top + note) - _MIN_MARKDOWN)
    body = top + changes + note
    return body + _details(markdown, head, limit - _size(body))
