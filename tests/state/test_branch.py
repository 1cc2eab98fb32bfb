"""``github:`` state: a file on a branch, one commit per save, the ref swap as compare-and-swap and
the lock in the same tree as the fence (CI.md §2.1), against the in-process sandbox's git data."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.context import Context, GlobalOptions
from reconciler.commands.plan import Selection, run_plan
from reconciler.commands.state_edit import run_force_unlock, run_list, run_migrate
from reconciler.errors import ConfigError, StateConflict, UsageError
from reconciler.github.auth import Token
from reconciler.github.repos import RepoClient
from reconciler.github.session import ClientSettings, Hooks
from reconciler.sandbox import ManualClock, Sandbox
from reconciler.state.backend import Lease
from reconciler.state.branch import BranchBackend
from reconciler.state.format import State
from reconciler.state.location import GithubFile
from reconciler.state.store import StateStore

REPO, BRANCH, PATH = "octo/web", "agenttasks-state", "tasks.state.json"
WHERE = GithubFile(REPO, BRANCH, PATH)
ACTIONS_TOKEN = "ghs_actionsTokenForTheStateBranch0000000"
AGENT_TOKEN = "github_pat_agentTasksTokenNeverOnTheBranch00"


class Recording(httpx.BaseTransport):
    """The sandbox's transport, keeping each request's path and Authorization header."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.seen = inner, list[tuple[str, str, str]]()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization", "")
        self.seen.append((request.method, request.url.path, auth))
        return self.inner.handle_request(request)


def backend(
    sb: Sandbox, environ: dict[str, str] | None = None, transport: httpx.BaseTransport | None = None
) -> BranchBackend:
    client = RepoClient(
        "https://api.github.com",
        Token(ACTIONS_TOKEN, "GITHUB_TOKEN"),
        REPO,
        transport=transport or sb.transport(),
        settings=ClientSettings(),
        hooks=Hooks(sleep=lambda s: None),
    )
    return BranchBackend(client, WHERE, repo=REPO, environ=environ or {}, sleep=lambda s: None)


def lock(
    store: BranchBackend, command: str = "apply", timeout: float | None = None
) -> AbstractContextManager[Lease]:
    return store.lock(command=command, timeout=timeout, run_url=None, on_wait=None)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sb(clock: ManualClock) -> Sandbox:
    return Sandbox(clock=clock)


def test_a_save_is_one_commit_on_the_branch_and_the_lock_leaves_with_the_run(sb: Sandbox) -> None:
    states = backend(sb)
    assert states.read().state is None
    with lock(states) as lease:
        store = StateStore(lease)
        saved = store.save(store.state, sb.now())
        assert sb.file(REPO, f"{PATH}.lock.json", f"heads/{BRANCH}") is not None
    assert sb.file(REPO, f"{PATH}.lock.json", f"heads/{BRANCH}") is None
    on_branch = sb.file(REPO, PATH, f"heads/{BRANCH}")
    assert on_branch is not None
    assert json.loads(on_branch)["serial"] == saved.serial == 1
    snapshot = states.read()
    assert snapshot.state == saved
    assert snapshot.version == sb.ref(REPO, f"heads/{BRANCH}")
    writes = [(r.method, r.path.split("/git/")[1]) for r in sb.requests if r.method != "GET"]
    swap = ("PATCH", f"refs/heads/{BRANCH}")
    # The lock creates the branch; the save and the unlock are three requests each.
    assert (
        writes
        == [("POST", "trees"), ("POST", "commits"), ("POST", "refs")]
        + [
            ("POST", "trees"),
            ("POST", "commits"),
            swap,
        ]
        * 2
    )
    assert sb.file(REPO, "README.md", f"heads/{BRANCH}") is None  # the branch holds only ours


def test_a_held_lock_names_its_holder_and_a_lapsed_lease_is_taken_over(
    sb: Sandbox, clock: ManualClock
) -> None:
    first, second = backend(sb), backend(sb)
    with lock(first, "apply --yes") as held:
        with pytest.raises(StateConflict) as refused, lock(second):
            pass
        holder = held.holder
        assert holder is not None
        assert f"lock id {holder.lock_id}" in str(refused.value)
        assert '"apply --yes"' in str(refused.value)
        assert refused.value.exit_code == 5
        clock.advance(timedelta(minutes=31).total_seconds())  # the lease lapses
        with lock(second) as taken:
            assert taken.holder is not None
            assert taken.holder.lock_id != holder.lock_id
        with pytest.raises(StateConflict, match="broken or taken over"):
            StateStore(held).save(State(), sb.now())


def test_a_broken_lock_fences_its_old_holder(sb: Sandbox) -> None:
    states = backend(sb)
    with lock(states) as lease:
        store = StateStore(lease)
        store.save(store.state, sb.now())
        assert lease.holder is not None
        message = backend(sb).force_unlock(lease.holder.lock_id)
        assert "its next write will fail" in message
        before = sb.ref(REPO, f"heads/{BRANCH}")
        with pytest.raises(StateConflict, match="broken or taken over"):
            store.save(store.state, sb.now())
        assert sb.ref(REPO, f"heads/{BRANCH}") == before  # nothing written
    kept = states.read().state
    assert kept is not None
    assert kept.serial == 1


def test_another_writer_on_the_branch_is_committed_over_not_overwritten(sb: Sandbox) -> None:
    states = backend(sb)
    with lock(states) as lease:
        store = StateStore(lease)
        store.save(store.state, sb.now())
        # Another state on the same branch moves the head between our read and our swap.
        sb.add_fault(f"PATCH:/repos/{REPO}/git/refs/heads/{BRANCH}:race:times=1")
        saved = store.save(store.state, sb.now())
    assert states.read().state == saved
    assert saved.serial == 2
    assert any(r.fault == "race" for r in sb.requests)


def test_a_state_changed_behind_the_lock_is_never_overwritten(sb: Sandbox) -> None:
    states = backend(sb)
    with lock(states) as lease:
        store = StateStore(lease)
        store.save(store.state, sb.now())
        sb.commit(REPO, BRANCH, {PATH: '{"edited": "by hand"}'})
        with pytest.raises(StateConflict, match="changed by another writer"):
            store.save(store.state, sb.now())
    assert sb.file(REPO, PATH, f"heads/{BRANCH}") == b'{"edited": "by hand"}'


def test_a_holder_whose_workflow_run_completed_is_dead(sb: Sandbox) -> None:
    run = sb.set_run(REPO, status="in_progress")
    ci = {"GITHUB_REPOSITORY": REPO, "GITHUB_RUN_ID": str(run), "GITHUB_RUN_ATTEMPT": "1"}
    other = {"GITHUB_REPOSITORY": REPO, "GITHUB_RUN_ID": "999", "GITHUB_RUN_ATTEMPT": "1"}
    with lock(backend(sb, ci)):
        with pytest.raises(StateConflict, match="locked"), lock(backend(sb, other)):
            pass
        sb.set_run(REPO, run, status="completed")
        with lock(backend(sb, other)) as taken:
            assert taken.holder is not None


def test_an_earlier_attempt_of_the_same_run_is_dead(sb: Sandbox) -> None:
    first = {"GITHUB_REPOSITORY": REPO, "GITHUB_RUN_ID": "41", "GITHUB_RUN_ATTEMPT": "1"}
    again = {**first, "GITHUB_RUN_ATTEMPT": "2"}
    with lock(backend(sb, first)), lock(backend(sb, again)) as taken:
        assert taken.holder is not None


def test_only_the_actions_token_reaches_the_repository(sb: Sandbox) -> None:
    recording = Recording(sb.transport())
    states = backend(sb, transport=recording)
    with lock(states) as lease:
        StateStore(lease).save(State(), sb.now())
    assert recording.seen
    assert {auth for _, _, auth in recording.seen} == {f"Bearer {ACTIONS_TOKEN}"}
    assert all(path.startswith(f"/repos/{REPO}/") for _, path, _ in recording.seen)


def test_apply_and_plan_keep_their_state_on_the_branch(tmp_path: Path) -> None:
    ctx, files, out = _project(tmp_path)
    state = f"github:{BRANCH}:{PATH}"
    applied = run_apply(
        ctx,
        files=files,
        state=state,
        plan_path=None,
        selection=Selection(),
        options=ApplyOptions(yes=True, min_interval=0.0),
    )
    assert applied.code == 0, out
    listed = run_list(ctx, files=files, state=state).out
    assert [line.split("\t")[0] for line in listed.splitlines()] == ["t0", "t1", "t2"]
    planned = run_plan(
        ctx,
        files=files,
        state=state,
        fmt="text",
        out=None,
        detailed_exitcode=True,
        selection=Selection(),
    )
    assert planned.code == 0, planned.out
    assert (
        f"state: {state}" in planned.out or f"state: github:{REPO}@{BRANCH}:{PATH}" in planned.out
    )
    assert not (tmp_path / PATH).exists()  # nothing local
    with pytest.raises(StateConflict, match="not locked"):
        run_force_unlock(ctx, files=files, state=state, lock_id="nope")


def _project(tmp_path: Path) -> tuple[Context, list[Path], list[str]]:
    (tmp_path / "tasks.yaml").write_text(
        "version: 1\ndefaults:\n  repo: octo/web\ntasks:\n"
        + "".join(f"  t{n}:\n    prompt: Task number {n}.\n" for n in range(3)),
        encoding="utf-8",
    )
    out: list[str] = []
    ctx = Context(
        GlobalOptions(api_url=f"sandbox:{tmp_path / 'sb.json'}?speed=1000"),
        {"GITHUB_REPOSITORY": REPO},
        out.append,
        out=out.append,
    )
    return ctx, [tmp_path / "tasks.yaml"], out


def test_migrate_round_trips_the_state_unchanged(tmp_path: Path) -> None:
    ctx, files, out = _project(tmp_path)
    local = str(tmp_path / "agenttasks.state.json")
    options = ApplyOptions(yes=True, min_interval=0.0)
    applied = run_apply(
        ctx, files=files, state=local, plan_path=None, selection=Selection(), options=options
    )
    assert applied.code == 0, out
    original = Path(local).read_bytes()
    on_branch = f"github:{BRANCH}:{PATH}"
    said = run_migrate(ctx, files=files, state=local, to=on_branch, lock_timeout=None).out
    assert "read it back" in said
    back = str(tmp_path / "back.state.json")
    run_migrate(ctx, files=files, state=on_branch, to=back, lock_timeout=None)
    assert json.loads(Path(back).read_bytes()) == json.loads(original)  # lineage, serial, times
    assert Path(local).read_bytes() == original  # the source is kept as it was
    planned = run_plan(
        ctx,
        files=files,
        state=on_branch,
        fmt="text",
        out=None,
        detailed_exitcode=True,
        selection=Selection(),
    )
    assert planned.code == 0, planned.out


def test_migrate_refuses_a_target_holding_another_state(tmp_path: Path) -> None:
    ctx, files, _ = _project(tmp_path)
    first, second = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    for where in (first, second):
        run_apply(
            ctx,
            files=files,
            state=where,
            plan_path=None,
            selection=Selection(targets=("t0",)),
            options=ApplyOptions(yes=True, min_interval=0.0),
        )
    before = Path(first).read_bytes(), Path(second).read_bytes()
    with pytest.raises(StateConflict, match="holds another state"):
        run_migrate(ctx, files=files, state=first, to=second, lock_timeout=None)
    assert (Path(first).read_bytes(), Path(second).read_bytes()) == before


def test_an_empty_repository_is_named_not_a_crash(sb: Sandbox) -> None:
    sb.set_repo(REPO, empty=True)
    with pytest.raises(ConfigError, match="is empty, and an empty repository cannot hold branches"):
        backend(sb).read()


@pytest.mark.parametrize("location", ["http://host/state.json", "github:main", "s3://B/", ""])
def test_a_bad_state_location_names_the_accepted_forms(tmp_path: Path, location: str) -> None:
    ctx, files, _ = _project(tmp_path)
    with pytest.raises(UsageError) as refused:
        run_list(ctx, files=files, state=location)
    assert str(refused.value).startswith(f"--state {location!r}: ")
    assert str(refused.value).endswith(
        "use a path, github:BRANCH:PATH, github:OWNER/REPO@BRANCH:PATH or s3://BUCKET/KEY"
    )
