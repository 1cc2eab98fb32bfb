"""Checks a sandbox response against GitHub's OpenAPI description (tests/data), with jsonschema.

OpenAPI 3.0 is not JSON Schema: ``nullable: true`` becomes a ``"null"`` alternative, and
``format: date-time`` is checked here because jsonschema only checks it with an extra package.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

from reconciler.sandbox.wire import Effect, Request, Response

SPEC_PATH = Path(__file__).parent.parent / "data" / "agent-tasks.openapi.json"
# Statuses the description leaves out that the sandbox still sends, always as an Error body:
# 410 (a retired API version), 429 and 5xx only come from injected faults; 404 on create is
# GitHub's answer for a repository the token cannot see (docs/sandbox.md).
UNDOCUMENTED = {410, 429, 500, 502, 503, 504}
USER_SCHEMA = {
    "type": "object",
    "required": ["login", "id", "type"],
    "properties": {
        "login": {"type": "string"},
        "id": {"type": "integer"},
        "type": {"type": "string"},
    },
}
RATE_HEADERS = (
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-used",
    "x-ratelimit-reset",
)

_formats = FormatChecker()


@_formats.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError(f"{value!r} has no UTC offset")
    return True


class ConformanceError(AssertionError):
    """The sandbox said something GitHub's description does not allow."""


def json_schema(schema: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: ``nullable`` made explicit, recursively."""
    if isinstance(schema, list):
        return [json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: json_schema(value) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


@cache
def spec() -> dict[str, Any]:
    """The OpenAPI document."""
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


@cache
def operations() -> dict[str, dict[str, Any]]:
    """Every operation by operationId."""
    found: dict[str, dict[str, Any]] = {}
    for item in spec()["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = copy.deepcopy(operation)
    return found


def _error_schema() -> Any:
    operation = operations()["agent-tasks/list-tasks-for-repo"]
    return operation["responses"]["422"]["content"]["application/json"]["schema"]


def _validate(schema: Any, document: object, where: str) -> None:
    validator = Draft7Validator(json_schema(schema), format_checker=_formats)
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if problems:
        details = "; ".join(f"{list(p.absolute_path)}: {p.message}" for p in problems[:5])
        raise ConformanceError(f"{where}: {details}")


def _schema_for(request: Request, response: Response) -> tuple[Any, str]:
    where = f"{request.method} {request.path} → {response.status}"
    if response.operation is None:
        if response.status in (404, 405):
            return _error_schema(), where
        raise ConformanceError(f"{where}: no operation answers this")
    if response.operation == "users/get-authenticated":
        return (USER_SCHEMA if response.status == 200 else _error_schema()), where
    documented = operations()[response.operation]["responses"]
    entry = documented.get(str(response.status))
    if entry is not None:
        if "Link" in entry.get("headers", {}) and response.header("link") is None:
            raise ConformanceError(f"{where}: no Link header")
        return entry["content"]["application/json"]["schema"], where
    create_404 = response.operation == "agent-tasks/create-task-in-repo" and response.status == 404
    if response.status in UNDOCUMENTED or create_404:
        return _error_schema(), where
    raise ConformanceError(f"{where}: status not documented for {response.operation}")


def check(request: Request, response: Response) -> None:
    """Raise ``ConformanceError`` unless the response is one GitHub's description allows."""
    if request.path.startswith("/_sandbox/"):
        return
    if response.effect in (Effect.RESET, Effect.REFUSED, Effect.DROP):
        return
    schema, where = _schema_for(request, response)
    for name in ("date", *RATE_HEADERS):
        if response.header(name) is None:
            raise ConformanceError(f"{where}: no {name} header")
    content_type = response.header("content-type") or ""
    if not content_type.startswith("application/json"):
        raise ConformanceError(f"{where}: content-type {content_type!r}")
    _validate(schema, json.loads(response.body), where)
