"""The list operations' query parameters, validated as the OpenAPI description declares them.

Every problem is collected into one 422; unknown parameters are ignored, as GitHub does.
``creator_id`` is accepted repeated (``creator_id=1&creator_id=2``), with brackets
(``creator_id[]=1``, githubkit's form) and as a comma list (``creator_id=1,2``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from reconciler.sandbox.lifecycle import STATES
from reconciler.sandbox.wire import FieldError


@dataclass(frozen=True)
class ListQuery:
    """A validated list request."""

    per_page: int = 30
    page: int = 1
    sort: str = "updated_at"
    direction: str = "desc"
    states: frozenset[str] | None = None
    archived: bool = False
    since: datetime | None = None
    creator_ids: frozenset[int] | None = None


def _last(pairs: tuple[tuple[str, str], ...], name: str) -> str | None:
    values = [v for k, v in pairs if k == name]
    return values[-1] if values else None


def _integer(raw: str, name: str, low: int, high: int | None, errors: list[FieldError]) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        errors.append(FieldError(name, "invalid", f"{name} must be an integer {bound}."))
        return low
    return value


def parse_time(raw: str) -> datetime | None:
    """An ISO 8601 date-time (``Z`` or an offset; a bare date means midnight UTC), else None."""
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _choice(raw: str | None, name: str, allowed: tuple[str, ...], errors: list[FieldError]) -> str:
    if raw is None:
        return allowed[0]
    if raw not in allowed:
        errors.append(FieldError(name, "invalid", f"{name} must be one of: {', '.join(allowed)}."))
        return allowed[0]
    return raw


def _states(raw: str | None, errors: list[FieldError]) -> frozenset[str] | None:
    if raw is None:
        return None
    names = [s.strip() for s in raw.split(",") if s.strip()]
    unknown = [s for s in names if s not in STATES]
    if unknown or not names:
        errors.append(
            FieldError("state", "invalid", f"state must be a comma list of: {', '.join(STATES)}.")
        )
        return None
    return frozenset(names)


def _creators(
    pairs: tuple[tuple[str, str], ...], errors: list[FieldError]
) -> frozenset[int] | None:
    raw = [v for k, v in pairs if k in ("creator_id", "creator_id[]")]
    if not raw:
        return None
    ids: set[int] = set()
    for value in raw:
        for part in value.split(","):
            try:
                ids.add(int(part.strip()))
            except ValueError:
                errors.append(FieldError("creator_id", "invalid", "creator_id must be integers."))
                return None
    return frozenset(ids)


def parse_list_query(
    pairs: tuple[tuple[str, str], ...], *, by_repo: bool
) -> ListQuery | list[FieldError]:
    """The list parameters, or every problem with them."""
    errors: list[FieldError] = []
    per_page, page, archived, since = 30, 1, False, None
    if (raw := _last(pairs, "per_page")) is not None:
        per_page = _integer(raw, "per_page", 1, 100, errors)
    if (raw := _last(pairs, "page")) is not None:
        page = _integer(raw, "page", 1, None, errors)
    sort = _choice(_last(pairs, "sort"), "sort", ("updated_at", "created_at"), errors)
    direction = _choice(_last(pairs, "direction"), "direction", ("desc", "asc"), errors)
    states = _states(_last(pairs, "state"), errors)
    if (raw := _last(pairs, "is_archived")) is not None:
        archived = _choice(raw, "is_archived", ("false", "true"), errors) == "true"
    if (raw := _last(pairs, "since")) is not None:
        since = parse_time(raw)
        if since is None:
            errors.append(FieldError("since", "invalid", "since must be an ISO 8601 date-time."))
    creators = _creators(pairs, errors) if by_repo else None
    if errors:
        return errors
    return ListQuery(per_page, page, sort, direction, states, archived, since, creators)
