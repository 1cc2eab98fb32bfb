"""``--format json``: its shape, its verbs, and the documentation that describes it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from reconciler.render.json import FORMAT_VERSION, plan_json, status_json
from tests.render.plans import FILES, NOW, STATE, empty_plan, rich_plan

DOC = (Path(__file__).resolve().parents[2] / "docs" / "plan-json.md").read_text(encoding="utf-8")
OPAQUE = {"request_body", "buckets", "sync"}  # their own keys are API fields or enum values


def _plan() -> dict[str, object]:
    document = json.loads(plan_json(rich_plan(), files=FILES, state_path=STATE, now=NOW))
    assert isinstance(document, dict)
    return document


def _keys(value: object) -> set[str]:
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value))
    if not isinstance(value, dict):
        return set()
    found = set(value)
    for key, inner in value.items():
        if key not in OPAQUE or not isinstance(inner, dict):
            found |= _keys(inner)
    return found


def test_every_key_written_is_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", DOC, re.MULTILINE))
    status = json.loads(status_json(rich_plan().statuses, now=NOW))
    assert _keys(_plan()) | _keys(status) <= documented


def test_the_documented_version_is_the_one_written() -> None:
    assert f'currently **`"{FORMAT_VERSION}"`**' in DOC
    assert _plan()["format_version"] == FORMAT_VERSION


def test_actions_are_arrays_of_verbs_for_every_kind() -> None:
    changes = _plan()["task_changes"]
    assert isinstance(changes, list)
    verbs = {c["key"]: (c["kind"], c["actions"]) for c in changes}
    assert verbs == {
        "fix-login-button": ("create", ["create"]),
        "write-contributing": ("create", ["create"]),
        "adopted": ("import", ["import"]),
        "orphan": ("import", ["import", "forget"]),
        "speed-up-search": ("replace", ["create", "forget"]),
        "flaky-test": ("rerun", ["create", "forget"]),
        "manual": ("rerun", ["create", "forget"]),
        "vanished": ("recreate", ["create"]),
        "old-cleanup": ("forget", ["forget"]),
        "ignored-change": ("no-op", ["no-op"]),
        "lost": ("no-op", ["no-op"]),
        "tidy-readme": ("no-op", ["no-op"]),
    }
    for kind, actions in {k: a for k, a in verbs.values() if k != "import"}.items():
        assert f"| `{kind}` | `{json.dumps(actions)}` |" in DOC
    assert '| `import` | `["import"]`, or `["import", "forget"]`' in DOC


def test_changes_are_in_plan_order_and_bodies_are_whole() -> None:
    changes = _plan()["task_changes"]
    assert isinstance(changes, list)
    assert [c["key"] for c in changes][:3] == ["fix-login-button", "write-contributing", "adopted"]
    write = changes[1]
    assert write["request_body"]["prompt"].count("\n") == 8  # never clipped in JSON
    assert write["request_body"]["custom_agent"] == "docs-writer"
    forget = next(c for c in changes if c["kind"] == "forget")
    assert (forget["request_body"], forget["task_id"]) == (None, "4d4d4d4d")
    create = changes[0]
    assert (create["task_id"], create["old_task_id"], create["attempt"]) == (None, None, 1)


def test_the_summary_and_the_lists() -> None:
    document = _plan()
    assert document["summary"] == {
        "import": 2,
        "add": 6,
        "change": 0,
        "destroy": 0,
        "forget": 5,
        "changes": True,
    }
    assert document["unresolved"] == ["pending-create"]
    assert document["dropped_intents"] == ["fix-login-button"]
    assert document["targeted"] is True
    assert document["needs_attention"] == [
        {
            "key": "reborn",
            "message": "was run and forgotten on 2026-11-20; use --replace reborn to run it again",
        }
    ]


def test_statuses_carry_bucket_sync_and_times() -> None:
    statuses = _plan()["statuses"]
    assert isinstance(statuses, list)
    tidy = next(s for s in statuses if s["key"] == "tidy-readme")
    assert tidy["bucket"] == "progressing"
    assert tidy["created_at"] == "2026-11-24T11:48:00Z"
    assert tidy["age_seconds"] == 720
    unknown = next(s for s in statuses if s["key"] == "pending-create")
    assert (unknown["sync"], unknown["state"], unknown["bucket"]) == ("unknown", None, "unknown")


def test_an_empty_plan_has_every_key() -> None:
    document = json.loads(
        plan_json(empty_plan(tracked=False), files=FILES, state_path=STATE, now=NOW)
    )
    assert set(document) == set(_plan())
    assert document["summary"]["changes"] is False
    assert document["task_changes"] == []


def test_status_json_counts_every_bucket_and_sync() -> None:
    document = json.loads(status_json(rich_plan().statuses, now=NOW))
    assert document["summary"]["tracked"] == 11
    assert document["summary"]["buckets"] == {
        "progressing": 3,
        "needs a person": 2,
        "done": 2,
        "failed": 1,
        "unknown": 3,
    }
    assert document["summary"]["sync"] == {"synced": 3, "pending": 6, "unknown": 1, "missing": 1}
