"""A tasks-file project in tmp_path, and the real CLI run on it (tox's ``tox_project``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.cli.main import main
from reconciler.spec import safeyaml


@dataclass(frozen=True)
class Outcome:
    """What a user sees: exit code, stdout and stderr."""

    code: int
    out: str
    err: str

    def problems(self) -> list[str]:
        """The error lines, one per problem."""
        return self.err.splitlines()


@dataclass
class Project:
    """Files in a temporary directory, and the CLI run from there."""

    root: Path
    capsys: pytest.CaptureFixture[str]

    def write(self, files: dict[str, str | bytes]) -> Project:
        for name, content in files.items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return self

    def run(self, *args: str) -> Outcome:
        """Run ``agenttasks ARGS`` in-process, through the same entry point as the console."""
        self.capsys.readouterr()
        cwd = os.getcwd()
        os.chdir(self.root)
        try:
            with pytest.raises(SystemExit) as stop:
                main(list(args))
        finally:
            os.chdir(cwd)
        captured = self.capsys.readouterr()
        code = stop.value.code
        assert isinstance(code, int)
        assert "Traceback" not in captured.err
        return Outcome(code, captured.out, captured.err)

    def validate(self, yaml: str, **more: str | bytes) -> Outcome:
        """Write tasks.yaml (and more files) and run ``validate``."""
        self.write({"tasks.yaml": yaml, **more})
        return self.run("validate")


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(tmp_path, capsys)


def run_subprocess(
    args: list[str], cwd: Path, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI as a user would, in a real process."""
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


RunSubprocess = Callable[[list[str], Path], subprocess.CompletedProcess[str]]


@pytest.fixture(params=["libyaml", "pure"])
def parse_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test on each YAML parse path: libyaml's events, and the pure-Python fallback (in
    this process, and through AGENTTASKS_YAML in any the test starts)."""
    path = str(request.param)
    if path == "libyaml" and not safeyaml.HAVE_LIBYAML:
        pytest.skip("PyYAML without libyaml")
    monkeypatch.setattr(safeyaml, "use_libyaml", path == "libyaml")
    if path == "pure":
        monkeypatch.setenv("AGENTTASKS_YAML", "pure")
    else:
        monkeypatch.delenv("AGENTTASKS_YAML", raising=False)
    return path
