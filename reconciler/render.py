"""Plans and live states as text, JSON and Markdown: pure functions that return ``str``.

The one entry point for the shell (``cli.py``, ``apply.py``); the work is split by format:

- ``render_common``: the summary sentence, the header line, ages, escaping, colours;
- ``render_blocks``: one Terraform-style block per action;
- ``render_text``: the terminal output of ``plan``/``show`` and ``status``;
- ``render_json``: ``--format json`` (the format is documented in docs/plan-json.md);
- ``render_markdown``: ``--format markdown``, one pull-request comment under GitHub's limit.

Nothing here reads a clock or the environment: ``now`` is passed in (a saved plan re-renders
identically), colour is on only when ``color=True``, and the same plan gives the same bytes.
"""

from __future__ import annotations

from reconciler.render_common import NO_CHANGES, summary_sentence
from reconciler.render_json import FORMAT_VERSION, plan_json, status_json
from reconciler.render_markdown import GITHUB_COMMENT_LIMIT, plan_markdown
from reconciler.render_text import plan_text, status_text

__all__ = [
    "FORMAT_VERSION",
    "GITHUB_COMMENT_LIMIT",
    "NO_CHANGES",
    "plan_json",
    "plan_markdown",
    "plan_text",
    "status_json",
    "status_text",
    "summary_sentence",
]
