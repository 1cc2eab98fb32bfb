"""A second agenttasks in its own process, for tests that need a real holder or a real crash.

    python -m tests.state.proc hold STATE [--for S]   lock, print "locked LOCK_ID PID", hold until
                                                      a line on stdin (or S seconds), release
    python -m tests.state.proc bare STATE             flock the lock file, write no record, hold
                                                      until a line on stdin
    python -m tests.state.proc fork STATE             lock, fork a child that keeps the lock, print
                                                      "locked LOCK_ID PID CHILD_PID", exit at once
    python -m tests.state.proc save STATE KEY         lock and save one more record (failpoints
                                                      apply: AGENTTASKS_FAILPOINT)
    python -m tests.state.proc churn STATE            save again and again, printing each serial

The holder's command is "apply --yes" and its clock reads SINCE, so messages can be compared whole.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
import time
from datetime import datetime
from pathlib import Path

from reconciler.state.format import State
from reconciler.state.lock import StateLock
from reconciler.state.store import StateStore
from tests.state.states import RUN_URL, SERVER_TIME, SINCE, with_record

COMMAND = "apply --yes"


def _say(*words: object) -> None:
    sys.stdout.write(" ".join(str(w) for w in words) + "\n")
    sys.stdout.flush()


def _lock(path: Path, run_url: str | None = None) -> StateLock:
    return StateLock(
        path, command=COMMAND, now=lambda: datetime.fromisoformat(SINCE), run_url=run_url
    )


def hold(path: Path, seconds: float | None, run_url: str | None) -> None:
    with _lock(path, run_url) as lock:
        assert lock.holder is not None
        _say("locked", lock.holder.lock_id, os.getpid())
        if seconds is None:
            sys.stdin.readline()
        else:
            time.sleep(seconds)


def bare(path: Path) -> None:
    """Another program's lock: a flock with no holder record."""
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    _say("locked")
    sys.stdin.readline()


def fork(path: Path) -> None:
    lock = _lock(path).__enter__()
    assert lock.holder is not None
    child = os.fork()
    if child == 0:  # the child shares the locked descriptor and outlives its parent
        devnull = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(devnull, stream)
        time.sleep(60)
        os._exit(0)
    _say("locked", lock.holder.lock_id, os.getpid(), child)
    os._exit(0)  # no release: the child still holds the lock


def save(path: Path, key: str) -> None:
    with _lock(path) as lock:
        store = StateStore(lock)
        store.save(with_record(store.state, key), SERVER_TIME)


def churn(path: Path) -> None:
    with _lock(path) as lock:
        store = StateStore(lock)
        state: State = store.state
        for n in range(100_000):
            state = store.save(with_record(state, f"task-{n % 50}"), SERVER_TIME)
            _say(state.serial)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["hold", "bare", "fork", "save", "churn"])
    parser.add_argument("state", type=Path)
    parser.add_argument("key", nargs="?", default="second")
    parser.add_argument("--for", dest="seconds", type=float)
    parser.add_argument("--ci", action="store_true", help=f"record the run URL {RUN_URL}")
    args = parser.parse_args()
    if args.action == "hold":
        hold(args.state, args.seconds, RUN_URL if args.ci else None)
    elif args.action == "bare":
        bare(args.state)
    elif args.action == "fork":
        fork(args.state)
    elif args.action == "save":
        save(args.state, args.key)
    else:
        churn(args.state)


if __name__ == "__main__":
    main()
