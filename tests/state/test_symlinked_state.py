"""A state file reached through a symbolic link: the link stays a link, and the lock, the backup
and the temp files sit beside the real file, so checkouts sharing it exclude each other."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.errors import StateConflict
from reconciler.state.local import LocalBackend, read_state
from reconciler.state.lock import StateLock, force_unlock
from reconciler.state.store import StateStore

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def shared(tmp_path: Path) -> tuple[Path, Path]:
    """The real state in ``shared/``, and a checkout whose state is a link to it."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "checkout").mkdir()
    real = tmp_path / "shared" / "agenttasks.state.json"
    link = tmp_path / "checkout" / "agenttasks.state.json"
    os.symlink(os.path.relpath(real, link.parent), link)
    return real, link


def _save(path: Path) -> int:
    backend = LocalBackend(path)
    with backend.lock(command="apply", timeout=None, run_url=None, on_wait=None) as lock:
        store = StateStore(lock)
        return store.save(store.state, NOW).serial


@pytest.mark.parametrize("first", ["link", "real"])
def test_a_lock_through_one_path_blocks_the_other(shared: tuple[Path, Path], first: str) -> None:
    real, link = shared
    one, other = (link, real) if first == "link" else (real, link)
    with (
        StateLock(one, command="apply --yes"),
        pytest.raises(StateConflict, match=f"state file {other} is locked"),
        StateLock(other, command="apply --yes"),
    ):
        pass
    with StateLock(other, command="apply --yes"):
        pass


def test_two_backends_on_the_link_and_the_real_file_exclude_each_other(
    shared: tuple[Path, Path],
) -> None:
    real, link = shared
    with (
        LocalBackend(link).lock(command="apply", timeout=None, run_url=None, on_wait=None),
        pytest.raises(StateConflict, match="is locked"),
        LocalBackend(real).lock(command="apply", timeout=None, run_url=None, on_wait=None),
    ):
        pass


def test_a_save_through_the_link_keeps_the_link(shared: tuple[Path, Path]) -> None:
    real, link = shared
    assert _save(link) == 1  # the first save creates the real file through a dangling link
    assert link.is_symlink()
    assert real.is_file()
    assert not real.is_symlink()
    assert _save(link) == 2
    assert link.is_symlink()
    state = read_state(real)
    assert state is not None
    assert state.serial == 2
    assert read_state(link) == state


def test_the_backup_lock_and_temp_files_sit_beside_the_real_file(
    shared: tuple[Path, Path],
) -> None:
    real, link = shared
    _save(link)
    _save(link)
    backup = real.with_name(real.name + ".backup")
    assert backup.is_file()
    state = read_state(backup)
    assert state is not None
    assert state.serial == 1
    assert sorted(p.name for p in link.parent.iterdir()) == ["agenttasks.state.json"]
    assert sorted(p.name for p in real.parent.iterdir()) == [
        "agenttasks.state.json",
        "agenttasks.state.json.backup",
        "agenttasks.state.json.lock",
    ]


def test_force_unlock_through_the_link_reads_the_real_lock(shared: tuple[Path, Path]) -> None:
    real, link = shared
    _save(real)
    with pytest.raises(StateConflict, match="holds no record"):
        force_unlock(link, "0b6c")
