"""``agenttasks sandbox serve`` in a subprocess, over real loopback HTTP."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.sandbox.conftest import Served, agenttasks

pytestmark = pytest.mark.e2e
REPO_TASKS = "/agents/repos/octo-org/web/tasks"
Serve = Callable[..., Served]


def test_serves_the_api_with_links_to_itself(serve: Serve) -> None:
    served = serve("--seed", "3", "--token", "secret", "--user-id", "8")
    with served.client("secret") as http, served.client("wrong") as wrong:
        created = http.post(REPO_TASKS, json={"prompt": "p"})
        assert created.status_code == 201
        assert created.json()["url"].startswith(f"{served.url}/agents/repos/octo-org/web/tasks/")
        assert created.json()["creator"] == {"id": 8}
        listed = http.get(REPO_TASKS, params={"per_page": 1})
        assert listed.links["first"]["url"] == f"{served.url}{REPO_TASKS}?page=1&per_page=1"
        assert wrong.get("/user").status_code == 401
    assert served.stop() == 0


def test_control_route_changes_what_the_api_says(serve: Serve) -> None:
    served = serve()
    with served.client() as http:
        theirs = http.post(
            "/_sandbox/tasks", json={"repo": "octo-org/web", "prompt": "x", "creator_id": 5}
        ).json()["id"]
        assert http.get(REPO_TASKS, params={"creator_id": 5}).json()["tasks"][0]["id"] == theirs
        http.post(f"/_sandbox/tasks/{theirs}/state", json={"state": "cancelled"})
        assert http.get(f"/agents/tasks/{theirs}").json()["state"] == "cancelled"
        http.post(f"/_sandbox/tasks/{theirs}/archive")
        assert http.get(REPO_TASKS).json()["total_archived_count"] == 1
        http.post(f"/_sandbox/tasks/{theirs}/unarchive")
        http.delete(f"/_sandbox/tasks/{theirs}")
        assert http.get(f"/agents/tasks/{theirs}").status_code == 404
        http.post("/_sandbox/tokens", json={"token": "t2", "user_id": 77})
        assert http.get("/user", headers={"Authorization": "Bearer t2"}).json()["id"] == 77
        recorded = http.get("/_sandbox/requests").json()["requests"]
        assert [r["method"] + " " + r["path"] for r in recorded][:2] == [
            "GET /agents/repos/octo-org/web/tasks",
            f"GET /agents/tasks/{theirs}",
        ]
        assert http.delete("/_sandbox/requests").json() == {"requests": []}
        assert http.get("/_sandbox/nothing").status_code == 404


def test_control_clock_freezes_and_advances(serve: Serve) -> None:
    served = serve()
    with served.client() as http:
        frozen = http.post("/_sandbox/clock", json={"freeze": True}).json()
        task = http.post(REPO_TASKS, json={"prompt": "p"}).json()
        # The sandbox's times are whole seconds: let the real clock pass into the next one (it
        # runs in another process, so real time must pass), and the frozen one stays where it was.
        time.sleep(1.0 - time.time() % 1.0 + 0.05)
        assert http.get("/_sandbox/clock").json()["now"] == frozen["now"]
        assert http.get(f"/agents/tasks/{task['id']}").json()["updated_at"] == frozen["now"]
        http.post("/_sandbox/clock", json={"advance": 61})
        assert http.get(f"/agents/tasks/{task['id']}").json()["state"] == "completed"
        assert http.post("/_sandbox/clock", json={"freeze": False}).json()["frozen"] is False


def test_faults_over_http(serve: Serve) -> None:
    served = serve("--fault", "POST:/agents/repos/*/tasks:commit_then_drop:times=1")
    with served.client() as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post(REPO_TASKS, json={"prompt": "dropped"})
        assert len(http.get("/_sandbox/tasks").json()["tasks"]) == 1
        http.post("/_sandbox/faults", json={"rule": "POST:*:reset:times=1"})
        with pytest.raises(httpx.ReadError):
            http.post(REPO_TASKS, json={"prompt": "reset"})
        assert len(http.get("/_sandbox/tasks").json()["tasks"]) == 1
        http.post("/_sandbox/faults", json={"rule": "POST:*:commit_then_hold:seconds=2,times=1"})
        with pytest.raises(httpx.ReadTimeout):
            http.post(REPO_TASKS, json={"prompt": "held"}, timeout=httpx.Timeout(5, read=0.5))
        assert len(http.get("/_sandbox/tasks").json()["tasks"]) == 2
        faults = http.delete("/_sandbox/faults").json()
        assert faults == {"faults": []}
    assert served.stop() == 0
    assert served.stderr == ""  # dropped and reset connections leave no tracebacks behind


def test_latency_does_not_block_other_requests(serve: Serve) -> None:
    served = serve("--fault", "GET:/agents/tasks:latency:ms=1500")
    with served.client() as http, ThreadPoolExecutor(2) as pool:
        slow = pool.submit(http.get, "/agents/tasks")
        time.sleep(0.2)
        started = time.monotonic()
        assert http.get("/user").status_code == 200
        assert time.monotonic() - started < 1.0
        assert slow.result().status_code == 200


def test_data_file_persists_across_restarts(serve: Serve, tmp_path: Path) -> None:
    first = serve("--data", "sb.json", cwd=tmp_path)
    with first.client() as http:
        task_id = http.post(REPO_TASKS, json={"prompt": "keep me"}).json()["id"]
    assert first.stop(signal.SIGINT) == 0
    assert [t["id"] for t in json.loads((tmp_path / "sb.json").read_text())["tasks"]] == [task_id]
    second = serve("--data", str(tmp_path / "sb.json"))
    with second.client() as http:
        assert http.get(f"/agents/tasks/{task_id}").json()["sessions"][0]["prompt"] == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sb.json"]


def run_cli(*options: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [*agenttasks(), "sandbox", "serve", *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False, cwd=cwd)


def test_a_bad_fault_rule_is_refused_before_serving() -> None:
    result = run_cli("--port", "0", "--fault", "POST:/x:explode")
    assert (result.returncode, result.stdout) == (1, "")
    assert "--fault 'POST:/x:explode': unknown fault kind 'explode'" in result.stderr


def test_a_taken_port_and_a_foreign_data_file_are_clear_errors(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("--port", str(port))
    assert (result.returncode, result.stdout) == (1, "")
    assert f"Error: cannot listen on 127.0.0.1:{port}" in result.stderr
    (tmp_path / "tasks.yaml").write_text("version: 1\n")
    result = run_cli("--port", "0", "--data", "tasks.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "Error: --data: tasks.yaml is not a sandbox data file" in result.stderr


def test_repos_and_latency_options(serve: Serve) -> None:
    served = serve("--repos", "octo-org/web,octo-org/api", "--latency-ms", "300")
    with served.client() as http:
        started = time.monotonic()
        assert http.get(REPO_TASKS).status_code == 200
        assert time.monotonic() - started >= 0.3
        assert http.get("/agents/repos/octo-org/other/tasks").status_code == 404


def test_sigterm_stops_promptly_even_with_a_response_held(serve: Serve) -> None:
    served = serve("--fault", "POST:*:commit_then_hold:seconds=60")
    with served.client() as http, ThreadPoolExecutor(1) as pool:
        held = pool.submit(http.post, REPO_TASKS, json={"prompt": "p"})
        time.sleep(0.5)
        started = time.monotonic()
        assert served.stop() == 0
        assert time.monotonic() - started < 8
        with pytest.raises(httpx.TransportError):
            held.result()
