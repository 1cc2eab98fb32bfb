"""Creating and reading tasks, errors, authentication and the headers of every response."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

import httpx
import pytest

from reconciler.sandbox import ManualClock, Sandbox
from tests.sandbox.conftest import TOKEN, client_for

REPO_TASKS = "/agents/repos/octo-org/web/tasks"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_create_answers_201_with_a_queued_task(client: httpx.Client) -> None:
    response = client.post(
        REPO_TASKS, json={"prompt": "Fix the login button\n\nDetails.", "base_ref": "main"}
    )
    assert response.status_code == 201
    task = response.json()
    assert UUID.match(task["id"])
    assert task["state"] == "queued"
    assert task["name"] == "Fix the login button"
    assert task["html_url"] == f"https://github.com/octo-org/web/copilot/tasks/{task['id']}"
    assert task["url"] == f"https://api.github.com/agents/repos/octo-org/web/tasks/{task['id']}"
    assert task["creator"] == {"id": 1}
    assert task["artifacts"] == []
    assert task["archived_at"] is None
    assert task["session_count"] == 1
    assert task["created_at"] == task["updated_at"] == "2026-01-01T00:00:00Z"
    assert "custom_agent" not in task


def test_get_returns_the_session_with_the_prompt_verbatim(client: httpx.Client) -> None:
    prompt = "  Tidy the README.\r\n\nKeep  trailing   spaces   "
    body = {
        "prompt": prompt,
        "base_ref": "dev",
        "head_ref": "feature/x",
        "model": "gpt-5.4",
        "custom_agent": "docs",
    }
    task = client.post(REPO_TASKS, json=body).json()
    for path in (f"{REPO_TASKS}/{task['id']}", f"/agents/tasks/{task['id']}"):
        detail = client.get(path).json()
        assert detail["custom_agent"] == {"id": "docs"}
        (session,) = detail["sessions"]
        assert session["prompt"] == prompt
        assert (session["base_ref"], session["head_ref"], session["model"]) == (
            "dev",
            "feature/x",
            "gpt-5.4",
        )
        assert session["task_id"] == task["id"]


def test_repository_names_are_case_insensitive(client: httpx.Client) -> None:
    task = client.post(REPO_TASKS, json={"prompt": "p"}).json()
    assert client.get(f"/agents/repos/Octo-Org/WEB/tasks/{task['id']}").status_code == 200
    assert client.get("/agents/repos/OCTO-ORG/Web/tasks").json()["total_active_count"] == 1


def test_a_task_of_another_repository_is_not_found_under_this_one(client: httpx.Client) -> None:
    task = client.post(REPO_TASKS, json={"prompt": "p"}).json()
    response = client.get(f"/agents/repos/octo-org/api/tasks/{task['id']}")
    assert response.status_code == 404
    assert response.json() == {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest/agent-tasks/agent-tasks",
    }


@pytest.mark.parametrize(
    "path", ["/agents/tasks/nope", f"{REPO_TASKS}/nope", "/agents/task", f"{REPO_TASKS}/"]
)
def test_unknown_ids_and_paths_are_404(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", REPO_TASKS, "GET, POST"),
        ("PATCH", f"{REPO_TASKS}/x", "GET"),
        ("POST", "/agents/tasks", "GET"),
    ],
)
def test_undeclared_methods_are_405_with_allow(
    client: httpx.Client, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "Problems parsing JSON"),
        (b"", "Problems parsing JSON"),
        (b'["a"]', "Body should be a JSON object"),
    ],
)
def test_bad_bodies_are_400(client: httpx.Client, content: bytes, message: str) -> None:
    response = client.post(REPO_TASKS, content=content)
    assert response.status_code == 400
    assert response.json()["message"] == message


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "prompt", "missing_field"),
        ({"prompt": "   \n"}, "prompt", "invalid"),
        ({"prompt": 5}, "prompt", "invalid"),
        ({"prompt": "p", "model": 1}, "model", "invalid"),
        ({"prompt": "p", "custom_agent": None}, "custom_agent", "invalid"),
        ({"prompt": "p", "base_ref": ["main"]}, "base_ref", "invalid"),
        ({"prompt": "p", "head_ref": {}}, "head_ref", "invalid"),
        ({"prompt": "p", "create_pull_request": "true"}, "create_pull_request", "invalid"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(
    client: httpx.Client, sandbox: Sandbox, body: dict[str, object], field: str, code: str
) -> None:
    response = client.post(REPO_TASKS, json=body)
    assert response.status_code == 422
    assert response.json()["message"] == "Validation Failed"
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
    assert sandbox.tasks() == []


def test_missing_token_is_401(sandbox: Sandbox) -> None:
    with client_for(sandbox, token=None) as anonymous:
        response = anonymous.get("/agents/tasks")
    assert response.status_code == 401
    assert response.json()["message"] == "Requires authentication"


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer ", "Bearer"])
def test_other_schemes_and_empty_tokens_are_401(client: httpx.Client, authorization: str) -> None:
    response = client.get("/user", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"


def test_any_token_is_accepted_unless_one_is_configured(clock: ManualClock) -> None:
    guarded = Sandbox(clock=clock, token="right")
    with client_for(guarded, token="wrong") as wrong, client_for(guarded, token="right") as right:
        assert wrong.get("/user").status_code == 401
        assert wrong.get("/user").json()["message"] == "Bad credentials"
        user = right.get("/user").json()
        assert (user["login"], user["id"], user["type"]) == ("sandbox-user-1", 1, "User")


def test_mapped_tokens_act_as_their_user(sandbox: Sandbox, client: httpx.Client) -> None:
    sandbox.map_token("other", 42)
    with client_for(sandbox, token="other") as other:
        assert other.get("/user").json()["id"] == 42
        task = other.post(REPO_TASKS, json={"prompt": "p"}).json()
    assert task["creator"] == {"id": 42}
    assert client.get("/agents/tasks").json()["tasks"] == []


def test_repos_option_hides_every_other_repository(clock: ManualClock) -> None:
    narrow = Sandbox(clock=clock, repos=["Octo-Org/Web"])
    with client_for(narrow) as http:
        assert http.post(REPO_TASKS, json={"prompt": "p"}).status_code == 201
        assert (
            http.post("/agents/repos/octo-org/api/tasks", json={"prompt": "p"}).status_code == 404
        )
        assert http.get("/agents/repos/octo-org/api/tasks").status_code == 404


@pytest.mark.parametrize(
    "repo", ["octo-org/web.git", "octo-org/..", "-octo/web", "octo%2Forg/web", "o/" + "r" * 101]
)
def test_invalid_repository_names_do_not_exist(client: httpx.Client, repo: str) -> None:
    assert client.get(f"/agents/repos/{repo}/tasks").status_code == 404


def test_every_response_carries_date_and_rate_limit_headers(
    client: httpx.Client, clock: ManualClock
) -> None:
    responses = [
        client.post(REPO_TASKS, json={"prompt": "p"}),
        client.get("/agents/tasks?per_page=0"),
        client.get("/nowhere"),
        client.delete(REPO_TASKS),
        client.get("/user", headers={"Authorization": ""}),
    ]
    for response in responses:
        assert parsedate_to_datetime(response.headers["date"]) == clock()
        assert response.headers["x-ratelimit-resource"] == "core"
        for name in ("limit", "remaining", "used", "reset"):
            assert response.headers[f"x-ratelimit-{name}"].isdigit()
    used = [int(r.headers["x-ratelimit-used"]) for r in responses[:2]]
    assert used == [1, 2]
    assert int(responses[1].headers["x-ratelimit-remaining"]) == 4998


def test_unknown_api_version_is_400(client: httpx.Client) -> None:
    response = client.get("/agents/tasks", headers={"X-GitHub-Api-Version": "2020-01-01"})
    assert response.status_code == 400
    assert "not a supported version" in response.json()["message"]
    assert (
        client.get("/agents/tasks", headers={"X-GitHub-Api-Version": "2026-03-10"}).status_code
        == 200
    )


def test_same_seed_and_requests_give_the_same_ids(clock: ManualClock) -> None:
    def ids(seed: int) -> list[str]:
        with client_for(Sandbox(clock=clock, seed=seed)) as http:
            return [http.post(REPO_TASKS, json={"prompt": str(n)}).json()["id"] for n in range(3)]

    assert ids(1) == ids(1)
    assert ids(1) != ids(2)
    assert len(set(ids(1))) == 3


def test_the_token_is_never_recorded(sandbox: Sandbox, client: httpx.Client) -> None:
    client.post(REPO_TASKS, json={"prompt": "p"})
    assert TOKEN not in repr(sandbox.requests)
