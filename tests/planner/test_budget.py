"""The refresh's request budget (DESIGN §4), counted by the sandbox's recorded requests."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from reconciler.github.auth import Token
from reconciler.github.client import AgentTasksClient
from reconciler.plan.model import Kind, Sync
from reconciler.plan.planner import Options, plan
from reconciler.plan.refresh import refresh
from reconciler.sandbox import ManualClock, Sandbox
from reconciler.state.format import Record, State
from tests.planner.builders import NOW, USER, declared, desired

WEB, API, DOCS = "octo/web", "octo/api", "octo/docs"


def _seed(sb: Sandbox, repo: str, count: int, prefix: str) -> dict[str, Record]:
    records = {}
    for i in range(count):
        spec = declared(f"{prefix}{i:03d}", repo=repo)
        task_id = sb.create_task(repo, spec.body.prompt, creator_id=USER)
        records[spec.key] = Record(
            task_id=task_id,
            repo=repo,
            digest=spec.digest,
            body=spec.body,
            creator_id=USER,
            created_at=sb.now(),
        )
    return records


def _kind(path: str, query: tuple[tuple[str, str], ...]) -> str:
    if path == "/user":
        return "user"
    repo = "/".join(path.split("/")[3:5])
    if path.endswith("/tasks"):
        archived = ("is_archived", "true") in query
        return f"{'archived' if archived else 'list'} {repo}"
    return f"get {repo}"


def test_refresh_costs_pages_plus_missing_plus_candidates() -> None:
    clock = ManualClock(NOW)
    sb = Sandbox(user_id=USER, clock=clock)
    records = _seed(sb, WEB, 250, "w") | _seed(sb, API, 30, "a")
    # Two web tasks leave the active listing (archived, deleted): one archived listing.
    web_ids = [r.task_id for k, r in sorted(records.items()) if r.repo == WEB]
    sb.archive(web_ids[0])
    sb.delete(web_ids[1])
    # One api task is deleted: one GET.
    api_ids = [r.task_id for k, r in sorted(records.items()) if r.repo == API]
    sb.delete(api_ids[0])
    # A recordless key in docs with a lookalike by the same user: one GET per candidate.
    lost = declared("lost", repo=DOCS, prompt="Write the docs.")
    sb.create_task(DOCS, lost.body.prompt, creator_id=USER)
    sb.create_task(DOCS, "Something else.", creator_id=USER)
    saved = State(
        lineage="l", serial=1, written_at=NOW - timedelta(minutes=1), user_id=USER, tasks=records
    )
    wanted = desired(
        *(declared(k, repo=r.repo) for k, r in records.items()), lost, max_creates=1000
    )
    clock.advance(60)
    sb.clear_requests()
    with AgentTasksClient(
        "https://api.github.com", Token("t", "a test"), transport=sb.transport()
    ) as client:
        remote = refresh(client, wanted, saved, sb.now(), Options())
    result = plan(wanted, saved, remote, sb.now(), Options(max_creates=1000))
    counted = Counter(_kind(r.path, r.query) for r in sb.requests)
    assert counted == {
        "user": 1,
        f"list {WEB}": 3,  # 248 active tasks, 100 a page
        f"archived {WEB}": 1,
        f"list {API}": 1,
        f"get {API}": 1,
        f"list {DOCS}": 1,
        # DESIGN §4: a key to match takes its candidates from the active and archived listings.
        f"archived {DOCS}": 1,
        f"get {DOCS}": 2,  # both unknown tasks by this user are candidates; one matches
    }
    kinds = {a.key: a.kind for a in result.actions}
    assert kinds["lost"] == Kind.IMPORT
    web_keys = sorted(k for k, r in records.items() if r.repo == WEB)
    assert kinds[web_keys[0]] == Kind.NOOP  # archived: shown, never recreated
    assert kinds[web_keys[1]] == Kind.RECREATE
    assert {s.key: s.sync for s in result.statuses}[web_keys[0]] == Sync.SYNCED


def test_listing_filters_by_creator_and_since() -> None:
    clock = ManualClock(NOW)
    sb = Sandbox(user_id=USER, clock=clock)
    records = _seed(sb, WEB, 3, "w")
    saved = State(lineage="l", serial=1, written_at=NOW, user_id=USER, tasks=records)
    wanted = desired(*(declared(k, repo=r.repo) for k, r in records.items()))
    sb.clear_requests()
    with AgentTasksClient(
        "https://api.github.com", Token("t", "a test"), transport=sb.transport()
    ) as client:
        refresh(client, wanted, saved, NOW, Options())
    [listing] = [r for r in sb.requests if r.path.endswith("/tasks")]
    query = dict(listing.query)
    assert (query["sort"], query["direction"], query["per_page"]) == ("created_at", "asc", "100")
    assert query["creator_id"] == str(USER)
    assert query["since"].startswith(NOW.strftime("%Y-%m-%dT%H:%M"))


def test_one_missing_id_costs_one_get_not_a_listing() -> None:
    sb = Sandbox(user_id=USER, clock=ManualClock(NOW))
    records = _seed(sb, WEB, 5, "w")
    sb.archive(next(iter(records.values())).task_id)
    saved = State(lineage="l", serial=1, written_at=NOW, user_id=USER, tasks=records)
    wanted = desired(*(declared(k, repo=r.repo) for k, r in records.items()))
    sb.clear_requests()
    with AgentTasksClient(
        "https://api.github.com", Token("t", "a test"), transport=sb.transport()
    ) as client:
        refresh(client, wanted, saved, NOW, Options())
    assert Counter(_kind(r.path, r.query) for r in sb.requests) == {
        "user": 1,
        f"list {WEB}": 1,
        f"get {WEB}": 1,
    }
