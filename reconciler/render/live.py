"""The live table of followed tasks on a terminal (``--wait`` with a TTY), drawn with rich.

Off a terminal, ``--wait`` prints one line per state change instead; this module is only used
when stdout is a terminal.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from reconciler.plan.model import Status
from reconciler.render.common import BUCKET_STYLE, age


def table(rows: tuple[Status, ...], now: datetime) -> Table:
    """The followed tasks as a rich table: key, repository, state, age, link."""
    grid = Table(title="Following tasks", title_justify="left", box=None, pad_edge=False)
    for column in ("KEY", "REPO", "STATE", "AGE", "LINK"):
        grid.add_column(column, no_wrap=column != "LINK")
    for row in rows:
        state = row.state.value if row.state else "-"
        link = escape(row.html_url or "")
        style = BUCKET_STYLE[row.bucket]  # the colours of `status`: one map for both
        grid.add_row(row.key, row.repo, f"[{style}]{state}[/]", age(row.created_at, now), link)
    return grid


class LiveTable:
    """A table redrawn in place after each poll; leaves its last frame on screen."""

    def __init__(self, console: Console | None = None) -> None:
        self._live = Live(Table(), console=console or Console(), auto_refresh=False)

    def __enter__(self) -> LiveTable:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._live.__exit__(kind, error, trace)

    def show(self, rows: tuple[Status, ...], now: datetime) -> None:
        """Redraw with the latest rows."""
        self._live.update(table(rows, now), refresh=True)
