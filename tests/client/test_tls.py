"""The API clients' TLS context (``github/tls.py``): made once a process, early, on a thread, and
still httpx's verifying default; a CA bundle that cannot be read is a one-line error."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from reconciler.github import tls

TASKS = "version: 1\ntasks:\n  fix-login:\n    repo: octo-org/web\n    prompt: Fix the login.\n"


def test_the_shared_context_verifies_certificates_and_host_names() -> None:
    made = tls.context()
    assert made.verify_mode == ssl.CERT_REQUIRED
    assert made.check_hostname
    # httpx's own default: the same CA certificates loaded.
    assert made.cert_store_stats() == httpx.create_ssl_context().cert_store_stats()
    assert made.cert_store_stats()["x509_ca"] > 0


def test_one_context_is_made_however_often_it_is_prepared_and_asked_for() -> None:
    shared = tls._Shared()
    for _ in range(3):
        shared.prepare()
    threads = [t for t in threading.enumerate() if t.name == "agenttasks-tls"]
    assert len(threads) <= 1  # this one's, still running, or none left
    first = shared.context()
    assert all(shared.context() is first for _ in range(3))
    assert tls._Shared().context() is not first  # a fresh one makes its own


def test_a_ca_bundle_that_cannot_be_read_is_said_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "tasks.yaml").write_text(TASKS)
    env = {**os.environ, "AGENTTASKS_TOKEN": "ghp_" + "x" * 36}
    env["SSL_CERT_FILE"] = str(tmp_path / "no-such-bundle.pem")
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "--api-url", "https://127.0.0.1:9", "plan"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: cannot load the CA certificates"), done.stderr
    assert "SSL_CERT_FILE" in lines[0]
