"""A POST refused before the server saw it is retried safely (DESIGN §7).

Over HTTP the served sandbox cannot refuse a connection it already accepted (its ``refused``
fault is a reset there, docs/sandbox.md), so this runs ``apply_plan`` in-process against the
sandbox's ``MockTransport``, where ``refused`` is the ``httpx.ConnectError`` a closed port gives.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.apply.run import ApplySettings, apply_plan
from reconciler.commands.context import Context, GlobalOptions, Workspace
from reconciler.commands.plan import Selection, make_plan
from reconciler.github.auth import Token
from reconciler.github.client import AgentTasksClient
from reconciler.github.session import ClientSettings, Hooks
from reconciler.sandbox import FaultRule, Sandbox
from reconciler.spec.load import load
from reconciler.state.lock import StateLock
from reconciler.state.store import StateStore
from tests.apply.conftest import TOKEN, prompts, tasks_yaml


def test_a_refused_post_is_sent_again_and_creates_one_task(tmp_path: Path) -> None:
    sandbox = Sandbox(token=TOKEN)
    sandbox.add_fault(FaultRule.parse("POST:/agents/repos/*/tasks:refused:times=1"))
    (tmp_path / "tasks.yaml").write_text(tasks_yaml(prompts(1)), encoding="utf-8")
    sleeps: list[float] = []
    client = AgentTasksClient(
        "https://api.github.com",
        Token(TOKEN, "AGENTTASKS_TOKEN"),
        transport=sandbox.transport(),
        settings=ClientSettings(),
        hooks=Hooks(sleep=sleeps.append),
    )
    errors: list[str] = []
    progress: list[str] = []
    ctx = Context(GlobalOptions(), {}, errors.append)
    state_file = tmp_path / "agenttasks.state.json"
    with client, StateLock(state_file, command="apply") as lock:
        store = StateStore(lock)
        desired = load([tmp_path / "tasks.yaml"])
        work = Workspace(desired.files, state_file, desired, store.state)
        plan, _ = make_plan(ctx, work, Selection(), client)
        report = apply_plan(
            plan,
            client=client,
            store=store,
            progress=progress.append,
            settings=ApplySettings(min_interval=0.0),
        )
    assert report.exit_code == 0, progress
    assert [o.status for o in report.outcomes] == ["created"]
    posts = [r for r in sandbox.requests if r.method == "POST"]
    assert [r.fault for r in posts] == ["refused", None]
    assert len(sandbox.tasks()) == 1
    assert store.state.intents == {}
    assert list(store.state.tasks) == ["t00"]
