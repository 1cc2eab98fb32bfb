"""The git, contents and workflow-run routes served over loopback, with their control routes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.sandbox.conftest import Served
from tests.sandbox.gitflow import BRANCH, REPO, first_write, head, raw, save

pytestmark = pytest.mark.e2e
Serve = Callable[..., Served]
STATE = "tasks.state.json"


def test_a_compare_and_swap_cycle_and_the_race_over_http(serve: Serve) -> None:
    served = serve("--fault", "PATCH:/repos/*/git/refs/*:race:times=1")
    with served.client() as http:
        root, created = first_write(http, {STATE: "1"})
        assert created.status_code == 201
        assert created.json()["url"] == f"{served.url}{REPO}/git/refs/heads/{BRANCH}"
        _, lost = save(http, root, {STATE: "2"})
        assert lost.status_code == 422
        assert lost.json()["message"] == "Update is not a fast forward"
        theirs = head(http)
        assert theirs is not None
        mine, won = save(http, theirs, {STATE: "2"})
        assert won.status_code == 200
        assert raw(http, STATE, mine).content == b"2"
        http.post("/_sandbox/faults", json={"rule": "POST:/repos/*/git/refs:race:times=1"})
        again = http.post(f"{REPO}/git/refs", json={"ref": "refs/heads/other", "sha": root})
        assert again.json()["message"] == "Reference already exists"
        faults = http.get("/_sandbox/faults").json()["faults"]
        assert [f["fired"] for f in faults] == [1, 1]
    assert served.stop() == 0


def test_control_routes_for_repositories_commits_and_runs(serve: Serve) -> None:
    served = serve()
    with served.client() as http, served.client("ghs_installation") as bot:
        emptied = http.post("/_sandbox/repos", json={"repo": "octo-org/web", "empty": True})
        assert emptied.json() == {"repo": "octo-org/web", "empty": True}
        assert http.get(f"{REPO}/git/ref/heads/main").status_code == 409
        http.post("/_sandbox/repos", json={"repo": "octo-org/web"})
        main = head(http, "main")
        assert main is not None
        pushed = http.post(
            "/_sandbox/commits",
            json={"repo": "octo-org/web", "branch": "main", "files": {"README.md": None, "a": "x"}},
        )
        assert pushed.status_code == 201
        assert head(http, "main") == pushed.json()["sha"]
        assert raw(http, "a", "main").content == b"x"
        run = http.post("/_sandbox/runs", json={"repo": "octo-org/web", "status": "in_progress"})
        run_id = run.json()["id"]
        http.post(
            "/_sandbox/runs",
            json={
                "repo": "octo-org/web",
                "id": run_id,
                "status": "completed",
                "conclusion": "failure",
            },
        )
        got = bot.get(f"{REPO}/actions/runs/{run_id}").json()
        assert (got["status"], got["conclusion"]) == ("completed", "failure")
        assert bot.get("/user").status_code == 403
        bad = http.post("/_sandbox/runs", json={"repo": "octo-org/web", "status": "nope"})
        assert bad.status_code == 422
        assert http.post("/_sandbox/repos", json={"repo": "nope"}).status_code == 422


def test_the_git_database_survives_a_restart_with_data(serve: Serve, tmp_path: Path) -> None:
    data = tmp_path / "sandbox.json"
    first = serve("--data", str(data))
    with first.client() as http:
        root, _ = first_write(http, {STATE: "kept"})
        run_id = http.post("/_sandbox/runs", json={"repo": "octo-org/web"}).json()["id"]
    assert first.stop() == 0
    second = serve("--data", str(data))
    with second.client() as http:
        assert head(http) == root
        assert raw(http, STATE, BRANCH).content == b"kept"
        assert http.get(f"{REPO}/actions/runs/{run_id}").status_code == 200
