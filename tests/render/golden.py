"""Golden files: compare output with tests/golden/NAME; ``UPDATE_GOLDEN=1`` rewrites them."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_bytes(actual.encode("utf-8"))
        return
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 pytest tests/render"
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, f"{name} differs from the golden file: review, then UPDATE_GOLDEN=1"
