"""A pydantic plugin installed beside agenttasks is handed every value pydantic validates (prompts,
the state); the ``agenttasks`` command loads none (docs/security.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = """
import os
import pathlib


class _Spy:
    def new_schema_validator(self, *args, **kwargs):
        pathlib.Path(os.environ["SPY_MARKER"]).write_text("loaded")
        return None, None, None


plugin = _Spy()
"""
TASKS = "version: 1\ntasks:\n  fix-login:\n    repo: octo-org/web\n    prompt: Fix the login.\n"


def _installed_spy(tmp_path: Path) -> dict[str, str]:
    """An environment whose Python finds a distribution that declares a pydantic plugin."""
    site = tmp_path / "site"
    info = site / "spy_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (site / "spy_plugin.py").write_text(PLUGIN)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: spy-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\nspy = spy_plugin:plugin\n")
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    env["SPY_MARKER"] = str(tmp_path / "marker")
    return env


@pytest.mark.parametrize("switch", [None, ""], ids=["unset", "empty"])
def test_the_command_loads_no_pydantic_plugin(tmp_path: Path, switch: str | None) -> None:
    env = _installed_spy(tmp_path)
    (tmp_path / "tasks.yaml").write_text(TASKS)
    marker = tmp_path / "marker"
    # The same environment, without agenttasks' switch: pydantic loads the plugin.
    subprocess.run(
        [sys.executable, "-c", "import pydantic; pydantic.TypeAdapter(int).validate_python(1)"],
        env=env,
        check=True,
        timeout=60,
    )
    assert marker.read_text() == "loaded"
    marker.unlink()
    if switch is not None:  # as a CI template that expanded to nothing leaves it
        env["PYDANTIC_DISABLE_PLUGINS"] = switch
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", "tasks.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
