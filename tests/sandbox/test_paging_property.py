"""Property: following ``Link`` next through any listing yields every matching task exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.sandbox import ManualClock, Sandbox
from tests.sandbox.conftest import client_for

REPO_TASKS = "/agents/repos/octo-org/web/tasks"


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=40), min_size=0, max_size=25),
    archived=st.sets(st.integers(min_value=0, max_value=24)),
    per_page=st.integers(min_value=1, max_value=7),
    sort=st.sampled_from(["created_at", "updated_at"]),
    direction=st.sampled_from(["asc", "desc"]),
)
def test_every_task_exactly_once_in_a_stable_order(
    gaps: list[int], archived: set[int], per_page: int, sort: str, direction: str
) -> None:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock)
    ids = []
    for gap in gaps:  # gaps of 0 make ties, which must still page without loss or repeats
        clock.advance(gap)
        ids.append(sandbox.create_task("octo-org/web", f"task after {gap}s"))
    for index in archived & set(range(len(ids))):
        sandbox.archive(ids[index])
    clock.advance(30)
    active = {ids[i] for i in range(len(ids)) if i not in archived}
    with client_for(sandbox) as http:
        query: dict[str, str | int] = {"per_page": per_page, "sort": sort, "direction": direction}
        whole = http.get(REPO_TASKS, params={**query, "per_page": 100}).json()
        seen: list[str] = []
        url: str | None = str(http.get(REPO_TASKS, params=query).url)
        while url:
            page = http.get(url)
            seen += [t["id"] for t in page.json()["tasks"]]
            url = page.links.get("next", {}).get("url")
    assert seen == [t["id"] for t in whole["tasks"]]
    assert sorted(seen) == sorted(active)
    stamps = [t[sort] for t in whole["tasks"]]
    assert stamps == sorted(stamps, reverse=direction == "desc")
    assert whole["total_active_count"] == len(active)


def test_concurrent_creates_from_threads_are_all_kept() -> None:
    sandbox = Sandbox(clock=ManualClock(), seed=2)
    with client_for(sandbox) as http, ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(
                lambda n: http.post(REPO_TASKS, json={"prompt": f"p{n}"}).status_code, range(64)
            )
        )
    assert codes == [201] * 64
    assert len({t.id for t in sandbox.tasks()}) == 64
    assert len(sandbox.requests) == 64
