"""The sandbox's data file: loaded at start, replaced atomically after each change."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from reconciler.sandbox.store import Store, dump, load_into


def load(store: Store, path: Path) -> None:
    """Fill ``store`` from ``path`` if it exists (a missing file is an empty sandbox).

    A file that is not a sandbox data file raises ``ValueError`` naming it.
    """
    if not path.exists():
        return
    try:
        load_into(store, json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError, AttributeError) as bad:
        raise ValueError(f"{path} is not a sandbox data file: {bad}") from None


def save(store: Store, path: Path) -> None:
    """Write the store: a temp file in the same directory, fsync, then ``os.replace``."""
    directory = path.parent if str(path.parent) else Path()
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(dump(store), indent=1, ensure_ascii=False)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
