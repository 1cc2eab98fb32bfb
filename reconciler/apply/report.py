"""What an apply did, key by key: printed, rendered as JSON, turned into an exit code."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.errors import ExitCode, combine_exit_codes


@dataclass(frozen=True)
class Outcome:
    """What happened to one key."""

    key: str
    status: str  # created, imported, forgotten, failed, unconfirmed, skipped
    task_id: str | None = None
    detail: str = ""


@dataclass
class Report:
    """Every outcome of a run, in order, and whether a signal cut it short."""

    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: ExitCode | None = None

    def count(self, status: str) -> int:
        """How many outcomes have ``status``."""
        return sum(o.status == status for o in self.outcomes)

    @property
    def exit_code(self) -> ExitCode:
        """130/143 when interrupted, 4 when a create failed or is unconfirmed, else 0."""
        partial = self.count("failed") or self.count("unconfirmed")
        return combine_exit_codes(
            self.interrupted or ExitCode.OK, ExitCode.PARTIAL if partial else ExitCode.OK
        )
