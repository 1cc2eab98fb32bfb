"""Crashes: a writer killed with SIGKILL at any instant leaves a readable state, old or new."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler import failpoints
from reconciler.state.local import backup_path, read_state
from reconciler.state.lock import StateLock
from reconciler.state.store import StateStore
from tests.state.conftest import Spawn, save_records
from tests.state.states import SERVER_TIME, with_record

KILLED = -signal.SIGKILL


def test_a_kill_between_temp_file_and_rename_keeps_the_old_state(
    state_path: Path, spawn: Spawn
) -> None:
    saved = save_records(state_path, "a")
    before = state_path.read_bytes()
    saver = spawn(
        "save", str(state_path), "b", env={failpoints.ENV: failpoints.BETWEEN_TEMP_AND_RENAME}
    )
    saver.communicate(timeout=10)
    assert saver.returncode == KILLED
    assert state_path.read_bytes() == before
    assert read_state(state_path) == saved
    [temp] = state_path.parent.glob(".agenttasks.state.json.*.tmp")
    assert stat.S_IMODE(temp.stat().st_mode) == 0o600
    assert '"serial": 2' in temp.read_text()  # the new state was written, never renamed
    with StateLock(state_path, command="apply") as lock:
        store = StateStore(lock)
        assert not temp.exists()  # the next writer clears what the crash left
        assert store.save(with_record(store.state, "b"), SERVER_TIME).serial == 2


def test_the_same_save_without_the_failpoint_succeeds(state_path: Path, spawn: Spawn) -> None:
    save_records(state_path, "a")
    saver = spawn("save", str(state_path), "b", env={failpoints.ENV: "after-post-sent"})
    saver.communicate(timeout=10)
    assert saver.returncode == 0
    state = read_state(state_path)
    assert state is not None
    assert (state.serial, sorted(state.tasks)) == (2, ["a", "b"])


@pytest.mark.parametrize("seed", range(4))
def test_a_kill_at_any_instant_leaves_a_readable_state(
    state_path: Path, spawn: Spawn, seed: int
) -> None:
    save_records(state_path, "a")
    churn = spawn("churn", str(state_path))
    assert churn.stdout is not None
    assert churn.stdout.readline() == "2\n"  # saving in a loop now
    time.sleep(random.Random(seed).uniform(0.01, 0.2))
    churn.send_signal(signal.SIGKILL)
    printed, _ = churn.communicate()
    last = int(printed.split()[-1]) if printed.split() else 2
    state = read_state(state_path)
    backup = read_state(backup_path(state_path))
    assert state is not None
    assert backup is not None
    assert state.serial in (last, last + 1)
    assert backup.serial in (state.serial - 1, state.serial)
    assert state.lineage == backup.lineage


@pytest.mark.parametrize("point", sorted(failpoints.POINTS))
def test_each_failpoint_kills_its_process_after_flushing_output(point: str) -> None:
    script = (
        "import sys\nfrom reconciler import failpoints\n"
        "sys.stdout.write('before')\nfailpoints.hit(sys.argv[1])\nsys.stdout.write('after')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, point],
        env={**os.environ, failpoints.ENV: point},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (run.returncode, run.stdout) == (KILLED, "before")


def test_a_failpoint_is_a_no_op_unless_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(failpoints.ENV, raising=False)
    for point in failpoints.POINTS:
        failpoints.hit(point)
    monkeypatch.setenv(failpoints.ENV, failpoints.AFTER_POST_SENT)
    failpoints.hit(failpoints.AFTER_INTENT_SAVED)


def test_an_unknown_failpoint_is_a_bug() -> None:
    with pytest.raises(ValueError, match="unknown failpoint 'after-lunch'"):
        failpoints.hit("after-lunch")


def test_every_failpoint_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "state.md").read_text(encoding="utf-8")
    assert [p for p in sorted(failpoints.POINTS) if f"`{p}`" not in doc] == []
    assert f"`{failpoints.ENV}`" in doc
