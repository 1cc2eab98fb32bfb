"""``GET /repos/{o}/{r}/contents/{path}``: JSON, raw bytes, folders, and the 404s."""

from __future__ import annotations

import base64

import httpx

from reconciler.sandbox import Sandbox
from tests.sandbox.gitflow import BRANCH, REPO, first_write, raw

STATE = "state/tasks.state.json"
BODY = '{"serial": 3, "note": "é"}\n'


def test_a_file_as_json(client: httpx.Client) -> None:
    root, _ = first_write(client, {STATE: BODY})
    answer = client.get(f"{REPO}/contents/{STATE}", params={"ref": BRANCH})
    assert answer.status_code == 200
    found = answer.json()
    assert found["type"] == "file"
    assert found["encoding"] == "base64"
    assert base64.b64decode(found["content"]) == BODY.encode()
    assert found["size"] == len(BODY.encode())
    assert (found["name"], found["path"]) == ("tasks.state.json", STATE)
    blob = client.get(f"{REPO}/git/blobs/{found['sha']}").json()
    assert base64.b64decode(blob["content"]) == BODY.encode()
    by_sha = client.get(f"{REPO}/contents/{STATE}", params={"ref": root}).json()
    assert by_sha["sha"] == found["sha"]


def test_a_file_raw(client: httpx.Client) -> None:
    root, _ = first_write(client, {STATE: BODY})
    for accept in ("application/vnd.github.raw+json", "application/vnd.github.raw"):
        answer = client.get(
            f"{REPO}/contents/{STATE}", params={"ref": root}, headers={"Accept": accept}
        )
        assert answer.status_code == 200
        assert answer.content == BODY.encode()
        assert answer.headers["content-type"].startswith("application/vnd.github.raw")
    assert raw(client, STATE, f"refs/heads/{BRANCH}").content == BODY.encode()


def test_a_folder(client: httpx.Client) -> None:
    first_write(client, {STATE: BODY, "state/other": "o", "top": "t"})
    listed = client.get(f"{REPO}/contents/state", params={"ref": BRANCH}).json()
    assert [(i["name"], i["type"]) for i in listed] == [
        ("other", "file"),
        ("tasks.state.json", "file"),
    ]
    as_object = client.get(
        f"{REPO}/contents/state",
        params={"ref": BRANCH},
        headers={"Accept": "application/vnd.github.object"},
    ).json()
    assert as_object["type"] == "dir"
    assert [e["path"] for e in as_object["entries"]] == ["state/other", STATE]


def test_the_default_branch_is_main(client: httpx.Client) -> None:
    readme = client.get(f"{REPO}/contents/README.md")
    assert base64.b64decode(readme.json()["content"]) == b"# web\n"


def test_404s(sandbox: Sandbox, client: httpx.Client) -> None:
    root, _ = first_write(client, {STATE: BODY})
    missing = client.get(f"{REPO}/contents/nope.json", params={"ref": root})
    assert missing.status_code == 404
    assert missing.json()["message"] == "Not Found"
    no_ref = client.get(f"{REPO}/contents/{STATE}", params={"ref": "no-such-branch"})
    assert no_ref.status_code == 404
    assert no_ref.json()["message"] == "No commit found for the ref no-such-branch"
    assert client.get(f"{REPO}/contents/{STATE}/deeper", params={"ref": root}).status_code == 404
    assert client.get("/repos/-x/web/contents/README.md").status_code == 404
    sandbox.set_repo("octo-org/web", empty=True)
    empty = client.get(f"{REPO}/contents/README.md")
    assert empty.status_code == 404
    assert empty.json()["message"] == "This repository is empty."


def test_faults_strike_contents(sandbox: Sandbox, client: httpx.Client) -> None:
    sandbox.add_fault("GET:/repos/*/contents/*:502:times=1")
    assert client.get(f"{REPO}/contents/README.md").status_code == 502
    assert client.get(f"{REPO}/contents/README.md").status_code == 200
