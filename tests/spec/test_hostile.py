"""Hostile YAML and names: refused with file:line:col, fast, small, never a crash or traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.errors import SpecError
from reconciler.spec.load import load
from tests.spec.conftest import Project

# Each test runs on both YAML parse paths: libyaml, and the pure-Python fallback.
pytestmark = pytest.mark.usefixtures("parse_path")

# The contract: refused within 1 s. In-process loading takes milliseconds; the margin absorbs a
# loaded CI machine.
DEADLINE_S = 1.0
# The contract: under 100 MB. The interpreter with our imports is about 60 MB of it.
MEMORY_LIMIT_KB = 100 * 1024

# Nine levels of nine aliases: walking it visits 9**9 = 387,420,489 nodes.
BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)

HOSTILE: dict[str, tuple[bytes, str]] = {
    "python tag": (
        b"version: 1\ntasks: !!python/object/apply:os.system ['true']\n",
        "tasks.yaml:2:8: explicit YAML tags are not allowed",
    ),
    "any other explicit tag": (
        b"version: !!int 1\n",
        "tasks.yaml:1:10: explicit YAML tags are not allowed",
    ),
    "local tag": (
        b"version: 1\ntasks: !mine {}\n",
        "tasks.yaml:2:8: explicit YAML tags are not allowed",
    ),
    "multi-document stream": (
        b"version: 1\ntasks: {}\n---\nversion: 1\n",
        "tasks.yaml:3:1: only one YAML document is allowed in a tasks file",
    ),
    "YAML 1.1 directive": (
        b"%YAML 1.1\n---\nversion: 1\ntasks: {}\n",
        "tasks.yaml:1:1: YAML directives (%YAML, %TAG) are not allowed",
    ),
    "anchor": (
        b"version: &v 1\ntasks: {}\n",
        "tasks.yaml:1:10: YAML anchors and aliases are not allowed",
    ),
    "billion laughs": (
        BILLION_LAUGHS.encode(),
        "tasks.yaml:1:4: YAML anchors and aliases are not allowed",
    ),
    "deep flow sequences": (
        b"[" * 30_000 + b"]" * 30_000,
        "tasks.yaml:1:33: nesting deeper than 32 levels is not allowed",
    ),
    "deep flow mappings": (
        b"{a: " * 30_000 + b"1" + b"}" * 30_000,
        "tasks.yaml:1:129: nesting deeper than 32 levels is not allowed",
    ),
    "over the size cap": (
        b"version: 1\n" + b"#" * (2 * 1024 * 1024),
        "tasks.yaml: file is larger than the 2 MiB limit",
    ),
    "invalid UTF-8": (b"version: 1\ntasks: \xc3\x28\n", "tasks.yaml:2:8: file is not valid UTF-8"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_yaml_refused_in_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    data, expected = HOSTILE[case]
    (tmp_path / "tasks.yaml").write_bytes(data)
    monkeypatch.chdir(tmp_path)
    started = time.perf_counter()
    with pytest.raises(SpecError) as error:
        load([Path("tasks.yaml")])
    elapsed = time.perf_counter() - started
    assert str(error.value) == expected
    assert elapsed < DEADLINE_S


# Linux carries a parent's peak RSS into a forked child, across exec: spawned straight from a
# long pytest run, the CLI would be charged pytest's memory. A small launcher spawns it instead
# and reports its children's peak alone.
_LAUNCHER = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps([done.returncode, done.stdout, done.stderr, peak]))
"""


def _run_measured(args: list[str], cwd: Path) -> tuple[int, str, str, int]:
    """Run the CLI in a real process; return code, stdout, stderr and its peak RSS in KB."""
    launched = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    code, out, err, peak = json.loads(launched.stdout)
    return int(code), str(out), str(err), int(peak)


@pytest.mark.e2e
@pytest.mark.parametrize("case", ["billion laughs", "deep flow sequences", "over the size cap"])
def test_hostile_yaml_in_a_real_process(tmp_path: Path, case: str) -> None:
    data, expected = HOSTILE[case]
    (tmp_path / "tasks.yaml").write_bytes(data)
    code, out, err, peak_kb = _run_measured(["validate"], tmp_path)
    # A negative code would be a signal (a segfault); 1 is a clean refusal.
    assert (code, out, err) == (1, "", expected + "\n")
    assert peak_kb < MEMORY_LIMIT_KB


BAD_REPOS = [
    "..",
    "o/..",
    "o/.",
    "o/%2e%2e",
    "a/b/c",
    "o/x?y",
    "o/x#y",
    "o/x y",
    "o/x\ty",
    "o/caf\u00e9",
    "o/" + "x" * 101,
    "o/web.git",
    "o/WEB.GIT",
    "-o/r",
    "/r",
    "o/",
]


@pytest.mark.parametrize("repo", BAD_REPOS)
def test_bad_repository_names_rejected_at_load(project: Project, repo: str) -> None:
    yaml = f'version: 1\ntasks:\n  a:\n    repo: "{repo}"\n    prompt: x\n'
    outcome = project.validate(yaml.replace("\t", "\\t"))
    assert outcome.code == 1
    [line] = outcome.problems()
    assert line.startswith("tasks.yaml:4:11: tasks.a.repo: repository ")


def test_good_repository_names(project: Project) -> None:
    repos = ["octo-org/web", "o/r", "O-1/a.b_c-d", "o/" + "x" * 100, "o/.github", "o/gitx"]
    tasks = "".join(f"  t{i}:\n    repo: {r}\n    prompt: p{i}\n" for i, r in enumerate(repos))
    outcome = project.validate("version: 1\ntasks:\n" + tasks)
    assert (outcome.code, outcome.err) == (0, "")


def test_validation_errors_never_echo_the_value(project: Project) -> None:
    value = "hunter2-this-is-a-long-value"
    yaml = "version: 1\ntasks:\n  a:\n    repo: o/r\n    prompt: x\n"
    yaml += f"    create_pull_request: {value}\n"
    yaml += f"    base_ref: [{value}]\n    model: {{k: {value}}}\n"
    outcome = project.validate(yaml)
    assert outcome.code == 1
    assert len(outcome.problems()) == 3
    assert value not in outcome.err


SECRETS = {
    "classic PAT": "ghp_" + "a1B2" * 9,
    "OAuth token": "gho_" + "Z9y8" * 9,
    "user-to-server": "ghu_" + "0000" * 9,
    "installation": "ghs_" + "abcd" * 9,
    "refresh": "ghr_" + "QwEr" * 9,
    "fine-grained PAT": "github_pat_" + "11ABCDEFG0" * 6,
    "private key": "-----BEGIN OPENSSH PRIVATE KEY-----",
    "RSA private key": "-----BEGIN RSA PRIVATE KEY-----",
    "AWS key id": "AKIA" + "IOSFODNN7EXAMPLE",
}


@pytest.mark.parametrize("kind", SECRETS)
def test_secret_shaped_prompt(project: Project, kind: str) -> None:
    secret = SECRETS[kind]
    yaml = (
        f"version: 1\ntasks:\n  a:\n    repo: o/r\n    prompt: |\n      use\n        {secret} ok\n"
    )
    outcome = project.validate(yaml)
    assert outcome.code == 1
    [line] = outcome.problems()
    assert line.startswith("tasks.yaml:7:9: tasks.a.prompt: prompt contains what looks like ")
    assert f"('{secret[:4]}…')" in line
    assert secret[:5] not in line


def test_secret_in_a_prompt_file_points_into_that_file(project: Project) -> None:
    secret = SECRETS["classic PAT"]
    outcome = project.validate(
        "version: 1\ntasks:\n  a:\n    repo: o/r\n    prompt_file: p/a.md\n",
        **{"p/a.md": f"line one\nsee {secret}\n"},
    )
    assert outcome.problems() == [
        "p/a.md:2:5: prompt contains what looks like a GitHub token ('ghp_…'); remove it:"
        " prompts are sent to the agent and stored by GitHub"
    ]
