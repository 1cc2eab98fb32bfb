"""Deciding which fault strikes a request, and the answer each kind of fault gives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime

from reconciler.sandbox.faults import COMMIT_KINDS, MODIFIER_KINDS
from reconciler.sandbox.quota import LIMIT, headers
from reconciler.sandbox.store import ActiveFault, Store
from reconciler.sandbox.wire import Effect, Response, error

GONE = "This API version is no longer supported. Use a newer X-GitHub-Api-Version."
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


@dataclass(frozen=True)
class Strike:
    """A fault that fired on this request."""

    fault: ActiveFault

    @property
    def kind(self) -> str:
        """The rule's kind."""
        return self.fault.rule.kind

    def respond(self, user_id: int) -> Response:
        """The answer of a fault that strikes before the request is processed."""
        rule = self.fault.rule
        if rule.kind in ("reset", "refused"):
            effect = Effect.RESET if rule.kind == "reset" else Effect.REFUSED
            return Response(0, effect=effect)
        if rule.kind.isdigit():
            return error(int(rule.kind), "Server Error")
        if rule.kind == "gone":
            return error(410, GONE)
        if rule.kind == "primary":
            return error(403, f"API rate limit exceeded for user ID {user_id}.")
        status = 429 if rule.kind == "secondary_429" else 403
        retry = () if rule.retry_after is None else (("retry-after", str(rule.retry_after)),)
        return error(status, SECONDARY, *retry)

    def after_commit(self, committed: Response) -> Response:
        """The answer of a commit-then-* fault, once the task was created."""
        rule = self.fault.rule
        if rule.kind == "commit_then_drop":
            return Response(0, committed.headers, b"", Effect.DROP)
        if rule.kind == "commit_then_hold":
            return Response(201, committed.headers, committed.body, Effect.HOLD, rule.seconds)
        return error(rule.status, "Server Error")

    def rate_headers(self, now: datetime) -> tuple[tuple[str, str], ...] | None:
        """Primary exhaustion reports nothing left until ``reset_in`` seconds after ``now``."""
        if self.kind != "primary":
            return None
        reset = int(now.timestamp()) + self.fault.rule.reset_in
        return headers(LIMIT, 0, reset, LIMIT)


def _fires(store: Store, fault: ActiveFault) -> bool:
    rule = fault.rule
    if rule.times is not None and fault.fired >= rule.times:
        return False
    return rule.rate is None or store.chance() < rule.rate


@dataclass
class Struck:
    """What the faults do to one request.

    ``before`` answers instead of the operation, ``after`` replaces a committed 201, ``race``
    has another writer move a git ref just before the operation; latency and ``deprecated``
    rules only add ``latency`` seconds and ``headers``.
    """

    before: Strike | None = None
    after: Strike | None = None
    race: Strike | None = None
    latency: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


def _modify(struck: Struck, fault: ActiveFault, now: datetime) -> None:
    rule = fault.rule
    if rule.kind == "latency":
        struck.latency += rule.ms / 1000.0
        return
    sunset = now + timedelta(days=rule.sunset_in)
    struck.headers = (
        ("deprecation", f"@{int(now.timestamp())}"),
        ("sunset", format_datetime(sunset, usegmt=True)),
    )


def strike(store: Store, method: str, path: str, now: datetime) -> Struck:
    """Decide which faults strike a request.

    Modifiers (``latency``, ``deprecated``) all apply; of the other rules the first that matches
    and fires wins. A commit-then-* rule only matches a POST, a race a PATCH or POST.
    """
    struck = Struck()
    for fault in store.faults:
        rule = fault.rule
        if not rule.matches(method, path):
            continue
        modifier = rule.kind in MODIFIER_KINDS
        if not modifier and (struck.before or struck.after or struck.race):
            continue
        if not _fires(store, fault):
            continue
        fault.fired += 1
        if modifier:
            _modify(struck, fault, now)
        elif rule.kind in COMMIT_KINDS:
            struck.after = Strike(fault)
        elif rule.kind == "race":
            struck.race = Strike(fault)
        else:
            struck.before = Strike(fault)
    return struck
