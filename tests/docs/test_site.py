"""The documentation site (mkdocs.yml): every page in the navigation, built with no warning
(links and anchors checked), and nothing loaded from another host when it is viewed.

The build takes seconds, so it runs in .ci/run's docs step (``AGENTTASKS_SITE=1 pytest -m site``,
with the ``docs`` extra installed); scripts/check runs the fast checks here and skips it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CONFIG = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


def test_every_page_is_in_the_navigation() -> None:
    nav = CONFIG[CONFIG.index("\nnav:") :]
    listed = set(re.findall(r"^\s+- (?:[^:\n]+: )?([\w./-]+\.md)$", nav, re.MULTILINE))
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")} - {"generated/comment.md"}
    assert pages == listed


def test_the_theme_loads_nothing_from_another_host() -> None:
    assert re.search(r"^  font: false\b", CONFIG, re.MULTILINE)  # no Google Fonts
    assert not re.search(r"^repo_url:", CONFIG, re.MULTILINE)  # no GitHub API call for stars
    assert "privacy" not in CONFIG  # it downloads at build time, which CI cannot


REMOTE = re.compile(r"""^(?:https?:)?//""")
TAG = re.compile(r"<(script|link)\b([^>]*)>", re.IGNORECASE)
ATTR = re.compile(r"""\b(src|href|rel)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
CSS_REMOTE = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*["']?(?:https?:)?//""")


def remote_loads(site: Path) -> list[str]:
    """What a browser would fetch from another host when viewing the built site."""
    found = []
    for page in site.rglob("*.html"):
        for tag, attributes in TAG.findall(page.read_text(encoding="utf-8")):
            attrs = {k.lower(): v for k, v in ATTR.findall(attributes)}
            loads = tag.lower() == "script" or set(attrs.get("rel", "").lower().split()) & {
                "stylesheet",
                "preconnect",
                "preload",
                "modulepreload",
                "dns-prefetch",
            }
            url = attrs.get("src") or attrs.get("href") or ""
            if loads and REMOTE.match(url):
                found.append(f"{page.relative_to(site)}: <{tag} {attributes.strip()}>")
    for sheet in [*site.rglob("*.css"), *site.rglob("*.svg")]:
        if CSS_REMOTE.search(sheet.read_text(encoding="utf-8", errors="replace")):
            found.append(f"{sheet.relative_to(site)}: @import or url() from another host")
    return found


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<script src="https://cdn.example/x.js"></script>'
        '<link rel="preconnect" href="https://fonts.gstatic.com">'
        '<link rel="canonical" href="https://example.org/">'
        '<a href="https://example.org/">a link is fine</a>'
        '<script src="assets/local.js"></script>'
    )
    (tmp_path / "a.css").write_text("@import url('https://fonts.googleapis.com/css?x');")
    (tmp_path / "b.css").write_text("body { background: url(../img/x.png) }")
    assert len(remote_loads(tmp_path)) == 3


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not os.environ.get("AGENTTASKS_SITE"):
        pytest.skip("the site build runs in .ci/run's docs step: AGENTTASKS_SITE=1 pytest -m site")
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert "WARNING" not in built.stderr, built.stderr
    return out


@pytest.mark.site
def test_the_site_builds_strict_and_works_offline(site: Path) -> None:
    assert remote_loads(site) == []
    for page in ("quickstart", "troubleshooting", "exit-codes", "security", "ci-guide", "cli"):
        assert (site / page / "index.html").exists()


@pytest.mark.site
def test_the_ci_guide_shows_the_linted_workflows_and_the_comment(site: Path) -> None:
    guide = (site / "ci-guide" / "index.html").read_text(encoding="utf-8")
    assert "--8&lt;--" not in guide  # every include was resolved
    for name in ("tasks-plan", "tasks-apply", "tasks-status"):
        first = (DOCS / "workflows" / f"{name}.yml").read_text(encoding="utf-8").splitlines()[0]
        assert first.split(":")[0].lstrip("# ") in guide
    assert "Plan: 6 to add, 0 to change, 0 to destroy." in guide
    assert 'src="../images/plan.svg"' in (site / "quickstart" / "index.html").read_text()
