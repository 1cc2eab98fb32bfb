"""The apply's report as text (the closing lines), JSON (``apply --format json``) and Markdown
(the step summary, and the pull-request comment after an apply)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from reconciler.apply.report import MAX_DURATION, ApplyStatus, Report
from reconciler.errors import ExitCode
from reconciler.render.json import FORMAT_VERSION
from reconciler.render.markdown import md_text, safe_link


def closing_line(report: Report) -> str:
    """Terraform's last line of an apply, then one line per key that did not go through."""
    imported, added = report.count(ApplyStatus.IMPORTED), report.count(ApplyStatus.CREATED)
    forgotten = report.count(ApplyStatus.FORGOTTEN)
    counts = f"{imported} imported, " if imported else ""
    counts += f"{added} added, 0 changed, 0 destroyed"
    counts += f", {forgotten} forgotten" if forgotten else ""
    if not (
        report.count(ApplyStatus.FAILED)
        or report.count(ApplyStatus.UNCONFIRMED)
        or report.interrupted
        or report.left
    ):
        return f"Apply complete! Tasks: {counts}."
    lines = [f"Apply finished with errors! Tasks: {counts}."]
    for outcome in report.outcomes:
        if outcome.detail == MAX_DURATION:
            continue  # one line for them all, below
        if outcome.status in (ApplyStatus.FAILED, ApplyStatus.UNCONFIRMED, ApplyStatus.SKIPPED):
            lines.append(f"  task.{outcome.key}: {outcome.status}: {outcome.detail}")
    if report.left:
        lines.append(f"  {report.left} left at --max-duration: the next apply goes on.")
    return "\n".join(lines)


def report_json(report: Report, code: ExitCode) -> str:
    """``apply --format json``: outcomes, counts and exit code (docs/plan-json.md)."""
    data = {
        "format_version": FORMAT_VERSION,
        "outcomes": [o.__dict__ for o in report.outcomes],
        "counts": {str(status): report.count(status) for status in ApplyStatus},
        "interrupted": report.interrupted is not None,
        "left": report.left,
        "exit_code": int(code),
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


_REPORT_SYMBOLS = {
    ApplyStatus.CREATED: "+",
    ApplyStatus.IMPORTED: "~",
    ApplyStatus.FORGOTTEN: "-",
    ApplyStatus.FAILED: "!",
    ApplyStatus.UNCONFIRMED: "?",
    ApplyStatus.SKIPPED: ".",
}


def report_markdown(report: Report, *, links: Mapping[str, str]) -> str:
    """The apply as Markdown: Terraform's closing line, then one item per key (symbol, key, what
    happened, the task with its link from ``links`` by key, the failure's detail)."""
    head, *_ = closing_line(report).split("\n")
    parts = ["### agenttasks apply\n\n", f"{md_text(head)}\n\n"]
    for outcome in report.outcomes:
        words = f"task.{outcome.key}: {outcome.status}"
        task = ""
        if outcome.task_id:
            task = f" task {md_text(outcome.task_id)}"
            if (url := links.get(outcome.key)) is not None:
                task += f" ({safe_link(url)})"
        detail = f": {md_text(outcome.detail)}" if outcome.detail else ""
        symbol = _REPORT_SYMBOLS[outcome.status]
        parts.append(f"- `{symbol}` {md_text(words)}{task}{detail}\n")
    if report.interrupted is not None:
        parts.append("\n_Interrupted: the keys not listed were not applied._\n")
    return "".join(parts) + ("\n" if report.outcomes else "")
