"""One identity rule: the end of an apply, the next plan and ``import`` tell one story.

An apply's POST is committed by the sandbox but its answer is lost (``commit_then_drop``), while
a second task started from the same spec appears (another run of the same tasks file, seeded
through the sandbox's control route while this apply asks for approval). The unfinished create
now matches two tasks: the end-of-apply re-check must not confirm either, and must say what the
next plan refuses with, naming both ids and the ``import`` command; ``import`` must then judge a
task id by the planner's rule, not by its prompt alone.

The commands run in-process (``reconciler.commands.*``) against a served sandbox, the only
sandbox whose faults and tasks can be changed while a command runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.context import Context, GlobalOptions, Result
from reconciler.commands.plan import Selection, run_plan
from reconciler.commands.state_edit import run_import
from reconciler.errors import AgentTasksError, ExitCode, StateConflict
from tests.apply.conftest import TOKEN, Sandbox, tasks_yaml

pytestmark = pytest.mark.e2e

PROMPT = "Fix the login button."
SPEC = {"prompt": PROMPT, "base_ref": "main"}


class Run:
    """A project directory and the context its commands run with, collecting what they print."""

    def __init__(self, root: Path, sandbox: Sandbox, repo: str) -> None:
        self.root, self.sandbox, self.repo = root, sandbox, repo
        self.file = root / "tasks.yaml"
        self.file.write_text(tasks_yaml({"k": SPEC}, repo=repo), encoding="utf-8")
        self.out: list[str] = []
        self.err: list[str] = []
        self.seeded: list[str] = []
        self.ctx = Context(
            GlobalOptions(api_url=sandbox.url, post_timeout=1.0),
            {"AGENTTASKS_TOKEN": TOKEN},
            self.err.append,
            interactive=True,
            out=self.out.append,
            ask=self._another_run_starts_it,
        )

    @property
    def lines(self) -> list[str]:
        """What the commands printed so far, line by line."""
        return "\n".join(self.out).splitlines()

    def seed(self, **fields: str) -> str:
        """A task in the sandbox, by the token's user, as if started by another run."""
        answer = self.sandbox.control.post("/_sandbox/tasks", json={"repo": self.repo, **fields})
        answer.raise_for_status()
        task_id = str(answer.json()["id"])
        self.seeded.append(task_id)
        return task_id

    def _another_run_starts_it(self, question: str) -> str:
        self.seed(**SPEC)
        return "yes"

    def apply(self) -> Result:
        options = ApplyOptions(min_interval=0.0)
        return run_apply(
            self.ctx,
            files=[self.file],
            state=None,
            plan_path=None,
            selection=Selection(),
            options=options,
        )

    def plan(self) -> Result:
        return run_plan(
            self.ctx,
            files=[self.file],
            state=None,
            fmt="text",
            out=None,
            detailed_exitcode=True,
            selection=Selection(),
        )

    def import_(self, task_id: str) -> Result:
        return run_import(
            self.ctx,
            files=[self.file],
            state=None,
            key="k",
            task_id=task_id,
            force=False,
            lock_timeout=None,
        )


def test_an_unfinished_create_matching_two_tasks_is_refused_alike_by_apply_plan_and_import(
    tmp_path: Path, sandbox: Sandbox, repo: str
) -> None:
    run = Run(tmp_path, sandbox, repo)
    decoy = run.seed(prompt=PROMPT, base_ref="release")  # same prompt, another base_ref
    sandbox.add_fault("POST:/agents/repos/*/tasks:commit_then_drop:times=1")

    applied = run.apply()

    assert applied.code == ExitCode.PARTIAL, run.out
    [other] = [i for i in run.seeded if i != decoy]
    [posted] = [t["id"] for t in sandbox.tasks(repo) if t["id"] not in run.seeded]
    [line] = [x for x in run.lines if x.startswith("  task.k: unconfirmed: ")]
    told_by_apply = line.removeprefix("  task.k: unconfirmed: ")
    assert told_by_apply in {
        f"the unfinished create of 'k' matches 2 tasks ({a}, {b}); choose the right one with:"
        " agenttasks import k TASK_ID"
        for a, b in ((posted, other), (other, posted))  # newest first; both started this second
    }

    with pytest.raises(StateConflict) as refused:
        run.plan()
    assert str(refused.value) == told_by_apply  # the same words, the same ids, the same order
    assert refused.value.exit_code == 5

    # import judges an id by the planner's rule: the decoy's prompt matches, its base_ref not.
    with pytest.raises(AgentTasksError) as wrong:
        run.import_(decoy)
    assert str(wrong.value) == (
        f"task {decoy} was not started from the base_ref of the unfinished create of 'k';"
        " check the id, or pass --force to record it anyway"
    )
    # Either listed id resolves the ambiguity; the other task is left alone on GitHub.
    imported = run.import_(other)
    assert imported.out.startswith(f"Imported task {other} ")
    resolved = run.plan()
    assert resolved.code == ExitCode.OK, resolved.out
    assert "No changes." in resolved.out
    assert len(sandbox.tasks(repo)) == 3


def test_an_unfinished_create_matching_one_task_is_confirmed_and_imported(
    tmp_path: Path, sandbox: Sandbox, repo: str
) -> None:
    """The same run without the second task: one match, confirmed by apply, imported by plan."""
    run = Run(tmp_path, sandbox, repo)
    run.ctx = Context(
        run.ctx.options, run.ctx.env, run.err.append, out=run.out.append, interactive=False
    )
    sandbox.add_fault("POST:/agents/repos/*/tasks:commit_then_drop:times=1")

    applied = run_apply(
        run.ctx,
        files=[run.file],
        state=None,
        plan_path=None,
        selection=Selection(),
        options=ApplyOptions(yes=True, min_interval=0.0),
    )

    assert applied.code == ExitCode.PARTIAL, run.out
    [posted] = [t["id"] for t in sandbox.tasks(repo)]
    assert f"  task.k: unconfirmed: confirmed (will be imported): task {posted}" in run.lines
    planned = run.plan()
    assert "Plan: 1 to import, 0 to add" in planned.out, planned.out


def test_import_without_an_unfinished_create_judges_by_the_declared_spec(
    tmp_path: Path, sandbox: Sandbox, repo: str
) -> None:
    run = Run(tmp_path, sandbox, repo)
    decoy = run.seed(prompt=PROMPT, base_ref="release")
    with pytest.raises(AgentTasksError) as wrong:
        run.import_(decoy)
    assert str(wrong.value) == (
        f"task {decoy} was not started from the base_ref declared for 'k'; check the id,"
        " or pass --force to record it anyway"
    )
    started = run.seed(**SPEC)
    assert run.import_(started).out.startswith(f"Imported task {started} ")
