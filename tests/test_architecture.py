"""House rules that code review would otherwise have to remember (STYLE.md §6)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "reconciler"

# The functional core: values in, values out. No I/O, clock, environment or terminal.
CORE = [
    "errors",
    "models",
    "names",
    "tasksfile",
    "safeyaml",
    "digest",
    "secretscan",
    "specerrors",
    "speccross",
    "api",
    "urls",
    "ratelimit",
    "diagnose",
    "planner",
    "plan",
    "remote",
    "liveview",
    "planfile",
    "statefile",
    "transitions",
    "applyreport",
    "render",
    "render_common",
    "render_blocks",
    "render_text",
    "render_json",
    "render_markdown",
]
FORBIDDEN = {"httpx", "click", "os", "time", "subprocess", "socket", "aiohttp", "shutil"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_every_core_module_exists() -> None:
    assert [m for m in CORE if not (PACKAGE / f"{m}.py").exists()] == []


@pytest.mark.parametrize("module", CORE)
def test_core_modules_do_no_io(module: str) -> None:
    assert _imports(PACKAGE / f"{module}.py") & FORBIDDEN == set()


_PROBE = """
import sys
from reconciler.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted(m for m in ("httpx", "aiohttp", "reconciler.github.client", "pydantic") if m in sys.modules)
sys.stderr.write("HEAVY=" + ",".join(heavy) + "\\n")
"""


@pytest.mark.parametrize(
    ("args", "heavy"),
    [(["--help"], ""), (["validate", "-f", "tasks.yaml.example"], "pydantic")],
)
def test_help_and_validate_never_import_httpx(args: list[str], heavy: str) -> None:
    """--help imports only click; validate needs pydantic, never the HTTP stack."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert f"HEAVY={heavy}\n" in result.stderr


def test_the_api_client_does_not_import_httpx_command_line() -> None:
    """httpx's own CLI (rich, pygments) would cost every networked command 40 ms of start-up."""
    probe = "import sys, reconciler.github.client; print(sorted({'rich', 'pygments'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout == "[]\n"


def test_ruff_bans_unittest_mock(tmp_path: Path) -> None:
    sample = ROOT / "tests" / "_banned_sample.py"
    sample.write_text("from unittest import mock\n\nmock.patch('x')\n")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--no-cache", str(sample)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        sample.unlink()
    assert result.returncode == 1
    assert "TID251" in result.stdout
    assert "use the sandbox" in result.stdout
