"""``sandbox:PATH``: the sandbox in-process with its tasks kept in a file."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox import open_sandbox_url
from reconciler.sandbox.badinput import SandboxInputError

REPO_TASKS = "/agents/repos/octo-org/web/tasks"


def client(url: str) -> httpx.Client:
    return httpx.Client(transport=open_sandbox_url(url), base_url="https://api.github.com")


def test_tasks_survive_a_new_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with client("sandbox:state/sb.json?seed=1") as first:
        created = first.post(REPO_TASKS, json={"prompt": "p"}).json()  # no token needed
        assert first.get("/user").json()["id"] == 1
    assert (
        json.loads((tmp_path / "state" / "sb.json").read_text())["tasks"][0]["id"] == created["id"]
    )
    with client("sandbox:state/sb.json?seed=1") as second:
        again = second.get(f"/agents/tasks/{created['id']}").json()
        assert again["created_at"] == created["created_at"]
        second_id = second.post(REPO_TASKS, json={"prompt": "q"}).json()["id"]
    assert second_id != created["id"]  # the draw counter was persisted too
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == [
        "sb.json"
    ]  # no temp files left


def test_speed_and_user_options(tmp_path: Path) -> None:
    with client(f"sandbox:{tmp_path / 'sb.json'}?speed=100000&user_id=9") as http:
        task = http.post(
            REPO_TASKS, json={"prompt": "p"}, headers={"Authorization": "Bearer any"}
        ).json()
        assert task["creator"] == {"id": 9}
        assert http.get(f"/agents/tasks/{task['id']}").json()["state"] in (
            "in_progress",
            "completed",
        )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://x", "not a sandbox:PATH"),
        ("sandbox:", "names no file"),
        ("sandbox:f.json?fast=1", "unknown sandbox option"),
    ],
)
def test_bad_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(SandboxInputError, match=message):
        open_sandbox_url(url)


def test_a_data_file_of_another_format_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sb.json").write_text('{"format": 99}')
    with pytest.raises(
        SandboxInputError, match="is not a sandbox data file: sandbox data format 99"
    ):
        open_sandbox_url(f"sandbox:{tmp_path / 'sb.json'}")
