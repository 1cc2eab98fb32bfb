"""Plain request and response values exchanged between the sandbox core and its adapters.

The core never touches a socket: an adapter turns its request into a ``Request``, calls
``handle`` and performs the returned ``Response``, including its ``effect`` (the faults that
only the transport can enact: resetting, dropping or holding a connection).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum

DOCS = "https://docs.github.com/rest/agent-tasks/agent-tasks"


class Effect(StrEnum):
    """What the adapter must do besides (or instead of) sending the response."""

    NONE = "none"
    RESET = "reset"  # close the connection before processing; nothing was done
    REFUSED = "refused"  # as if the connection had never been accepted; nothing was done
    DROP = "drop"  # the store committed; close the connection without answering
    HOLD = "hold"  # the store committed; answer only after ``hold_seconds``


def first_header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    """The first value of header ``name`` in ``headers``, by case-insensitive name."""
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


@dataclass(frozen=True)
class Request:
    """One HTTP request as plain values.

    ``path`` is the raw, still percent-encoded path; ``headers`` have lower-case names;
    ``base_url`` (``scheme://host[:port]``) is what links in responses point at.
    ``control`` says the peer may use the ``/_sandbox/`` control routes (loopback only).
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    base_url: str = "https://api.github.com"
    control: bool = False

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        return first_header(self.headers, name)


@dataclass(frozen=True)
class Response:
    """One HTTP response as plain values, plus the transport effect to enact."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    effect: Effect = Effect.NONE
    hold_seconds: float = 0.0
    latency_seconds: float = 0.0
    operation: str | None = field(default=None, compare=False)

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        return first_header(self.headers, name)

    def json(self) -> object:
        """The body parsed as JSON (``None`` when empty)."""
        return json.loads(self.body) if self.body else None


def encode(document: object) -> bytes:
    """Serialise a JSON body the way the sandbox always does."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(status: int, document: object, *headers: tuple[str, str]) -> Response:
    """A JSON response; rate-limit and ``Date`` headers are added later by the handler."""
    return encoded_response(status, encode(document), *headers)


def encoded_response(status: int, body: bytes, *headers: tuple[str, str]) -> Response:
    """A JSON response whose body is already encoded (as ``encode`` does)."""
    base = (("content-type", "application/json; charset=utf-8"),)
    return Response(status, base + tuple(headers), body)


def error(status: int, message: str, *headers: tuple[str, str], docs: str = DOCS) -> Response:
    """GitHub's error body ``{"message", "documentation_url"}``; ``docs``: the operation's page."""
    return json_response(status, {"message": message, "documentation_url": docs}, *headers)


@dataclass(frozen=True)
class FieldError:
    """One entry of a 422's ``errors[]``."""

    field: str
    code: str
    message: str
    resource: str = "Task"

    def to_json(self) -> dict[str, str]:
        """The entry as GitHub writes it."""
        return {
            "resource": self.resource,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


def validation_failed(errors: list[FieldError]) -> Response:
    """422 Validation Failed with ``errors[]``."""
    body = {
        "message": "Validation Failed",
        "errors": [e.to_json() for e in errors],
        "documentation_url": DOCS,
    }
    return json_response(422, body)
