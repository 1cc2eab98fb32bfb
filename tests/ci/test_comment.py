"""``agenttasks comment``: one sticky plan comment per tasks-file set and pull request, found again
by its marker and its author on any page, never another author's, under 60,000 bytes, and posted
with the Actions token only (CI.md §5)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest

from reconciler.commands.comment import run_comment
from reconciler.commands.context import Context, GlobalOptions, Result
from reconciler.commands.plan import Selection
from reconciler.errors import ExitCode, UsageError
from reconciler.github.auth import Token
from reconciler.github.commentdata import ACTIONS_BOT, files_hash, parse_marker
from reconciler.github.comments import CommentClient
from reconciler.sandbox import ManualClock, Sandbox
from tests.client.served import ServedSandbox
from tests.inprocess import run_main

REPO = "octo/web"
PR = 7
RUN_URL = "https://github.com/octo/web/actions/runs/4242"
CI_ENV = {
    "GITHUB_REPOSITORY": REPO,
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_RUN_ID": "4242",
}
AGENT_TOKEN = "github_pat_agentTasksTokenNeverOnComments000"
ACTIONS_TOKEN = "ghs_actionsTokenNeverSentToAgentTasks0000"


def declare(root: Path, count: int, prompt: str = "Task number {n}.") -> Path:
    lines = ["version: 1", "settings:", f"  max_creates: {max(count, 1)}", "tasks:"]
    for n in range(count):
        text = json.dumps(prompt.format(n=n), ensure_ascii=False)
        lines += [f"  t{n:03d}:", f"    repo: {REPO}", f"    prompt: {text}"]
    path = root / "tasks.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Project:
    """A repository checkout with a tasks file, a sandbox holding pull request #7, and the
    context ``agenttasks comment`` runs with (in-process)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sandbox = Sandbox(clock=ManualClock())
        self.sandbox.add_pull(REPO, PR, head_sha="b" * 40)
        self.err: list[str] = []

    def comment(self, env: Mapping[str, str] = CI_ENV, **options: object) -> Result:
        ctx = Context(
            GlobalOptions(api_url=f"sandbox:{self.root / 'unused.json'}"),
            {**env, "GITHUB_WORKSPACE": str(self.root)} if env else env,
            self.err.append,
            sandbox=lambda url: self.sandbox.transport(),
        )
        values: dict[str, object] = {
            "files": [self.root / "tasks.yaml"],
            "state": self.root / "tasks.state.json",
            "selection": Selection(),
            "detailed_exitcode": False,
            "pr": PR,
            "repo": None,
            "author": None,
            **options,
        }
        return run_comment(ctx, **values)  # type: ignore[arg-type]

    def marked(self) -> list[str]:
        return [c.body for c in self.sandbox.comments(REPO, PR) if parse_marker(c.body)]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_three_runs_leave_one_comment_holding_the_latest_plan(project: Project) -> None:
    said = []
    for count in (1, 2, 3):
        declare(project.root, count)
        said.append(project.comment().out)
    assert said[0].startswith("Created comment #")
    assert said[1:] == [said[0].replace("Created", "Updated")] * 2
    [body] = project.marked()
    assert "Plan: 3 to add" in body
    assert "task.t002 will be created" in body
    marker = parse_marker(body)
    assert marker is not None
    assert marker.files == files_hash(["tasks.yaml"])
    assert marker.run == RUN_URL


def test_the_comment_is_found_again_on_page_3(project: Project) -> None:
    for n in range(230):
        project.sandbox.add_comment(REPO, PR, f"chatter {n}", login="alice")
    declare(project.root, 1)
    assert project.comment().out.startswith("Created")
    project.sandbox.clear_requests()
    declare(project.root, 2)
    assert project.comment().out.startswith("Updated")
    pages = [
        dict(r.query).get("page", "1")
        for r in project.sandbox.requests
        if r.method == "GET" and r.path.endswith(f"/issues/{PR}/comments")
    ]
    assert pages == ["1", "2", "3"]
    assert len(project.marked()) == 1
    assert "Plan: 2 to add" in project.marked()[0]


def test_a_marked_comment_by_another_author_is_never_touched(project: Project) -> None:
    declare(project.root, 1)
    forged = (
        f"<!-- agenttasks:plan v=1 files={files_hash(['tasks.yaml'])} digest=sha256:{'0' * 64}"
        " run= -->\nNothing to see here."
    )
    others = [
        project.sandbox.add_comment(REPO, PR, forged, login="mallory"),
        project.sandbox.add_comment(REPO, PR, forged, login=ACTIONS_BOT, user_type="Bot"),
    ]
    first = project.comment()
    second = project.comment()
    assert first.out.startswith("Created")
    assert second.out.startswith("Updated")
    comments = {c.id: c for c in project.sandbox.comments(REPO, PR)}
    assert [comments[i].body for i in others] == [forged, forged]
    assert [comments[i].updated_at for i in others] == [comments[i].created_at for i in others]
    ours = [c for c in comments.values() if c.login == "sandbox-user-1"]
    assert len(ours) == 1
    assert "Plan: 1 to add" in ours[0].body


def test_a_200_kb_plan_fits_in_a_comment_with_its_summary_and_every_change(
    project: Project,
) -> None:
    prompt = "Réécris le module {n} " + "é" * 700  # about 1.4 KB a task in UTF-8
    declare(project.root, 300, prompt)
    project.comment()
    [body] = project.marked()
    assert len(body.encode("utf-8")) < 60_000
    assert "Plan: 300 to add, 0 to change, 0 to destroy." in body
    assert all(f"`task.t{n:03d}`" in body for n in range(300))
    assert f"[the run's step summary]({RUN_URL})" in body
    assert "details are cut" in body
    assert body.startswith("<!-- agenttasks:plan v=1 ")


def test_exit_code_is_plan_s(project: Project) -> None:
    declare(project.root, 1)
    assert project.comment().code == ExitCode.OK
    assert project.comment(detailed_exitcode=True).code == ExitCode.CHANGES


def test_the_pull_request_comes_from_the_event_file(project: Project, tmp_path: Path) -> None:
    declare(project.root, 1)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR}}), encoding="utf-8")
    result = project.comment({**CI_ENV, "GITHUB_EVENT_PATH": str(event)}, pr=None)
    assert result.out.startswith("Created comment #")
    assert f"on pull request #{PR}" in result.out
    event.write_text(json.dumps({"push": {}}), encoding="utf-8")
    with pytest.raises(UsageError, match="not about a pull request; pass --pr N"):
        project.comment({**CI_ENV, "GITHUB_EVENT_PATH": str(event)}, pr=None)
    with pytest.raises(UsageError, match="no pull request to comment on: pass --pr N"):
        project.comment(CI_ENV, pr=None)
    with pytest.raises(UsageError, match="--repo OWNER/NAME or set GITHUB_REPOSITORY"):
        project.comment({})


@pytest.mark.e2e
def test_over_http_each_token_goes_only_to_its_own_endpoints(tmp_path: Path) -> None:
    """Served over loopback, so the Authorization headers are real: the sandbox maps each token
    to its own user and records whom every request came as."""
    (tmp_path / ".git").mkdir()  # the repository root, found from the working directory
    declare(tmp_path, 2)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR}}), encoding="utf-8")
    with ServedSandbox() as served:
        for token, user in ((AGENT_TOKEN, 101), (ACTIONS_TOKEN, 202)):
            served.control.post("/_sandbox/tokens", json={"token": token, "user_id": user})
        served.control.post("/_sandbox/pulls", json={"repo": REPO, "number": PR})
        env = {
            **CI_ENV,
            "AGENTTASKS_API_URL": served.url,
            "AGENTTASKS_TOKEN": AGENT_TOKEN,
            "GITHUB_TOKEN": ACTIONS_TOKEN,
            "GITHUB_EVENT_PATH": str(event),
        }
        runs = [run_main(["comment"], cwd=tmp_path, env=env) for _ in range(2)]
        recorded = served.requests()
        listed = httpx.get(
            f"{served.url}/repos/{REPO}/issues/{PR}/comments",
            headers={"Authorization": f"Bearer {ACTIONS_TOKEN}"},
        ).json()
    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    marker = parse_marker(listed[0]["body"])
    assert marker is not None
    assert marker.files == files_hash(["tasks.yaml"])
    assert runs[0].stdout.startswith("Created comment #")
    assert runs[1].stdout.startswith("Updated comment #")
    assert ACTIONS_TOKEN not in runs[0].stdout + runs[0].stderr
    agents = {r["user_id"] for r in recorded if r["path"].startswith("/agents/")}
    repos = {r["user_id"] for r in recorded if r["path"].startswith("/repos/")}
    assert (agents, repos) == ({101}, {202})
    users = sorted(r["user_id"] for r in recorded if r["path"] == "/user")
    assert users == [101, 101, 202, 202]  # the plan's token check; the comment's identity (403)
    [comment] = listed
    assert comment["user"]["login"] == ACTIONS_BOT
    assert "Plan: 2 to add" in comment["body"]


def test_the_client_reads_the_marker_back_for_the_apply_job(project: Project) -> None:
    declare(project.root, 2)
    project.comment()
    token = Token("sandbox", "the sandbox")
    transport = project.sandbox.transport()
    with CommentClient("https://api.github.com", token, REPO, transport=transport) as client:
        author = client.author()
        found = client.marked(PR, files=files_hash(["tasks.yaml"]), author=author)
        nothing = client.marked(PR, files=files_hash(["other.yaml"]), author=author)
        foreign = client.marked(PR, files=files_hash(["tasks.yaml"]), author="mallory")
    assert author == "sandbox-user-1"
    assert found is not None
    assert found.marker.digest.startswith("sha256:")
    assert found.marker.run == RUN_URL
    assert (nothing, foreign) == (None, None)
