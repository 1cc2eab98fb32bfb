"""The apply report as JSON and text: every key and status documented (docs/plan-json.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from reconciler.apply.report import ApplyStatus, Report
from reconciler.errors import ExitCode
from reconciler.render.json import FORMAT_VERSION
from reconciler.render.report import closing_line, report_json

DOC = (Path(__file__).resolve().parents[2] / "docs" / "plan-json.md").read_text(encoding="utf-8")
SECTION = DOC[DOC.index("## The apply report") :]


def _every_status() -> Report:
    report = Report()
    for n, status in enumerate(ApplyStatus):
        report.add(f"k{n}", status, task_id=f"t{n}", detail="why" if n % 2 else "")
    return report


def test_every_key_and_status_written_is_documented() -> None:
    data = json.loads(report_json(_every_status(), ExitCode.PARTIAL))
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", SECTION, re.MULTILINE))
    assert set(data) | set(data["outcomes"][0]) | set(data["counts"]) <= documented
    assert {str(s) for s in ApplyStatus} <= documented
    assert data["format_version"] == FORMAT_VERSION


def test_counts_name_every_status_even_at_zero() -> None:
    data = json.loads(report_json(Report(), ExitCode.OK))
    assert data == {
        "counts": dict.fromkeys((str(s) for s in ApplyStatus), 0),
        "exit_code": 0,
        "format_version": FORMAT_VERSION,
        "interrupted": False,
        "left": 0,
        "outcomes": [],
    }


def test_the_closing_line_lists_what_did_not_go_through() -> None:
    report = Report()
    report.add("a", ApplyStatus.CREATED, task_id="t1")
    report.add("b", ApplyStatus.FAILED, detail="422: bad ref")
    report.add("c", ApplyStatus.SKIPPED, detail="--fail-fast")
    assert closing_line(report) == (
        "Apply finished with errors! Tasks: 1 added, 0 changed, 0 destroyed.\n"
        "  task.b: failed: 422: bad ref\n"
        "  task.c: skipped: --fail-fast"
    )
    assert report.exit_code == ExitCode.PARTIAL
