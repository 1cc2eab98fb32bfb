"""GitHub Actions (CI.md §4, docs/ci.md): the one place that reads the ``GITHUB_*`` environment
and writes the step summary and the step outputs. What is written is ``render/github.py``'s."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import Position, Problem

if TYPE_CHECKING:
    from reconciler.render.github import Annotation

# render.github (and the plan model under it) is imported where it is used: the CLI asks
# in_actions on every run, and --help must stay light.


def new_token() -> str:
    """A token no prompt can guess: ends a ``::stop-commands::`` block, delimits an output."""
    return secrets.token_hex(16)


def in_actions(env: Mapping[str, str]) -> bool:
    """Whether this runs as a step of GitHub Actions (``GITHUB_ACTIONS=true``)."""
    return env.get("GITHUB_ACTIONS") == "true"


@dataclass(frozen=True)
class Workflow:
    """Where this step's summary and outputs go, and the root file names are relative to."""

    summary: Path | None
    output: Path | None
    workspace: str | None
    cwd: str

    def file(self, name: str) -> str:
        """A tasks file as the pull request names it (relative to ``GITHUB_WORKSPACE``)."""
        from reconciler.render.github import workspace_file

        return workspace_file(name, cwd=self.cwd, workspace=self.workspace)

    def where(self, positions: Mapping[str, Position]) -> Callable[[str], Position | None]:
        """Each key's line, its file named for the pull request."""

        def at(key: str) -> Position | None:
            found = positions.get(key)
            return None if found is None else Position(self.file(found.file), found.line, found.col)

        return at

    def publish(
        self,
        *,
        markdown: Callable[[int], str],
        annotations: Sequence[Annotation],
        outputs: Mapping[str, str],
    ) -> tuple[str, ...]:
        """Append the Markdown (``markdown(limit)``, fitted to the 1 MiB left in the step's
        summary) and the outputs; the annotation lines to print, capped."""
        from reconciler.render.github import (
            SUMMARY_LIMIT,
            annotation_line,
            capped,
            fitted_summary,
            output_file,
        )

        if self.summary is not None:
            used = _size(self.summary)
            text = fitted_summary(markdown, SUMMARY_LIMIT - used - 1, floor=2048)
            _append(self.summary, text or "_The plan did not fit in the step summary._\n")
        if self.output is not None:
            _append(self.output, output_file(outputs, f"ghadelimiter_{new_token()}"))
        return tuple(annotation_line(a) for a in capped(annotations))

    def refusals(self, problems: Iterable[Problem]) -> tuple[str, ...]:
        """The problems of the tasks files, as error annotations on their lines."""
        from reconciler.render.github import annotation_line, capped, problem_annotations

        return tuple(
            annotation_line(a) for a in capped(problem_annotations(list(problems), self.file))
        )


def workflow(env: Mapping[str, str]) -> Workflow | None:
    """This step's files when running in GitHub Actions, else None (nothing is written)."""
    if not in_actions(env):
        return None
    summary, output = env.get("GITHUB_STEP_SUMMARY"), env.get("GITHUB_OUTPUT")
    return Workflow(
        summary=Path(summary) if summary else None,
        output=Path(output) if output else None,
        workspace=env.get("GITHUB_WORKSPACE") or None,
        cwd=os.getcwd(),
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
