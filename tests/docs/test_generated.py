"""The site's generated files (docs/cli.md, the pictures, the pull-request comment) are what
``python -m tests.docs.assets`` makes now: a changed --help, plan or comment fails here until
they are regenerated (``UPDATE_GOLDEN=1 pytest tests/docs`` does it too)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.docs.assets import ROOT, site_files, write

FILES = site_files()


@pytest.mark.parametrize("path", sorted(FILES), ids=lambda p: str(p.relative_to(ROOT)))
def test_generated_file_is_current(path: Path) -> None:
    if os.environ.get("UPDATE_GOLDEN"):
        write({path: FILES[path]}, lambda line: None)
    assert path.exists(), "run: python -m tests.docs.assets"
    assert path.read_text(encoding="utf-8") == FILES[path], "run: python -m tests.docs.assets"


def test_the_pictures_show_a_real_run() -> None:
    def shown(name: str) -> str:
        svg = FILES[ROOT / "docs" / "images" / name]
        return re.sub(r"&#160;", " ", "".join(re.findall(r">([^<>]*)</text>", svg)))

    assert "Plan: 6 to add, 0 to change, 0 to destroy." in shown("plan.svg")
    assert "Apply complete! Tasks: 6 added, 0 changed, 0 destroyed." in shown("apply.svg")
    table = shown("wait.svg")
    assert "completed" in table
    assert "in_progress" in table
    for svg in (FILES[p] for p in FILES if p.suffix == ".svg"):
        assert "@font-face" not in svg  # no font fetched from a CDN when the page is viewed


def test_the_comment_page_section_is_the_comment() -> None:
    comment = FILES[ROOT / "docs" / "generated" / "comment.md"]
    assert comment.startswith("<!-- agenttasks:plan v=1 ")
    assert "Plan: 6 to add, 0 to change, 0 to destroy." in comment
    guide = (ROOT / "docs" / "ci-guide.md").read_text(encoding="utf-8")
    assert '--8<-- "docs/generated/comment.md"' in guide
