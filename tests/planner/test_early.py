"""The listings a plan reads while its tasks files parse (``commands/prefetch.py``) hold what the
plan's own queries would have been answered, whatever the files declare: so the plan never asks
a repository twice, and plans from the same answers."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from reconciler.models import Desired
from reconciler.plan.planner import Options
from reconciler.plan.refresh import Early, Query, early_queries, queries
from reconciler.state.format import State
from tests.planner.builders import (
    NOW,
    OTHER,
    USER,
    declared,
    desired,
    intent,
    record,
    remote_task,
    state,
)

REPOS = ("octo/web", "octo/api", "Octo/Docs")
# Ages in seconds: some within minutes of now (the clock's own jitter matters there), some days.
AGES = st.one_of(
    st.floats(min_value=0, max_value=600), st.floats(min_value=0, max_value=90 * 86400)
).map(lambda seconds: timedelta(seconds=seconds))


@st.composite
def histories(draw: st.DrawFn) -> tuple[State, Desired, Options]:
    """A state (records of two creators, intents) and tasks files that keep, drop and add keys
    in its repositories and others, with a selection."""
    tracked = draw(st.lists(st.tuples(st.sampled_from(REPOS), AGES, st.booleans()), max_size=6))
    records, intents = {}, {}
    for n, (repo, age, theirs) in enumerate(tracked):
        spec = declared(f"r{n}", repo=repo)
        creator = OTHER if theirs else USER
        records[spec.key] = record(spec, f"id-{n}", creator=creator, created=NOW - age)
    for n, (repo, age) in enumerate(draw(st.lists(st.tuples(st.sampled_from(REPOS), AGES)))):
        spec = declared(f"i{n}", repo=repo)
        intents[spec.key] = intent(spec, age=age)
    kept = [declared(k, repo=r.repo) for k, r in records.items() if draw(st.booleans())]
    added = [
        declared(f"new{n}", repo=repo)
        for n, repo in enumerate(draw(st.lists(st.sampled_from((*REPOS, "octo/new")))))
    ]
    targets = draw(st.sampled_from(((), ("r*",), ("new*",), ("i*", "new0"))))
    window = draw(st.sampled_from((timedelta(0), timedelta(days=1), timedelta(days=30))))
    options = Options(targets=targets, adopt_window=window)
    return state(records, intents), desired(*kept, *added), options


@given(histories(), st.floats(min_value=-120.0, max_value=600.0))
def test_every_early_listing_covers_the_plans_own_query(
    history: tuple[State, Desired, Options], later: float
) -> None:
    """``later``: seconds from the early queries' server time to the plan's own, which may read
    behind it (a whole-second ``Date`` plus the monotonic time since) or much later."""
    stored, files, options = history
    early = early_queries(stored, USER, NOW, options)
    own = queries(files, stored, USER, NOW + timedelta(seconds=later), options)
    assert set(early) <= set(own)  # nothing is listed that the plan would not list
    for key, query in early.items():
        assert Early(query, ()).covers(own[key]), (query, own[key])


def test_a_new_key_in_a_repository_of_recent_tasks_is_covered() -> None:
    """The daily case: a task added to a repository whose tracked tasks are two days old. The
    plan's query reaches back the adopt window; the early listing did already."""
    old = declared("old")
    stored = state({"old": record(old, "t-1", created=NOW - timedelta(days=2))})
    files = desired(old, declared("added"))
    options = Options(adopt_window=timedelta(days=30))
    early = early_queries(stored, USER, NOW, options)["octo/web"]
    own = queries(files, stored, USER, NOW, options)["octo/web"]
    assert own.since == NOW - timedelta(days=30)
    assert own.since is not None
    assert early.since is not None
    assert own.since - timedelta(minutes=10) < early.since <= own.since  # a little slack
    assert Early(early, ()).covers(own)


def test_narrowing_keeps_what_the_later_since_would_have_listed() -> None:
    """``since`` means "updated at or after": an early listing reaching further back is cut to
    what the plan's own query would have been answered, and a task without ``updated_at`` is
    kept (the server may have listed it)."""
    old = declared("old")
    stored = state({"old": record(old, "t-1", created=NOW - timedelta(days=60))})
    options = Options(adopt_window=timedelta(days=30))
    early = early_queries(stored, USER, NOW, options)["octo/web"]
    later = Query(early.repo, NOW - timedelta(days=40), early.creator_ids, None)
    before = remote_task("before", created=NOW - timedelta(days=50))
    on_time = remote_task("on-time", created=NOW - timedelta(days=40))
    unknown = before.model_copy(update={"id": "unknown", "updated_at": None})
    listing = Early(early, (before, on_time, unknown))
    assert listing.covers(later)
    assert [t.id for t in listing.narrowed(later)] == ["on-time", "unknown"]
    assert listing.narrowed(early) == listing.tasks


def test_another_creator_set_is_never_covered() -> None:
    """A listing narrowed to other creators cannot stand for the plan's."""
    spec = declared("k")
    stored = state({"k": record(spec, "t-1", creator=OTHER)})
    early = early_queries(stored, USER, NOW, Options())["octo/web"]
    assert early.creator_ids == (USER, OTHER)
    mine = Query(early.repo, early.since, (USER,), None)
    assert not Early(early, ()).covers(mine)
    assert not Early(mine, ()).covers(early)


def test_the_plans_clock_reading_behind_the_early_one_is_still_covered() -> None:
    """The server's time is the last whole-second ``Date`` plus the time since: the plan's own
    read may come out a second behind the early one. With a task applied a moment ago and a
    new key beside it (window 0), the plan's own ``since`` is that earlier instant."""
    old = declared("old")
    stored = state({"old": record(old, "t-1", created=NOW - timedelta(seconds=1))})
    files = desired(old, declared("added"))
    options = Options(adopt_window=timedelta(0))
    early = early_queries(stored, USER, NOW, options)["octo/web"]
    own = queries(files, stored, USER, NOW - timedelta(seconds=1.5), options)["octo/web"]
    assert own.since == NOW - timedelta(seconds=1.5)
    assert Early(early, ()).covers(own)
