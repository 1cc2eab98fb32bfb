"""Every format of the rich plan, the empty plans and the status view, against golden files."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from reconciler.plan.model import Kind, Plan
from reconciler.render.json import plan_json, status_json
from reconciler.render.markdown import plan_markdown
from reconciler.render.text import plan_text, status_text
from tests.render.golden import assert_golden
from tests.render.plans import FILES, NOW, STATE, empty_plan, rich_plan

Render = Callable[[Plan], str]

RENDERERS: dict[str, Render] = {
    "txt": lambda p: plan_text(p, files=FILES, state_path=STATE, now=NOW),
    "color.txt": lambda p: plan_text(p, files=FILES, state_path=STATE, now=NOW, color=True),
    "json": lambda p: plan_json(p, files=FILES, state_path=STATE, now=NOW),
    "md": lambda p: plan_markdown(p, files=FILES, state_path=STATE, now=NOW),
}
PLANS: dict[str, Callable[[], Plan]] = {
    "rich": rich_plan,
    "empty": lambda: empty_plan(tracked=False),
    "empty-tracked": lambda: empty_plan(tracked=True),
}


@pytest.mark.parametrize("plan_name", sorted(PLANS))
@pytest.mark.parametrize("suffix", sorted(RENDERERS))
def test_plan_matches_its_golden_file(plan_name: str, suffix: str) -> None:
    assert_golden(f"plan-{plan_name}.{suffix}", RENDERERS[suffix](PLANS[plan_name]()))


def test_status_text_matches_its_golden_files() -> None:
    statuses = rich_plan().statuses
    assert_golden("status.txt", status_text(statuses, now=NOW))
    assert_golden("status.color.txt", status_text(statuses, now=NOW, color=True))
    assert_golden("status.json", status_json(statuses, now=NOW))


def test_status_with_nothing_tracked() -> None:
    assert status_text((), now=NOW) == "No tracked tasks.\n"
    assert '"statuses": []' in status_json((), now=NOW)


def test_the_apply_report_in_markdown_matches_its_golden_file() -> None:
    from reconciler.apply.report import ApplyStatus, Report
    from reconciler.render.report import report_markdown
    from tests.render.plans import url

    report = Report()
    report.add("fix-login-button", ApplyStatus.CREATED, "a1b2c3d4")
    report.add("adopted", ApplyStatus.IMPORTED, "1a2b3c4d")
    report.add("old-cleanup", ApplyStatus.FORGOTTEN, "4d4d4d4d")
    report.add("flaky-test", ApplyStatus.FAILED, detail="422: the repository has no Copilot agent")
    report.add("write-contributing", ApplyStatus.SKIPPED, detail="--fail-fast stopped the run")
    links = {
        "fix-login-button": url("octo-org/web", "a1b2c3d4"),
        "adopted": url("octo-org/api", "1a2b3c4d"),
    }
    assert_golden("apply-report.md", report_markdown(report, links=links))


ATLANTIS = re.compile(r"Plan: (\d+) to import, (\d+) to add, (\d+) to change, (\d+) to destroy")
ATLANTIS_NO_IMPORT = re.compile(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy")


def test_the_markdown_summary_matches_atlantis_regexes() -> None:
    rich = plan_markdown(rich_plan(), files=FILES, state_path=STATE, now=NOW)
    assert ATLANTIS.search(rich) is not None
    assert ATLANTIS.search(rich).groups() == ("2", "6", "0", "0")  # type: ignore[union-attr]
    creates = Plan(actions=tuple(a for a in rich_plan().actions if a.kind == Kind.CREATE))
    plain = plan_markdown(creates, files=FILES, state_path=STATE, now=NOW)
    found = ATLANTIS_NO_IMPORT.search(plain)
    assert found is not None
    assert found.groups() == ("2", "0", "0")
