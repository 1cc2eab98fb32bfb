"""Faults on the git routes, and the race hook: another writer between a read and a swap."""

from __future__ import annotations

import httpx
import pytest

from reconciler.sandbox import FaultRule, Sandbox
from tests.sandbox.gitflow import BRANCH, REPO, first_write, head, raw, save

STATE = "tasks.state.json"
REF_PATH = f"{REPO}/git/refs/heads/{BRANCH}"


def test_5xx_and_secondary_limits_strike_the_git_routes(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    root, _ = first_write(client, {STATE: "1"})
    sandbox.add_fault(f"PATCH:{REF_PATH}:503:times=1")
    _, failed = save(client, root, {STATE: "2"})
    assert failed.status_code == 503
    assert failed.json()["message"] == "Server Error"
    assert head(client) == root  # nothing was done
    sandbox.add_fault("GET:/repos/*/git/ref/*:secondary_429:times=1,retry_after=7")
    limited = client.get(f"{REPO}/git/ref/heads/{BRANCH}")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert head(client) == root
    assert [r.fault for r in sandbox.requests if r.fault] == ["503", "secondary_429"]


def test_a_reset_before_a_tree_write_changes_nothing(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    sandbox.add_fault(FaultRule("reset", "POST", "/repos/*/git/trees", times=1))
    with pytest.raises(httpx.ReadError):
        client.post(f"{REPO}/git/trees", json={"tree": []})
    assert client.post(f"{REPO}/git/trees", json={"tree": []}).status_code == 201


def test_commit_then_drop_on_a_commit_write_keeps_the_commit(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    root, _ = first_write(client, {STATE: "1"})
    tree = client.get(f"{REPO}/git/commits/{root}").json()["tree"]["sha"]
    sandbox.add_fault("POST:/repos/*/git/commits:commit_then_drop:times=1")
    body = {"message": "again", "tree": tree, "parents": [root]}
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"{REPO}/git/commits", json=body)
    # The commit was written: the retry (same content, same time) finds the same sha.
    sha = client.post(f"{REPO}/git/commits", json=body).json()["sha"]
    assert client.get(f"{REPO}/git/commits/{sha}").status_code == 200


def test_the_race_makes_the_next_swap_lose(sandbox: Sandbox, client: httpx.Client) -> None:
    root, _ = first_write(client, {STATE: "mine"})
    sandbox.add_fault(f"PATCH:{REF_PATH}:race:times=1")
    new, lost = save(client, root, {STATE: "next"})
    assert lost.status_code == 422
    assert lost.json()["message"] == "Update is not a fast forward"
    theirs = head(client)
    assert theirs is not None
    assert theirs not in (root, new)
    other = client.get(f"{REPO}/git/commits/{theirs}").json()
    assert other["author"]["name"] == "another-writer"
    assert [p["sha"] for p in other["parents"]] == [root]
    assert raw(client, STATE, theirs).content == b"mine"  # the other writer kept the files
    assert [r.fault for r in sandbox.requests if r.method == "PATCH"] == ["race"]
    # Re-read, re-plan: a save on the new head goes through (the rule is spent).
    _, retried = save(client, theirs, {STATE: "next"})
    assert retried.status_code == 200


def test_the_race_on_a_first_write_makes_the_ref_exist(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    sandbox.add_fault("POST:/repos/*/git/refs:race:times=1")
    _, created = first_write(client, {STATE: "1"})
    assert created.status_code == 422
    assert created.json()["message"] == "Reference already exists"
    theirs = head(client)
    assert theirs is not None
    assert client.get(f"{REPO}/git/commits/{theirs}").json()["parents"] == []


def test_a_race_rule_is_not_spent_where_there_is_nothing_to_race(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    root, _ = first_write(client, {STATE: "1"})
    sandbox.add_fault("*:/repos/*:race:times=1")
    client.post(f"{REPO}/git/blobs", json={"content": "x"})  # not a ref write
    client.get(f"{REPO}/git/ref/heads/{BRANCH}")  # a GET never races
    client.patch(REF_PATH, json={"sha": "not a sha"})  # a body no swap could apply
    assert head(client) == root
    assert sandbox.store.faults[0].fired == 0
    _, lost = save(client, root, {STATE: "2"})
    assert lost.status_code == 422
    assert sandbox.store.faults[0].fired == 1


def test_an_empty_repository_is_not_raced(sandbox: Sandbox, client: httpx.Client) -> None:
    sandbox.set_repo("octo-org/web", empty=True)
    sandbox.add_fault("POST:/repos/*/git/refs:race")
    answer = client.post(f"{REPO}/git/refs", json={"ref": "refs/heads/x", "sha": "a" * 40})
    assert answer.status_code == 409
    assert sandbox.store.faults[0].fired == 0


def test_another_writer_commits_through_the_python_api(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    root, _ = first_write(client, {STATE: "1", "keep": "k"})
    theirs = sandbox.commit("octo-org/web", BRANCH, {STATE: "theirs", "keep": None}, "took over")
    assert head(client) == theirs
    assert sandbox.file("octo-org/web", STATE, f"heads/{BRANCH}") == b"theirs"
    assert sandbox.file("octo-org/web", "keep", f"heads/{BRANCH}") is None
    assert sandbox.ref("octo-org/web", f"refs/heads/{BRANCH}") == theirs
    _, lost = save(client, root, {STATE: "2"})
    assert lost.json()["message"] == "Update is not a fast forward"
