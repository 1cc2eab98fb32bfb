"""Workflow runs, ``GET /user`` for both kinds of token, and the data file keeping git state."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox import Sandbox, open_sandbox_url
from tests.sandbox.conftest import BASE, client_for
from tests.sandbox.gitflow import BRANCH, REPO, first_write, head, raw, save

STATE = "tasks.state.json"


def test_a_run_set_by_the_test_is_reported(sandbox: Sandbox, client: httpx.Client) -> None:
    run_id = sandbox.set_run(
        "octo-org/web", path=".github/workflows/tasks-apply.yml", run_attempt=2
    )
    answer = client.get(f"{REPO}/actions/runs/{run_id}")
    assert answer.status_code == 200
    run = answer.json()
    assert (run["id"], run["status"], run["conclusion"], run["run_attempt"]) == (
        run_id,
        "queued",
        None,
        2,
    )
    assert run["path"] == ".github/workflows/tasks-apply.yml"
    assert run["head_sha"] == sandbox.ref("octo-org/web", "heads/main")
    assert run["html_url"] == f"https://github.com/octo-org/web/actions/runs/{run_id}"
    sandbox.set_run("octo-org/web", run_id, status="completed", conclusion="success")
    done = client.get(f"{REPO}/actions/runs/{run_id}").json()
    assert (done["status"], done["conclusion"], done["run_attempt"]) == ("completed", "success", 2)


def test_runs_are_per_repository_and_ids_are_chosen_or_counted(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    first = sandbox.set_run("octo-org/web")
    second = sandbox.set_run("octo-org/api", status="in_progress")
    chosen = sandbox.set_run("octo-org/web", 42, head_sha="a" * 40)
    assert second == first + 1
    assert chosen == 42
    assert client.get(f"{REPO}/actions/runs/{second}").status_code == 404
    assert client.get(f"{REPO}/actions/runs/999").status_code == 404
    assert client.get(f"{REPO}/actions/runs/abc").status_code == 404
    assert client.get(f"{REPO}/actions/runs/42").json()["head_sha"] == "a" * 40


def test_bad_run_fields_are_refused(sandbox: Sandbox) -> None:
    bad: list[tuple[dict[str, object], str]] = [
        ({"status": "done"}, "run status"),
        ({"conclusion": "great"}, "run conclusion"),
        ({"run_attempt": 0}, "run_attempt"),
        ({"run_attempt": "2"}, "must be an integer"),
        ({"x": 1}, "unknown run field"),
    ]
    for fields, problem in bad:
        with pytest.raises(ValueError, match=problem):
            sandbox.set_run("octo-org/web", None, **fields)
    with pytest.raises(ValueError, match="not a valid owner/name"):
        sandbox.set_run("not a repo")


def test_user_for_a_user_token_and_an_installation_token(sandbox: Sandbox) -> None:
    with client_for(sandbox, "ghp_user") as user, client_for(sandbox, "ghs_install") as bot:
        me = user.get("/user")
        assert me.status_code == 200
        assert (me.json()["login"], me.json()["type"]) == ("sandbox-user-1", "User")
        refused = bot.get("/user")
        assert refused.status_code == 403
        assert refused.json()["message"] == "Resource not accessible by integration"
        # The installation token still reads and writes the repository, as GITHUB_TOKEN does.
        assert bot.get(f"{REPO}/git/ref/heads/main").status_code == 200


def test_the_git_database_and_runs_persist_through_sandbox_path(tmp_path: Path) -> None:
    url = f"sandbox:{tmp_path / 'sb.json'}"
    with httpx.Client(transport=open_sandbox_url(url), base_url=BASE) as http:
        root, created = first_write(http, {STATE: "1"})
        assert created.status_code == 201
        mine, swap = save(http, root, {STATE: "2"})
        assert swap.status_code == 200
    data = json.loads((tmp_path / "sb.json").read_text())
    assert data["format"] == 2
    with httpx.Client(transport=open_sandbox_url(url), base_url=BASE) as http:
        assert head(http) == mine
        assert raw(http, STATE, BRANCH).content == b"2"
        _, stale = save(http, root, {STATE: "3"})
        assert stale.json()["message"] == "Update is not a fast forward"


def test_a_format_1_data_file_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"format": 1, "draws": 4, "tokens": {"t": 3}, "tasks": []}))
    with httpx.Client(transport=open_sandbox_url(f"sandbox:{path}"), base_url=BASE) as http:
        assert head(http, "main") is not None
        http.post(f"{REPO}/git/blobs", json={"content": "x"})
    saved = json.loads(path.read_text())
    assert (saved["format"], saved["draws"], saved["tokens"]) == (2, 4, {"t": 3})
    assert "octo-org/web" in saved["repos"]
