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

DATA = Path(__file__).parent.parent / "data"
SPEC_PATH = DATA / "agent-tasks.openapi.json"
# GitHub's slice for the CI half: git database, contents, workflow runs, GET /user (SOURCE.md).
CI_SPEC_PATH = DATA / "github-ci.openapi.json"
# Statuses the description leaves out that the sandbox still sends, always as an Error body:
# 410 (a retired API version), 429 and 5xx only come from injected faults; 404 on create is
# GitHub's answer for a repository the token cannot see (docs/sandbox.md).
UNDOCUMENTED = {410, 429, 500, 502, 503, 504}
# The CI slice lists few errors per operation, but GitHub gives these on every route: a body
# that is not JSON (400), authentication (401), rate limits (403), a repository that does not
# exist (404, "on some operations" in SOURCE.md's words).
CI_UNDOCUMENTED = UNDOCUMENTED | {400, 401, 403, 404}
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
def spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    """An OpenAPI document (the agent tasks one by default)."""
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@cache
def operations() -> dict[str, dict[str, Any]]:
    """Every operation of both descriptions by operationId (the CI slice's ``GET /user``)."""
    found: dict[str, dict[str, Any]] = {}
    for path in (SPEC_PATH, CI_SPEC_PATH):
        for item in spec(path)["paths"].values():
            for operation in item.values():
                if isinstance(operation, dict) and "operationId" in operation:
                    found[operation["operationId"]] = copy.deepcopy(operation)
    return found


def _is_ci(operation: str) -> bool:
    return not operation.startswith("agent-tasks/")


def _resolve(entry: Any) -> Any:
    """A ``$ref`` to the CI slice's ``components`` followed (responses are referenced there)."""
    while isinstance(entry, dict) and "$ref" in entry:
        target: Any = spec(CI_SPEC_PATH)
        for key in entry["$ref"].removeprefix("#/").split("/"):
            target = target[key]
        entry = target
    return entry


def _ci_error_schema() -> Any:
    return {"$ref": "#/components/schemas/basic-error"}


def _error_schema() -> Any:
    operation = operations()["agent-tasks/list-tasks-for-repo"]
    return operation["responses"]["422"]["content"]["application/json"]["schema"]


def any_of(schema: Any) -> Any:
    """``oneOf`` read as ``anyOf``, recursively.

    The CI slice offers overlapping alternatives (a 422 is ``validation-error`` or
    ``repository-rule-violation-error``, both open objects needing only a message), so every
    body GitHub sends would match both and fail a strict ``oneOf``.
    """
    if isinstance(schema, list):
        return [any_of(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {("anyOf" if key == "oneOf" else key): any_of(value) for key, value in schema.items()}


@cache
def _ci_components() -> Any:
    return any_of(json_schema(spec(CI_SPEC_PATH)["components"]))


def _validate(schema: Any, document: object, where: str) -> None:
    # The CI slice's schemas refer to its components: carried along, they resolve from the root.
    # (allOf, because Draft 7 ignores a $ref's siblings.)
    root = {"allOf": [any_of(json_schema(schema))], "components": _ci_components()}
    validator = Draft7Validator(root, format_checker=_formats)
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if problems:
        details = "; ".join(f"{list(p.absolute_path)}: {p.message}" for p in problems[:5])
        raise ConformanceError(f"{where}: {details}")


def _media(request: Request, operation: str) -> str:
    accept = request.header("accept") or ""
    if operation == "repos/get-content" and "application/vnd.github.object" in accept:
        return "application/vnd.github.object"
    return "application/json"


def _schema_for(request: Request, response: Response) -> tuple[Any, str]:
    """The schema the body must match; None for a body that is not JSON (raw, 204)."""
    where = f"{request.method} {request.path} → {response.status}"
    operation = response.operation
    if operation is None:
        if response.status in (404, 405):
            return _error_schema(), where
        raise ConformanceError(f"{where}: no operation answers this")
    documented = operations()[operation]["responses"]
    entry = _resolve(documented.get(str(response.status)))
    if entry is not None:
        if "Link" in entry.get("headers", {}) and response.header("link") is None:
            raise ConformanceError(f"{where}: no Link header")
        if "content" not in entry:  # 204, or an error the description gives no body for
            return (None if response.status == 204 else _ci_error_schema()), where
        return entry["content"][_media(request, operation)]["schema"], where
    if _is_ci(operation) and response.status in CI_UNDOCUMENTED:
        return _ci_error_schema(), where
    create_404 = operation == "agent-tasks/create-task-in-repo" and response.status == 404
    if response.status in UNDOCUMENTED or create_404:
        return _error_schema(), where
    raise ConformanceError(f"{where}: status not documented for {operation}")


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
    if schema is None:  # 204: nothing at all
        if response.body or content_type:
            raise ConformanceError(f"{where}: a {response.status} with a body")
        return
    raw = response.operation == "repos/get-content" and response.status == 200
    if raw and content_type.startswith("application/vnd.github.raw"):
        return  # the file's own bytes
    if not content_type.startswith("application/json"):
        raise ConformanceError(f"{where}: content-type {content_type!r}")
    _validate(schema, json.loads(response.body), where)
