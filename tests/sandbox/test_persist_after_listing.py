"""A sandbox:PATH file written after a listing reads back (listings cache a per-task key)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.sandbox import open_sandbox_url


def test_data_file_reads_back_after_a_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = "sandbox:data.json"
    with httpx.Client(transport=open_sandbox_url(url), base_url="http://localhost") as client:
        assert client.post("/agents/repos/o/r/tasks", json={"prompt": "one"}).status_code == 201
        assert len(client.get("/agents/repos/o/r/tasks").json()["tasks"]) == 1
        assert client.post("/agents/repos/o/r/tasks", json={"prompt": "two"}).status_code == 201
    with httpx.Client(transport=open_sandbox_url(url), base_url="http://localhost") as again:
        assert len(again.get("/agents/repos/o/r/tasks").json()["tasks"]) == 2
