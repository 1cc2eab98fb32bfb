"""The state file's bytes do not depend on how a save reached them: ``Encoder`` (which keeps each
record's JSON between saves) writes exactly what ``encode`` writes, through any run of changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.models import RequestBody, TaskState
from reconciler.state.format import EarlierRun, Encoder, Intent, Record, State, Tombstone, encode

# Quotes, backslashes, newlines, non-ASCII and the text `"tasks": {}` itself: what could break
# a splice or a re-indent if the encoder were not exact.
_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['"tasks": {}', 'a"b', "line\nline", "back\\slash", "é ✓ 🚀", "  {}  "]),
)
_KEYS = st.one_of(st.from_regex(r"[a-z0-9][a-z0-9._-]{0,8}", fullmatch=True), _TEXT)
_WHEN = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
_STATES = st.sampled_from(list(TaskState))


@st.composite
def records(draw: st.DrawFn) -> Record:
    body = RequestBody(
        prompt=draw(_TEXT),
        base_ref=draw(st.none() | _TEXT),
        create_pull_request=draw(st.sampled_from([None, True])),
    )
    return Record(
        task_id=draw(_TEXT),
        repo=draw(_TEXT),
        digest="0" * 64,
        body=draw(st.none() | st.just(body)),
        attempt=draw(st.integers(1, 5)),
        creator_id=draw(st.none() | st.integers(1, 10**9)),
        created_at=draw(_WHEN),
        last_state=draw(st.none() | _STATES),
        earlier_runs=tuple(
            EarlierRun(task_id=t, note=n)
            for t, n in draw(st.lists(st.tuples(_TEXT, st.none() | _TEXT), max_size=2))
        ),
    )


# One step of an apply-like run: set (create or replace) or drop a record.
_STEPS = st.lists(st.tuples(_KEYS, st.none() | records()), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(start=st.dictionaries(_KEYS, records(), max_size=6), steps=_STEPS, extras=st.booleans())
def test_encoder_writes_what_encode_writes_through_any_run_of_saves(
    start: dict[str, Record], steps: list[tuple[str, Record | None]], extras: bool
) -> None:
    when = datetime(2026, 11, 24, tzinfo=UTC)
    state = State(lineage="l", serial=1, written_at=when, user_id=7, tasks=start)
    if extras:  # the sections around the spliced one must survive as they are
        body = RequestBody(prompt='say "tasks": {}')
        intent = Intent(
            key="k", repo="o/r", body=body, digest="d", server_time=when, started_at=when
        )
        grave = Tombstone(task_id="t", repo="o/r", forgotten_at=when)
        state = state.model_copy(update={"intents": {"k": intent}, "tombstones": {"z": grave}})
    encoder = Encoder()
    assert encoder(state) == encode(state)
    for number, (key, record) in enumerate(steps):
        tasks = dict(state.tasks)
        if record is None:
            tasks.pop(key, None)
        else:
            tasks[key] = record
        state = state.model_copy(
            update={
                "tasks": tasks,
                "serial": state.serial + 1,
                "written_at": when + timedelta(number),
            }
        )
        written = encoder(state)
        assert written == encode(state)
        assert State.model_validate(json.loads(written)) == state
