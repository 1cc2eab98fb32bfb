"""``github:`` state the way CI uses it: real ``agenttasks`` processes against the served sandbox
(two jobs at once, a lock broken mid-apply, each token only where it belongs)."""

from __future__ import annotations

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.client.served import ServedSandbox

pytestmark = pytest.mark.e2e

REPO, BRANCH, PATH = "octo/state", "agenttasks-state", "tasks.state.json"
STATE = f"github:{REPO}@{BRANCH}:{PATH}"
AGENT_TOKEN = "github_pat_agentTasksTokenNeverOnTheBranch00"
ACTIONS_TOKEN = "ghs_actionsTokenNeverSentToAgents000000000"


class Proxy(http.server.ThreadingHTTPServer):
    """A loopback proxy in front of the served sandbox that notes who is sent where."""

    def __init__(self, upstream: str) -> None:
        self.upstream, self.seen = upstream, list[tuple[str, str, str]]()
        super().__init__(("127.0.0.1", 0), _Forward)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Forward(http.server.BaseHTTPRequestHandler):
    server: Proxy

    def _forward(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
        auth = self.headers.get("authorization", "")
        self.server.seen.append((self.command, self.path.split("?")[0], auth))
        answer = httpx.request(
            self.command, self.server.upstream + self.path, headers=headers, content=body
        )
        self.send_response(answer.status_code)
        for key, value in answer.headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        self.send_header("content-length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = do_PATCH = do_DELETE = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served() -> Iterator[ServedSandbox]:
    with ServedSandbox("--latency-ms", "15", "--speed", "1000") as sandbox:
        yield sandbox


def declare(root: Path, count: int, repo: str = "octo/web") -> Path:
    lines = ["version: 1", "settings:", f"  max_creates: {count}", "tasks:"]
    for n in range(count):
        lines += [f"  t{n:02d}:", f"    repo: {repo}", f"    prompt: Task number {n}."]
    path = root / "tasks.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def agenttasks(url: str, root: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "AGENTTASKS_TOKEN": AGENT_TOKEN, "GITHUB_TOKEN": ACTIONS_TOKEN}
    env.update({"AGENTTASKS_API_URL": url})
    for name in ("GH_TOKEN", "AGENTTASKS_FAILPOINT", "GITHUB_REPOSITORY"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def branch_file(served: ServedSandbox, path: str) -> bytes | None:
    answer = served.control.get(
        f"/repos/{REPO}/contents/{path}",
        params={"ref": BRANCH},
        headers={"Authorization": f"Bearer {ACTIONS_TOKEN}"},
    )
    if answer.status_code == 404:
        return None
    answer.raise_for_status()
    return base64.b64decode(answer.json()["content"])


def tasks_in(served: ServedSandbox, repo: str) -> list[str]:
    listed = served.control.get("/_sandbox/tasks").json()["tasks"]
    return sorted(t["name"] for t in listed if t["repo"] == repo)  # the name is the prompt here


def assert_each_task_once(served: ServedSandbox, count: int) -> None:
    prompts = tasks_in(served, "octo/web")
    assert prompts == sorted(f"Task number {n}." for n in range(count))
    state = json.loads(branch_file(served, PATH) or b"{}")
    assert sorted(state["tasks"]) == [f"t{n:02d}" for n in range(count)]
    assert len({r["task_id"] for r in state["tasks"].values()}) == count


def test_two_applies_at_once_create_each_task_once(served: ServedSandbox, tmp_path: Path) -> None:
    declare(tmp_path, 30)
    args = ("apply", "--yes", "--min-interval", "0", "--state", STATE, "--lock-timeout", "120")
    jobs = [agenttasks(served.url, tmp_path, *args) for _ in range(2)]
    done = [job.communicate(timeout=180) for job in jobs]
    assert [job.returncode for job in jobs] == [0, 0], done
    waited = [err for _, err in done if "Waiting up to 120s for the lock" in err]
    assert len(waited) == 1  # the loser said why it waited, naming the holder
    assert "lock id" in waited[0]
    assert_each_task_once(served, 30)
    assert branch_file(served, f"{PATH}.lock.json") is None


def test_a_second_apply_without_a_timeout_exits_5_naming_the_holder(
    served: ServedSandbox, tmp_path: Path
) -> None:
    declare(tmp_path, 10)
    slow = ("apply", "--yes", "--min-interval", "0.3", "--state", STATE)  # holds the lock ~3 s
    first = agenttasks(served.url, tmp_path, *slow)
    deadline = time.monotonic() + 30
    while branch_file(served, f"{PATH}.lock.json") is None:
        assert time.monotonic() < deadline
        assert first.poll() is None
        time.sleep(0.05)
    second = agenttasks(served.url, tmp_path, "apply", "--yes", "--state", STATE)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 5, err
    holder = json.loads(branch_file(served, f"{PATH}.lock.json") or b"{}")
    assert f"lock id {holder['lock_id']}" in err
    assert "Traceback" not in err
    first.communicate(timeout=120)
    assert first.returncode == 0
    assert_each_task_once(served, 10)


def test_a_lock_broken_mid_apply_fences_its_writer(served: ServedSandbox, tmp_path: Path) -> None:
    declare(tmp_path, 20)
    apply = ("apply", "--yes", "--min-interval", "0.2", "--state", STATE)
    job = agenttasks(served.url, tmp_path, *apply)
    deadline = time.monotonic() + 60
    while len(tasks_in(served, "octo/web")) < 5:
        assert time.monotonic() < deadline
        assert job.poll() is None, job.communicate()
        time.sleep(0.05)
    holder = json.loads(branch_file(served, f"{PATH}.lock.json") or b"{}")
    unlock = agenttasks(served.url, tmp_path, "force-unlock", "--state", STATE, holder["lock_id"])
    said, _ = unlock.communicate(timeout=60)
    assert unlock.returncode == 0
    assert "its next write will fail" in said
    _, err = job.communicate(timeout=120)
    assert job.returncode == 5, err
    assert "broken or taken over" in err
    created = len(tasks_in(served, "octo/web"))
    assert created < 20  # it stopped at its next save
    again = agenttasks(
        served.url, tmp_path, "apply", "--yes", "--min-interval", "0", "--state", STATE
    )
    out, err = again.communicate(timeout=180)
    assert again.returncode == 0, out + err
    assert_each_task_once(served, 20)


def test_each_token_goes_only_to_its_own_endpoints(served: ServedSandbox, tmp_path: Path) -> None:
    declare(tmp_path, 3)
    proxy = Proxy(served.url)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        job = agenttasks(
            proxy.url, tmp_path, "apply", "--yes", "--min-interval", "0", "--state", STATE
        )
        out, err = job.communicate(timeout=120)
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert job.returncode == 0, out + err
    for method, path, auth in proxy.seen:
        wanted = AGENT_TOKEN if path.startswith(("/agents/", "/user")) else ACTIONS_TOKEN
        assert auth == f"Bearer {wanted}", (method, path)
    assert {p.split("/")[1] for _, p, _ in proxy.seen} >= {"agents", "repos"}
    head = served.control.get(
        f"/repos/{REPO}/git/ref/heads/{BRANCH}",
        headers={"Authorization": f"Bearer {ACTIONS_TOKEN}"},
    ).json()["object"]["sha"]
    commit = served.control.get(
        f"/repos/{REPO}/git/commits/{head}", headers={"Authorization": f"Bearer {ACTIONS_TOKEN}"}
    ).json()
    written = (branch_file(served, PATH) or b"").decode() + commit["message"] + out + err
    assert AGENT_TOKEN not in written
    assert ACTIONS_TOKEN not in written
