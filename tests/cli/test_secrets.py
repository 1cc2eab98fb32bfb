"""The token never reaches stdout, stderr (even with -v), the state, its backup or a saved plan."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghp_" + "RecognisableSecretValue0123456789"


def test_token_never_leaves_memory(tmp_path: Path) -> None:
    shutil.copy(ROOT / "tasks.yaml.example", tmp_path / "tasks.yaml")
    shutil.copytree(ROOT / "prompts", tmp_path / "prompts")
    env = {**os.environ, "AGENTTASKS_TOKEN": TOKEN, "CI": "true"}
    captured = []
    for args in (
        ["plan", "--out", "plan.json"],
        ["apply", "--yes", "--min-interval", "0"],
        ["apply", "--yes"],
        ["status", "--format", "json"],
        ["plan", "--format", "markdown"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "-v", "--api-url", "sandbox:sb.json", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        captured += [done.stdout, done.stderr]
    assert any("GET" in text for text in captured)  # -v did log requests
    files = [p for p in tmp_path.iterdir() if p.is_file()]
    assert {"plan.json", "agenttasks.state.json", "agenttasks.state.json.backup"} <= {
        p.name for p in files
    }
    for text in captured + [p.read_text(errors="replace") for p in files]:
        assert TOKEN not in text
        assert TOKEN[4:20] not in text
