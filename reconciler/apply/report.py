"""What an apply did, key by key: printed, rendered as JSON, turned into an exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from reconciler.errors import ExitCode, combine_exit_codes

# The detail of the creates --max-duration left for the next apply.
MAX_DURATION = "--max-duration"


class ApplyStatus(StrEnum):
    """What an apply did with one key; the values are the JSON report's (docs/plan-json.md)."""

    CREATED = "created"
    IMPORTED = "imported"
    FORGOTTEN = "forgotten"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class KeyOutcome:
    """What happened to one key."""

    key: str
    status: ApplyStatus
    task_id: str | None = None
    detail: str = ""


@dataclass
class Report:
    """Every outcome of a run, in order, and whether a signal cut it short."""

    outcomes: list[KeyOutcome] = field(default_factory=list)
    interrupted: ExitCode | None = None
    left: int = 0  # creates not started because --max-duration ran out: the next apply goes on

    def add(
        self, key: str, status: ApplyStatus, task_id: str | None = None, detail: str = ""
    ) -> None:
        """Record what happened to ``key``."""
        self.outcomes.append(KeyOutcome(key, status, task_id, detail))

    @property
    def partial(self) -> bool:
        """Some create failed or is unconfirmed, or creates are left for the next apply: exit 4."""
        return bool(
            self.count(ApplyStatus.FAILED) or self.count(ApplyStatus.UNCONFIRMED) or self.left
        )

    def count(self, status: ApplyStatus) -> int:
        """How many outcomes have ``status``."""
        return sum(o.status == status for o in self.outcomes)

    @property
    def exit_code(self) -> ExitCode:
        """130/143 when interrupted, 4 when a create failed or is unconfirmed, else 0."""
        return combine_exit_codes(
            self.interrupted or ExitCode.OK, ExitCode.PARTIAL if self.partial else ExitCode.OK
        )
