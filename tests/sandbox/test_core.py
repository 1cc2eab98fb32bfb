"""The conformance check really rejects what the description forbids (the core's purity is the
architecture contract's: tests/test_architecture.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.sandbox import control, faults
from reconciler.sandbox.wire import Request, Response, error, json_response
from tests.sandbox.openapi import ConformanceError, check, json_schema

HEADERS = (
    ("content-type", "application/json"),
    ("date", "Thu, 01 Jan 2026 00:00:00 GMT"),
    ("x-ratelimit-limit", "5000"),
    ("x-ratelimit-remaining", "4999"),
    ("x-ratelimit-used", "1"),
    ("x-ratelimit-reset", "1767229200"),
)
GET = Request("GET", "/agents/tasks/x")
GOOD_TASK = {
    "id": "x",
    "state": "queued",
    "created_at": "2026-01-01T00:00:00Z",
    "archived_at": None,
}


def answer(
    document: object, status: int = 200, headers: tuple[tuple[str, str], ...] = HEADERS
) -> Response:
    body = json_response(status, document).body
    return Response(status, headers, body, operation="agent-tasks/get-task-by-id")


def test_a_conforming_response_passes() -> None:
    check(GET, answer(GOOD_TASK))


@pytest.mark.parametrize(
    "document",
    [
        {**GOOD_TASK, "state": "done"},
        {**GOOD_TASK, "created_at": "yesterday"},
        {k: v for k, v in GOOD_TASK.items() if k != "id"},
        {**GOOD_TASK, "creator": {"id": "1"}},
        {**GOOD_TASK, "artifacts": [{"provider": "github", "type": "pull", "data": {}}]},
    ],
)
def test_a_response_breaking_the_schema_is_rejected(document: dict[str, object]) -> None:
    with pytest.raises(ConformanceError):
        check(GET, answer(document))


def test_missing_headers_and_undocumented_statuses_are_rejected() -> None:
    with pytest.raises(ConformanceError, match="x-ratelimit-used"):
        check(
            GET, answer(GOOD_TASK, headers=tuple(h for h in HEADERS if h[0] != "x-ratelimit-used"))
        )
    teapot = error(418, "teapot")
    with pytest.raises(ConformanceError, match="not documented"):
        check(GET, Response(418, HEADERS, teapot.body, operation="agent-tasks/get-task-by-id"))


def test_nullable_becomes_a_null_alternative() -> None:
    assert json_schema({"type": "string", "nullable": True}) == {"type": ["string", "null"]}
    assert json_schema({"oneOf": [{"type": "object"}], "nullable": True}) == {
        "anyOf": [{"oneOf": [{"type": "object"}]}, {"type": "null"}]
    }


DOCS = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"


def test_the_docs_name_every_fault_kind_option_and_control_route() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for kind in faults.KINDS:
        assert f"`{kind}`" in text, kind
    for option in (
        "times",
        "rate",
        "ms",
        "status",
        "retry_after",
        "reset_in",
        "seconds",
        "sunset_in",
    ):
        assert f"`{option}" in text, option
    source = Path(control.__file__).read_text(encoding="utf-8")
    segments = set(re.findall(r'parts(?:\[1:\])? == \["(\w+)"\]', source))
    assert segments >= {
        "tasks",
        "tokens",
        "faults",
        "requests",
        "clock",
        "archive",
        "unarchive",
        "state",
    }
    for segment in segments:
        assert f"/{segment}`" in text, segment
