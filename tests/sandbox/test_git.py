"""The git database routes: refs and compare-and-swap, trees, commits, blobs, empty repos."""

from __future__ import annotations

import shutil
import subprocess

import httpx
import pytest

from reconciler.sandbox import ManualClock, Sandbox
from reconciler.sandbox.gitobjects import EMPTY_TREE, encode, object_sha
from tests.sandbox.conftest import client_for
from tests.sandbox.gitflow import (
    BRANCH,
    REPO,
    blob_entry,
    commit,
    first_write,
    head,
    raw,
    save,
    tree,
)

STATE = "tasks.state.json"
REF = f"{REPO}/git/refs/heads/{BRANCH}"


def test_a_branch_from_a_root_commit_then_fast_forward_saves(client: httpx.Client) -> None:
    assert head(client) is None
    root, created = first_write(client, {STATE: '{"serial": 1}\n'})
    assert created.status_code == 201
    assert created.json()["ref"] == f"refs/heads/{BRANCH}"
    assert created.json()["object"] == {
        "type": "commit",
        "sha": root,
        "url": f"https://api.github.com{REPO}/git/commits/{root}",
    }
    assert created.headers["location"] == created.json()["url"]
    assert head(client) == root
    new, swap = save(client, root, {STATE: '{"serial": 2}\n'})
    assert swap.status_code == 200
    assert swap.json()["object"]["sha"] == new == head(client)
    assert raw(client, STATE, new).content == b'{"serial": 2}\n'
    assert raw(client, STATE, root).content == b'{"serial": 1}\n'
    parents = client.get(f"{REPO}/git/commits/{new}").json()["parents"]
    assert [p["sha"] for p in parents] == [root]


def test_a_swap_that_is_not_a_fast_forward_is_refused(client: httpx.Client) -> None:
    root, _ = first_write(client, {STATE: "1"})
    mine, swap = save(client, root, {STATE: "2"})
    assert swap.status_code == 200
    # A second writer still based on root: its commit does not descend from the head.
    theirs, lost = save(client, root, {STATE: "3"})
    assert lost.status_code == 422
    assert lost.json() == {
        "message": "Update is not a fast forward",
        "documentation_url": "https://docs.github.com/rest/git/refs#update-a-reference",
    }
    assert head(client) == mine
    forced = client.patch(REF, json={"sha": theirs, "force": True})
    assert forced.status_code == 200
    assert head(client) == theirs


def test_a_ref_created_twice_is_refused(client: httpx.Client) -> None:
    root, created = first_write(client, {STATE: "1"})
    assert created.status_code == 201
    again = client.post(f"{REPO}/git/refs", json={"ref": f"refs/heads/{BRANCH}", "sha": root})
    assert again.status_code == 422
    assert again.json()["message"] == "Reference already exists"


def test_ref_errors(client: httpx.Client) -> None:
    root, _ = first_write(client, {STATE: "1"})
    unknown = "0" * 40
    bad_name = client.post(f"{REPO}/git/refs", json={"ref": "heads/x", "sha": root})
    assert bad_name.status_code == 422
    no_object = client.post(f"{REPO}/git/refs", json={"ref": "refs/heads/x", "sha": unknown})
    assert no_object.json()["message"] == "Object does not exist"
    missing = client.post(f"{REPO}/git/refs", json={"ref": "refs/heads/x"})
    assert missing.status_code == 422
    assert '"sha" wasn\'t supplied' in missing.json()["message"]
    patch_missing = client.patch(f"{REPO}/git/refs/heads/nope", json={"sha": root})
    assert patch_missing.json()["message"] == "Reference does not exist"
    assert client.patch(REF, json={"sha": unknown}).json()["message"] == "Object does not exist"
    assert client.post(f"{REPO}/git/refs", content=b"{").status_code == 400
    assert client.get(f"{REPO}/git/ref/heads/nope").status_code == 404
    assert client.get(f"{REPO}/git/refs").status_code == 405


def test_delete_a_ref(client: httpx.Client) -> None:
    first_write(client, {STATE: "1"})
    deleted = client.delete(REF)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert head(client) is None
    again = client.delete(REF)
    assert again.status_code == 422
    assert again.json()["message"] == "Reference does not exist"


def test_refs_with_slashes_in_the_branch(client: httpx.Client) -> None:
    main = head(client, "main")
    assert main is not None
    created = client.post(f"{REPO}/git/refs", json={"ref": "refs/heads/a/b", "sha": main})
    assert created.status_code == 201
    assert head(client, "a/b") == main
    assert client.get(f"{REPO}/git/ref/heads/a%2Fb").json()["ref"] == "refs/heads/a/b"


def test_trees_with_base_nested_paths_and_deletions(client: httpx.Client) -> None:
    base = tree(
        client, [blob_entry("a/b/c.txt", "c"), blob_entry("a/d.txt", "d"), blob_entry("e", "e")]
    )
    deleted = tree(client, [blob_entry("a/b/c.txt", None), blob_entry("f", "f")], base)
    listing = client.get(f"{REPO}/git/trees/{deleted}", params={"recursive": "1"}).json()
    assert [(e["path"], e["type"]) for e in listing["tree"]] == [
        ("a", "tree"),
        ("a/d.txt", "blob"),
        ("e", "blob"),
        ("f", "blob"),
    ]
    assert listing["truncated"] is False
    top = client.get(f"{REPO}/git/trees/{deleted}").json()["tree"]
    assert [e["path"] for e in top] == ["a", "e", "f"]
    # Deleting what is not there is an error, as GitHub says.
    gone = client.post(
        f"{REPO}/git/trees", json={"base_tree": base, "tree": [blob_entry("zzz", None)]}
    )
    assert gone.status_code == 422
    # The same content gives the same tree: content-addressed.
    assert (
        tree(
            client, [blob_entry("e", "e"), blob_entry("a/d.txt", "d"), blob_entry("a/b/c.txt", "c")]
        )
        == base
    )


def test_tree_entry_errors(client: httpx.Client) -> None:
    both = {"path": "x", "mode": "100644", "type": "blob", "sha": "0" * 40, "content": "x"}
    unknown_blob = {"path": "x", "mode": "100644", "type": "blob", "sha": "0" * 40}
    wrong_type = {"path": "x", "mode": "040000", "type": "blob", "content": "x"}
    for entry in (both, unknown_blob, wrong_type, {"mode": "100644"}):
        answer = client.post(f"{REPO}/git/trees", json={"tree": [entry]})
        assert answer.status_code == 422, entry
    bad_base = client.post(f"{REPO}/git/trees", json={"base_tree": "0" * 40, "tree": []})
    assert bad_base.status_code == 422
    assert client.post(f"{REPO}/git/trees", json={}).status_code == 422
    assert client.get(f"{REPO}/git/trees/{'0' * 40}").status_code == 404


def test_a_tree_of_an_existing_blob_and_subtree_by_sha(client: httpx.Client) -> None:
    inner = tree(client, [blob_entry("x", "x")])
    blob = client.post(f"{REPO}/git/blobs", json={"content": "y"}).json()["sha"]
    outer = tree(
        client,
        [
            {"path": "dir", "mode": "040000", "type": "tree", "sha": inner},
            {"path": "y", "mode": "100755", "type": "blob", "sha": blob},
        ],
    )
    entries = client.get(f"{REPO}/git/trees/{outer}").json()["tree"]
    assert [(e["path"], e["mode"], e["sha"]) for e in entries] == [
        ("dir", "040000", inner),
        ("y", "100755", blob),
    ]


def test_commits_and_their_errors(client: httpx.Client, clock: ManualClock) -> None:
    t = tree(client, [blob_entry("x", "x")])
    body = {
        "message": "hello",
        "tree": t,
        "author": {"name": "Mona", "email": "mona@example.com", "date": "2026-02-03T04:05:06Z"},
    }
    made = client.post(f"{REPO}/git/commits", json=body)
    assert made.status_code == 201
    sha = made.json()["sha"]
    assert made.headers["location"].endswith(f"/git/commits/{sha}")
    got = client.get(f"{REPO}/git/commits/{sha}").json()
    assert (
        got["author"]
        == got["committer"]
        == {
            "name": "Mona",
            "email": "mona@example.com",
            "date": "2026-02-03T04:05:06Z",
        }
    )
    assert got["message"] == "hello"
    assert got["parents"] == []
    assert got["verification"]["verified"] is False
    default = client.get(f"{REPO}/git/commits/{commit(client, t, [])}").json()["author"]
    assert default["name"] == "sandbox-user-1"
    no_tree = client.post(f"{REPO}/git/commits", json={"message": "m", "tree": "0" * 40})
    assert no_tree.json()["message"] == "Tree SHA does not exist"
    no_parent = client.post(
        f"{REPO}/git/commits", json={"message": "m", "tree": t, "parents": ["0" * 40]}
    )
    assert no_parent.json()["message"] == "Parent SHA does not exist or is not a commit object"
    assert client.post(f"{REPO}/git/commits", json={"tree": t}).status_code == 422
    assert client.get(f"{REPO}/git/commits/{'0' * 40}").status_code == 404


def test_blobs(client: httpx.Client) -> None:
    made = client.post(f"{REPO}/git/blobs", json={"content": "aGk=", "encoding": "base64"})
    assert made.status_code == 201
    sha = made.json()["sha"]
    same = client.post(f"{REPO}/git/blobs", json={"content": "hi"}).json()["sha"]
    assert sha == same
    got = client.get(f"{REPO}/git/blobs/{sha}").json()
    assert (got["content"], got["encoding"], got["size"]) == ("aGk=\n", "base64", 2)
    assert (
        client.post(f"{REPO}/git/blobs", json={"content": "%%", "encoding": "base64"}).status_code
        == 422
    )
    assert client.get(f"{REPO}/git/blobs/{'0' * 40}").status_code == 404


def _git_hash(kind: str, payload: bytes) -> str:
    command = ["git", "hash-object", "-t", kind, "--stdin"]
    done = subprocess.run(command, input=payload, capture_output=True, check=True)
    return done.stdout.decode().strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_shas_are_the_ones_git_computes(sandbox: Sandbox, client: httpx.Client) -> None:
    blob = client.post(f"{REPO}/git/blobs", json={"content": "hello\n"}).json()["sha"]
    assert blob == _git_hash("blob", b"hello\n")
    assert object_sha({}) == EMPTY_TREE
    root, _ = first_write(client, {"a/b.txt": "b", "c": "c"})
    _, swap = save(client, root, {"d": "d"})
    db = sandbox.store.repos["octo-org/web"].git
    assert db is not None
    # Every object the sandbox holds (trees, commits, blobs) hashes as git hashes it.
    for sha, obj in db.objects.items():
        assert _git_hash(*encode(obj)) == sha
    assert swap.json()["object"]["sha"] in db.objects


def test_every_fresh_repository_starts_at_the_same_initial_commit() -> None:
    one, two = Sandbox(), Sandbox(seed=9)
    assert one.ref("octo-org/web", "heads/main") == two.ref("octo-org/web", "heads/main")
    assert one.file("octo-org/web", "README.md") == b"# web\n"


def test_an_empty_repository_answers_409(sandbox: Sandbox, client: httpx.Client) -> None:
    sandbox.set_repo("octo-org/web", empty=True)
    answers = [
        client.get(f"{REPO}/git/ref/heads/main"),
        client.post(f"{REPO}/git/refs", json={"ref": "refs/heads/x", "sha": "0" * 40}),
        client.post(f"{REPO}/git/trees", json={"tree": [blob_entry("x", "x")]}),
        client.post(f"{REPO}/git/commits", json={"message": "m", "tree": EMPTY_TREE}),
        client.post(f"{REPO}/git/blobs", json={"content": "x"}),
    ]
    for answer in answers:
        assert answer.status_code == 409, answer.request.url
        assert answer.json()["message"] == "Git Repository is empty."
    assert sandbox.ref("octo-org/web", "heads/main") is None
    sandbox.set_repo("octo-org/web")
    assert head(client, "main") == Sandbox().ref("octo-org/web", "heads/main")


def test_a_repository_that_does_not_exist_is_404(clock: ManualClock) -> None:
    limited = Sandbox(clock=clock, repos=["octo-org/web"])
    with client_for(limited) as http:
        assert http.get("/repos/octo-org/other/git/ref/heads/main").status_code == 404
        assert (
            http.post("/repos/octo-org/other/git/blobs", json={"content": "x"}).status_code == 404
        )
        assert http.get("/repos/-bad/x/git/ref/heads/main").status_code == 404
        assert http.get(f"{REPO}/git/ref/heads/main").status_code == 200
        assert http.get(f"{REPO}/git/nothing/here").status_code == 404
