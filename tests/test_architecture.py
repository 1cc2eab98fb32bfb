"""House rules that code review would otherwise have to remember (STYLE.md §6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.architecture import IMPURE_IMPORTS, Contract, violations

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "reconciler"

# The contract, written once. docs/architecture.md draws it; this is what the build enforces.
CONTRACT = Contract(
    package="reconciler",
    layers=(
        ("__main__",),
        ("cli",),
        ("commands",),
        ("render",),
        ("apply",),
        ("plan",),
        ("spec", "state", "github", "sandbox"),
        ("models", "defaults", "failpoints", "wallclock"),
        ("errors", "__init__"),
    ),
    # Everything else is pure. Each entry is here because it reads or writes the world.
    shell=(
        "__init__",  # keeps httpx's own CLI from loading (sys.modules): bench/startup.py
        "__main__",
        "wallclock",  # the wall clock, read in one place
        "failpoints",  # test-only crash points read from the environment
        "spec.load",  # reads tasks files and prompt files
        "github.auth",  # runs `gh auth token`
        "github.exchange",  # the one httpx exchange
        "github.tls",  # the clients' TLS context, made on a thread (httpx's default)
        "github.session",  # retries, waits, the fan-out's threads
        "github.client",  # the agent tasks endpoints over a session
        "github.repos",  # the repository endpoints over a session
        "github.comments",  # the pull-request comment endpoints over a session
        "state.lock",  # fcntl lock and its holder record
        "state.branch",  # a github: state: commits through the repository client; a lease
        "state.lease",  # a remote lock's record: a random lock id, this host and pid
        "state.branchlock",  # a branch lease names the backend that holds it (state.branch)
        "state.local",  # the local file: atomic fsynced saves, its backup
        "state.store",  # mints a random lineage on the first save
        "state.s3",  # an s3:// state through its store; waits on the clock (time)
        "state.s3store",  # talks to an S3 store over the network (boto3)
        "state.s3lease",  # an s3:// state's lock object: conditional writes through its store
        "state.s3probe",  # writes and deletes a randomly named probe key in the S3 store
        "plan.refresh",  # lists the API
        "apply.run",  # creates tasks; signals
        "apply.recheck",  # lists the API at the end of an apply
        "apply.follow",  # polls the API for --wait
        "render.live",  # draws on the terminal (rich)
        "commands.*",
        "cli.*",
        "sandbox",  # the sandbox's Python API re-exports its adapters
        "sandbox.clock",  # the real clock
        "sandbox.inprocess",  # httpx transport and a lock
        "sandbox.transport",
        "sandbox.url",  # sandbox:PATH, a data file
        "sandbox.persist",
        "sandbox.serve",  # aiohttp on a socket
    ),
    standalone="sandbox",
    # Only these open a sandbox: choosing the transport for sandbox:PATH, and `sandbox serve`.
    standalone_importers=("commands.context", "cli.sandbox"),
)


def test_the_package_keeps_its_contract() -> None:
    assert violations(PACKAGE, CONTRACT) == []


def test_the_drawing_in_the_docs_is_the_contract() -> None:
    """docs/architecture.md draws the layers; the drawing and the checked contract are one."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    drawn = text.split("<!-- layers:")[1].split("```")[1].strip()
    steps = [set(step.split(" | ")) for step in drawn.split(" → ")]
    hidden = {"__main__", "__init__"}  # the entry point and the package root, not drawn
    layers = [set(layer) - hidden for layer in CONTRACT.layers]
    assert steps == [layer for layer in layers if layer]


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in {**LEGAL, **files}.items():
        path = root / "reconciler" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "reconciler"


# A small legal package in the contract's shape: every rule holds for it.
LEGAL = {
    "__init__.py": "",
    "errors.py": "class AgentTasksError(Exception): ...\n",
    "models.py": "from reconciler.errors import AgentTasksError\n",
    "plan/__init__.py": "",
    "plan/model.py": "from reconciler import models\n",
    "plan/refresh.py": "import threading\nfrom reconciler.plan import model\n",
    "commands/__init__.py": "",
    "commands/context.py": "import os\nfrom reconciler.sandbox import wire\n",
    "sandbox/__init__.py": "",
    "sandbox/wire.py": "from reconciler.sandbox import other\n",
    "sandbox/other.py": "",
}
SMALL = Contract(
    package="reconciler",
    layers=(("commands",), ("plan",), ("sandbox", "spec"), ("models",), ("errors", "__init__")),
    shell=("plan.refresh", "commands.*"),
    standalone="sandbox",
    standalone_importers=("commands.context",),
)


def test_the_small_package_is_legal(tmp_path: Path) -> None:
    assert violations(_package(tmp_path, {}), SMALL) == []


@pytest.mark.parametrize(
    "module",
    sorted(
        IMPURE_IMPORTS
        & {"os", "time", "httpx", "click", "subprocess", "socket", "threading", "random"}
    ),
)
def test_a_core_module_importing_io_is_refused(tmp_path: Path, module: str) -> None:
    root = _package(tmp_path, {"plan/model.py": f"from {module} import x\n"})
    assert violations(root, SMALL) == [f"reconciler.plan.model: pure, but imports {module}"]


def test_a_function_local_import_and_a_clock_read_are_seen(tmp_path: Path) -> None:
    text = "from datetime import datetime\n\ndef f():\n    import time\n    return datetime.now()\n"
    root = _package(tmp_path, {"plan/model.py": text})
    assert violations(root, SMALL) == [
        "reconciler.plan.model: pure, but imports time",
        "reconciler.plan.model: pure, but calls now()",
    ]


def test_a_new_module_is_pure_until_declared_shell(tmp_path: Path) -> None:
    root = _package(tmp_path, {"plan/fresh.py": "import os\n"})
    assert violations(root, SMALL) == ["reconciler.plan.fresh: pure, but imports os"]


def test_a_pure_module_leaning_on_a_shell_module_is_refused(tmp_path: Path) -> None:
    root = _package(tmp_path, {"plan/model.py": "from reconciler.plan.refresh import go\n"})
    assert violations(root, SMALL) == [
        "reconciler.plan.model: pure, but imports shell reconciler.plan.refresh",
        "reconciler.plan.model: pure, but imports shell reconciler.plan.refresh.go",
    ]


def test_a_lower_package_importing_a_higher_one_is_refused(tmp_path: Path) -> None:
    root = _package(tmp_path, {"models.py": "from reconciler.plan import model\n"})
    assert violations(root, SMALL) == [
        "reconciler.models: imports reconciler.plan, a higher layer",
        "reconciler.models: imports reconciler.plan.model, a higher layer",
    ]


def test_siblings_of_one_layer_are_independent(tmp_path: Path) -> None:
    root = _package(
        tmp_path, {"spec/__init__.py": "", "spec/load.py": "import reconciler.sandbox.other\n"}
    )
    found = violations(root, SMALL)
    assert "reconciler.spec.load: imports reconciler.sandbox.other, an independent sibling" in found


def test_the_sandbox_importing_client_code_is_refused(tmp_path: Path) -> None:
    root = _package(
        tmp_path, {"sandbox/other.py": "from reconciler.errors import AgentTasksError\n"}
    )
    assert violations(root, SMALL) == [
        "reconciler.sandbox.other: the sandbox imports reconciler.errors",
        "reconciler.sandbox.other: the sandbox imports reconciler.errors.AgentTasksError",
    ]


def test_only_the_boundary_imports_the_sandbox(tmp_path: Path) -> None:
    root = _package(tmp_path, {"commands/plan.py": "from reconciler.sandbox import wire\n"})
    assert violations(root, SMALL) == [
        "reconciler.commands.plan: imports the sandbox outside its boundary"
    ]


def test_a_module_outside_every_layer_is_refused(tmp_path: Path) -> None:
    root = _package(tmp_path, {"stray.py": ""})
    assert violations(root, SMALL) == ["reconciler.stray: not in any layer of the contract"]


_PROBE = """
import sys
from reconciler.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = ("httpx", "aiohttp", "reconciler.github.client", "pydantic")
heavy = sorted(m for m in heavy if m in sys.modules)
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
    probe = (
        "import sys, reconciler.github.client;"
        " print(sorted({'rich', 'pygments'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout == "[]\n"


def test_ruff_bans_unittest_mock() -> None:
    """The project's ruff configuration refuses mocks; checked on text fed to ruff's stdin, so
    nothing is written into the source tree. Skipped where ruff (the ``dev`` extra) is absent."""
    pytest.importorskip("ruff")
    result = subprocess.run(
        [
            *(sys.executable, "-m", "ruff", "check", "--no-cache"),
            *("--config", str(ROOT / "pyproject.toml")),
            *("--stdin-filename", str(ROOT / "tests" / "sample.py"), "-"),
        ],
        input="from unittest import mock\n\nmock.patch('x')\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "TID251" in result.stdout
    assert "use the sandbox" in result.stdout


def test_every_model_is_built_at_first_use_not_at_import() -> None:
    """Every pydantic model derives from ``models.Model`` (built at first use, not at import),
    and importing what ``plan`` imports builds none of them: a model built at import is start-up
    every command pays (bench/plan.py). ``RootModel[...]`` is pydantic's own specialisation."""
    probe = (
        "import importlib, pkgutil, pydantic, reconciler, reconciler.commands.plan\n"
        "from reconciler.models import Model\n"
        "def every(c):\n"
        "    for s in c.__subclasses__():\n"
        "        yield s\n"
        "        yield from every(s)\n"
        "built = sorted(c.__qualname__ for c in every(Model) if c.__pydantic_complete__)\n"
        "for m in pkgutil.walk_packages(reconciler.__path__, 'reconciler.'):\n"
        "    if m.name != 'reconciler.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "outside = sorted(c.__qualname__ for c in every(pydantic.BaseModel)\n"
        "    if c.__module__.startswith('reconciler') and not issubclass(c, Model)\n"
        "    and c.model_config.get('defer_build') is not True and '[' not in c.__name__)\n"
        "print(built, outside)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout == "[] []\n"
