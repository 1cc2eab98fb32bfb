"""Opt-in checks against real GitHub of the assumptions crash safety rests on (docs/live-checks.md).

Skipped unless AGENTTASKS_LIVE_TOKEN (a user token with the "Agent tasks" permission, read and
write) and AGENTTASKS_LIVE_REPO (owner/name, where one real task may be started) are set. One task
is created per run; it costs what any Copilot cloud-agent task costs. Observations go to the
JUnit properties (``--junitxml``) as well as being asserted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from reconciler.errors import NotFound, PermissionDenied, ValidationFailed
from reconciler.github.client import AgentTasksClient, open_client
from reconciler.github.endpoints import ListParams
from reconciler.github.session import ClientSettings, Hooks
from reconciler.models import RemoteTask, RequestBody, TaskState

TOKEN = os.environ.get("AGENTTASKS_LIVE_TOKEN", "")
REPO = os.environ.get("AGENTTASKS_LIVE_REPO", "")
# How long to follow the task to its end; a cloud-agent task usually takes minutes.
FOLLOW = float(os.environ.get("AGENTTASKS_LIVE_FOLLOW_SECONDS", "1800"))
SETTLE_WINDOW = 30 + 10 + 30  # post timeout + 10 s + 30 s (DESIGN §4)

pytestmark = pytest.mark.skipif(
    not (TOKEN and REPO), reason="set AGENTTASKS_LIVE_TOKEN and AGENTTASKS_LIVE_REPO to run"
)

# Blank lines, indentation, non-ASCII and a trailing newline inside: what "verbatim" must keep.
PROMPT = (
    "agenttasks live check: read the README and reply with a one-line summary.\n"
    "\n"
    "  Do not change any file, open no pull request. — Ünïcode ✓\n"
)

Record = Callable[[str, object], None]


@pytest.fixture(scope="module")
def client() -> Iterator[AgentTasksClient]:
    env = {"AGENTTASKS_TOKEN": TOKEN, "AGENTTASKS_API_URL": "https://api.github.com"}
    with open_client(None, env, settings=ClientSettings(), hooks=Hooks()) as made:
        yield made


@pytest.fixture(scope="module")
def created(client: AgentTasksClient) -> tuple[RemoteTask, float]:
    """The one task of the run, and the monotonic time its 201 arrived."""
    task = client.create_task(REPO, RequestBody(prompt=PROMPT))
    return task, time.monotonic()


def _listed(client: AgentTasksClient, task_id: str, params: ListParams) -> bool:
    return any(t.id == task_id for t in client.list_repo_tasks(REPO, params).tasks)


def test_a_created_task_is_listed_within_the_settle_window(
    client: AgentTasksClient, created: tuple[RemoteTask, float], record_property: Record
) -> None:
    task, at = created
    params = ListParams(sort="created_at", direction="desc", per_page=30)
    while not _listed(client, task.id, params):
        assert time.monotonic() - at < SETTLE_WINDOW, "not listed within the settle window"
        time.sleep(1)
    record_property("seconds_until_listed", round(time.monotonic() - at, 1))


def test_the_session_keeps_the_prompt_verbatim(
    client: AgentTasksClient, created: tuple[RemoteTask, float]
) -> None:
    detail = client.get_task(REPO, created[0].id)
    assert [s.prompt for s in detail.sessions][:1] == [PROMPT]


def test_creator_id_is_sent_as_repeated_parameters(
    client: AgentTasksClient, created: tuple[RemoteTask, float], record_property: Record
) -> None:
    task, me = created[0], client.user_id()
    assert task.creator_id == me
    both = ListParams(creator_ids=(me, me + 1), sort="created_at", direction="desc")
    assert _listed(client, task.id, both), "creator_id=ME&creator_id=OTHER hid my task"
    other = ListParams(creator_ids=(me + 1,), sort="created_at", direction="desc")
    assert not _listed(client, task.id, other), "creator_id=OTHER still listed my task"
    record_property("creator_id_form", "creator_id=1&creator_id=2")


def test_since_filters_on_updated_at_at_or_after(
    client: AgentTasksClient, created: tuple[RemoteTask, float]
) -> None:
    task = client.get_task(REPO, created[0].id)
    assert task.updated_at is not None
    at = ListParams(since=task.updated_at, sort="updated_at", direction="desc")
    later = ListParams(since=task.updated_at + timedelta(hours=1), sort="updated_at")
    assert _listed(client, task.id, at)
    assert not _listed(client, task.id, later)


def test_a_post_to_an_unknown_repository_is_refused_without_creating(
    client: AgentTasksClient, record_property: Record
) -> None:
    owner = REPO.split("/")[0]
    with pytest.raises((NotFound, PermissionDenied, ValidationFailed)) as caught:
        client.create_task(f"{owner}/agenttasks-no-such-repo-7f3c", RequestBody(prompt="x"))
    record_property("unknown_repo_status", caught.value.status)
    assert caught.value.status == 404


def test_which_state_a_finished_task_settles_in(
    client: AgentTasksClient, created: tuple[RemoteTask, float], record_property: Record
) -> None:
    task_id, started = created[0].id, created[1]
    seen: list[str] = []
    while time.monotonic() - started < FOLLOW:
        state = client.get_task(REPO, task_id).state
        if not seen or seen[-1] != state.value:
            seen.append(state.value)
        if state not in (TaskState.QUEUED, TaskState.IN_PROGRESS):
            break
        time.sleep(15)
    record_property("states_seen", " -> ".join(seen))
    assert seen[-1] != TaskState.UNKNOWN.value, f"a state this version does not know: {seen}"
    assert seen[-1] not in ("queued", "in_progress"), f"still running after {FOLLOW:.0f}s"
