"""Schemathesis fuzzes the served sandbox with GitHub's OpenAPI description and its checks."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.sandbox.conftest import Served

pytestmark = pytest.mark.e2e
HERE = Path(__file__).parent
SPEC = HERE.parent / "data" / "agent-tasks.openapi.json"


def test_schemathesis_finds_nothing(serve: Callable[..., Served], tmp_path: Path) -> None:
    served = serve("--seed", "1")
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        str(SPEC),
        "--url",
        served.url,
        "-H",
        "Authorization: Bearer x",
        # Schema-valid data may still be refused (a blank prompt is a 422, as on GitHub);
        # every other default check stays on.
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        "40",
        "--seed",
        "20261124",
        "--no-color",
    ]
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "passed" in result.stdout
