"""Issue comments on pull requests and a commit's pull requests, as GitHub answers them (every
answer here is also checked against the OpenAPI slice by the suite's observer)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox import Sandbox, open_sandbox_url
from tests.sandbox.conftest import BASE, client_for

REPO = "/repos/octo-org/web"
ACTIONS_TOKEN = "ghs_actionsTokenOfTheWorkflowRun000000000"
MERGE_SHA, HEAD_SHA = "a" * 40, "b" * 40


@pytest.fixture
def pull(sandbox: Sandbox) -> int:
    sandbox.add_pull("octo-org/web", 7, head_sha=HEAD_SHA)
    return 7


def test_a_comment_is_created_listed_edited_and_deleted(
    sandbox: Sandbox, client: httpx.Client, pull: int
) -> None:
    made = client.post(f"{REPO}/issues/{pull}/comments", json={"body": "first"})
    assert made.status_code == 201
    comment = made.json()
    assert made.headers["location"] == comment["url"]
    assert comment["body"] == "first"
    assert (comment["user"]["login"], comment["user"]["type"]) == ("sandbox-user-1", "User")
    assert comment["html_url"].endswith(f"/octo-org/web/pull/7#issuecomment-{comment['id']}")
    listed = client.get(f"{REPO}/issues/{pull}/comments").json()
    assert [c["id"] for c in listed] == [comment["id"]]
    edited = client.patch(f"{REPO}/issues/comments/{comment['id']}", json={"body": "second"})
    assert edited.status_code == 200
    assert edited.json()["body"] == "second"
    assert [c.body for c in sandbox.comments("octo-org/web", pull)] == ["second"]
    gone = client.delete(f"{REPO}/issues/comments/{comment['id']}")
    assert (gone.status_code, gone.content) == (204, b"")
    assert client.get(f"{REPO}/issues/{pull}/comments").json() == []
    assert client.patch(f"{REPO}/issues/comments/{comment['id']}", json={"body": "x"}).status_code
    assert client.delete(f"{REPO}/issues/comments/{comment['id']}").status_code == 404


def test_the_actions_token_writes_as_github_actions_bot_and_has_no_user(
    sandbox: Sandbox, pull: int
) -> None:
    with client_for(sandbox, ACTIONS_TOKEN) as actions:
        comment = actions.post(f"{REPO}/issues/{pull}/comments", json={"body": "plan"}).json()
        refused = actions.get("/user")
    assert comment["user"]["login"] == "github-actions[bot]"
    assert comment["user"]["type"] == "Bot"
    assert comment["author_association"] == "NONE"
    assert refused.status_code == 403
    assert refused.json()["message"] == "Resource not accessible by integration"


def test_comments_are_paged_oldest_first_with_link_headers(
    sandbox: Sandbox, client: httpx.Client, pull: int
) -> None:
    ids = [sandbox.add_comment("octo-org/web", pull, f"c{n}", login="alice") for n in range(75)]
    first = client.get(f"{REPO}/issues/{pull}/comments")
    assert [c["body"] for c in first.json()] == [f"c{n}" for n in range(30)]
    assert 'page=2&per_page=30>; rel="next"' in first.headers["link"]
    assert 'page=3&per_page=30>; rel="last"' in first.headers["link"]
    third = client.get(f"{REPO}/issues/{pull}/comments", params={"page": 3})
    assert [c["id"] for c in third.json()] == ids[60:]
    assert 'rel="next"' not in third.headers["link"]
    everything = client.get(f"{REPO}/issues/{pull}/comments", params={"per_page": 500})
    assert len(everything.json()) == 75  # per_page is capped at 100, as on GitHub
    beyond = client.get(f"{REPO}/issues/{pull}/comments", params={"page": 9})
    assert beyond.json() == []


def test_a_body_over_65536_characters_is_refused_with_github_s_422(
    client: httpx.Client, pull: int
) -> None:
    fits = client.post(f"{REPO}/issues/{pull}/comments", json={"body": "é" * 65536})
    assert fits.status_code == 201
    refused = client.post(f"{REPO}/issues/{pull}/comments", json={"body": "x" * 65537})
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["message"] == "body is too long (maximum is 65536 characters)"
    assert (error["resource"], error["field"]) == ("IssueComment", "body")
    too_long = client.patch(
        f"{REPO}/issues/comments/{fits.json()['id']}", json={"body": "x" * 65537}
    )
    assert too_long.status_code == 422
    missing = client.post(f"{REPO}/issues/{pull}/comments", json={})
    assert missing.status_code == 422


def test_a_pull_request_the_sandbox_does_not_know_is_a_404(client: httpx.Client) -> None:
    assert client.get(f"{REPO}/issues/3/comments").status_code == 404
    assert client.post(f"{REPO}/issues/3/comments", json={"body": "x"}).status_code == 404
    assert client.patch(f"{REPO}/issues/comments/12", json={"body": "x"}).status_code == 404


def test_a_commit_s_pull_requests_are_found_by_head_or_merge_commit(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    merged_at = datetime(2026, 3, 1, tzinfo=UTC)
    sandbox.add_pull(
        "octo-org/web",
        12,
        head_sha=HEAD_SHA,
        state="closed",
        merged_at=merged_at,
        merge_commit_sha=MERGE_SHA,
    )
    sandbox.add_pull("octo-org/web", 13, head_sha="c" * 40, base_ref="release")
    found = client.get(f"{REPO}/commits/{MERGE_SHA}/pulls").json()
    assert [(p["number"], p["state"], p["merged_at"]) for p in found] == [
        (12, "closed", "2026-03-01T00:00:00Z")
    ]
    assert found[0]["head"]["sha"] == HEAD_SHA
    assert found[0]["base"]["ref"] == "main"
    by_head = client.get(f"{REPO}/commits/{'c' * 40}/pulls").json()
    assert [(p["number"], p["base"]["ref"], p["merged_at"]) for p in by_head] == [
        (13, "release", None)
    ]
    assert client.get(f"{REPO}/commits/{'d' * 40}/pulls").json() == []


def test_bad_seeds_are_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="no pull request 4"):
        sandbox.add_comment("octo-org/web", 4, "x", login="alice")
    with pytest.raises(ValueError, match="state"):
        sandbox.add_pull("octo-org/web", 4, state="merged")
    with pytest.raises(ValueError, match="head_sha"):
        sandbox.add_pull("octo-org/web", 4, head_sha="abc")
    with pytest.raises(ValueError, match="unknown pull request field"):
        sandbox.add_pull("octo-org/web", 4, colour="red")


def test_the_control_routes_seed_pulls_and_comments_and_requests_name_their_user() -> None:
    sandbox = Sandbox(seed=3)
    sandbox.map_token(ACTIONS_TOKEN, 42)
    with httpx.Client(
        transport=sandbox.transport(), base_url="http://127.0.0.1:1"
    ) as control:  # the in-process transport is a loopback peer
        seeded = control.post(
            "/_sandbox/pulls",
            json={"repo": "octo-org/web", "number": 5, "merged_at": "2026-03-01T00:00:00Z"},
        )
        assert seeded.status_code == 201, seeded.text
        other = control.post(
            "/_sandbox/comments",
            json={"repo": "octo-org/web", "number": 5, "body": "hi", "login": "bob"},
        )
        assert other.status_code == 201, other.text
        bad = control.post("/_sandbox/comments", json={"repo": "octo-org/web", "number": 6})
        assert bad.status_code == 422
        listed = control.get(
            f"{REPO}/issues/5/comments", headers={"Authorization": f"Bearer {ACTIONS_TOKEN}"}
        )
        assert [c["user"]["login"] for c in listed.json()] == ["bob"]
        recorded = control.get("/_sandbox/requests").json()["requests"]
    assert [(r["path"], r["user_id"]) for r in recorded] == [(f"{REPO}/issues/5/comments", 42)]


def test_pulls_and_comments_persist_through_sandbox_path(tmp_path: Path) -> None:
    url = f"sandbox:{tmp_path / 'sb.json'}"
    with httpx.Client(transport=open_sandbox_url(url), base_url="http://127.0.0.1:1") as http:
        http.post("/_sandbox/pulls", json={"repo": "octo-org/web", "number": 5}).raise_for_status()
        made = http.post(f"{REPO}/issues/5/comments", json={"body": "kept"})
        assert made.status_code == 201
    with httpx.Client(transport=open_sandbox_url(url), base_url=BASE) as http:
        assert [c["body"] for c in http.get(f"{REPO}/issues/5/comments").json()] == ["kept"]
