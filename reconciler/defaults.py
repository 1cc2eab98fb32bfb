"""Every default the command line and the library share, written once.

Constants only, importing nothing: click builds ``--help`` from these without loading httpx or
pydantic (``tests/test_architecture.py`` guards that start-up).
"""

from __future__ import annotations

TASKS_FILE = "tasks.yaml"  # read when no -f is given
API_VERSION = "2022-11-28"  # the X-GitHub-Api-Version header
MAX_WAIT = 900.0  # seconds: the longest rate-limit wait before giving up
POST_TIMEOUT = 30.0  # seconds: a POST's read timeout, and the base of a lost create's window
GET_TIMEOUT = 30.0  # seconds: any other request's read timeout
CONCURRENCY = 8  # listings in flight at once
CREATE_RATE = "80/min,500/h"  # the client's create limiter (GitHub's secondary limits, with margin)
# A github: state's save is a tree, a commit and a ref update, each counted by GitHub's
# content-creation limits like a create (CI.md §2.1): about three writes per create.
BRANCH_WRITES_PER_CREATE = 3
MIN_INTERVAL = 1.0  # seconds between two creates of one apply
WAIT_TIMEOUT = 3600.0  # seconds: how long --wait follows tasks
WAIT_INTERVAL = 5.0  # seconds between two listings of --wait
ADOPT_WINDOW_DAYS = 30  # how old a lost task may be to be found again when there is no state
ADOPT_WINDOW = f"{ADOPT_WINDOW_DAYS}d"  # the same, as --adopt-window takes it
