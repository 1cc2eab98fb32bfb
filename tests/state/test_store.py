"""Saving and reading the state file: serial, lineage, dates, modes, backups, refusals."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from reconciler.errors import ExitCode, StateConflict, StateError
from reconciler.state.format import State, encode
from reconciler.state.holder import ci_run_url
from reconciler.state.local import backup_path, default_state_path, read_state
from reconciler.state.lock import StateLock
from reconciler.state.store import StateStore
from tests.state.conftest import save_records
from tests.state.states import SERVER_TIME, with_record


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_no_file_reads_as_none(state_path: Path) -> None:
    assert read_state(state_path) is None


def test_a_saved_state_reads_back_equal(state_path: Path) -> None:
    saved = save_records(state_path, "fix-login")
    assert read_state(state_path) == saved
    assert saved.tasks["fix-login"].task_id == "id-fix-login"


def test_each_save_adds_one_to_the_serial(state_path: Path) -> None:
    assert save_records(state_path, "a").serial == 1
    assert save_records(state_path, "b", "c").serial == 3


def test_the_first_save_mints_the_lineage_and_later_saves_keep_it(state_path: Path) -> None:
    first = save_records(state_path, "a")
    assert first.lineage is not None
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", first.lineage
    )
    assert save_records(state_path, "b", "c").lineage == first.lineage
    assert save_records(state_path.with_name("other.json"), "a").lineage != first.lineage


def test_a_state_s_own_lineage_and_serial_are_never_taken_from_the_caller(
    state_path: Path,
) -> None:
    with StateLock(state_path, command="test") as lock:
        store = StateStore(lock)
        forged = store.state.model_copy(update={"lineage": "mine", "serial": 7})
        with pytest.raises(ValueError, match=r"derived from StateStore\.state"):
            store.save(forged, SERVER_TIME)
    assert read_state(state_path) is None


def test_written_at_is_the_server_time_given(state_path: Path) -> None:
    save_records(state_path, "a")
    state = read_state(state_path)
    assert state is not None
    assert state.written_at == SERVER_TIME
    assert json.loads(state_path.read_text())["written_at"] == "2026-11-24T18:05:00Z"


def test_state_and_backup_are_private_even_when_the_old_file_was_not(state_path: Path) -> None:
    state_path.write_text(encode(State()))
    state_path.chmod(0o644)
    save_records(state_path, "a")
    assert _mode(state_path) == 0o600
    assert _mode(backup_path(state_path)) == 0o600


def test_the_backup_holds_the_previous_state_byte_for_byte(state_path: Path) -> None:
    save_records(state_path, "a")
    before = state_path.read_bytes()
    save_records(state_path, "b")
    assert backup_path(state_path).read_bytes() == before
    assert not backup_path(state_path).with_name("agenttasks.state.json.backup.backup").exists()


def test_no_backup_before_the_first_save(state_path: Path) -> None:
    save_records(state_path, "a")
    assert not backup_path(state_path).exists()
    assert sorted(p.name for p in state_path.parent.iterdir()) == [
        "agenttasks.state.json",
        "agenttasks.state.json.lock",
    ]


def test_a_newer_format_is_refused_and_never_rewritten(state_path: Path) -> None:
    newer = b'{"format": 2, "serial": 9, "novel": true}\n'
    state_path.write_bytes(newer)
    message = (
        f"state file {state_path} has format 2, newer than this agenttasks reads (1);"
        " upgrade agenttasks. The file was not changed. No backup exists."
    )
    with pytest.raises(StateError) as refused:
        read_state(state_path)
    assert str(refused.value) == message
    assert refused.value.exit_code == ExitCode.ERROR
    with StateLock(state_path, command="apply") as lock, pytest.raises(StateError) as again:
        StateStore(lock)
    assert str(again.value) == message
    assert state_path.read_bytes() == newer
    assert not backup_path(state_path).exists()


def test_a_file_that_turns_unreadable_while_locked_is_not_overwritten(state_path: Path) -> None:
    save_records(state_path, "a")
    newer = b'{"format": 2}'
    with StateLock(state_path, command="apply") as lock:
        store = StateStore(lock)
        state_path.write_bytes(newer)
        with pytest.raises(StateError, match="has format 2"):
            store.save(with_record(store.state, "b"), SERVER_TIME)
    assert state_path.read_bytes() == newer


def test_a_file_changed_by_another_program_while_locked_is_not_overwritten(
    state_path: Path,
) -> None:
    save_records(state_path, "a")
    with StateLock(state_path, command="apply") as lock:
        store = StateStore(lock)
        save_elsewhere = state_path.read_text().replace('"serial": 1', '"serial": 5')
        state_path.write_text(save_elsewhere)
        with pytest.raises(StateConflict) as refused:
            store.save(with_record(store.state, "b"), SERVER_TIME)
    assert str(refused.value) == (
        f"state file {state_path} was changed by another program while locked (serial 1, now 5);"
        " it was not overwritten. Run again."
    )
    assert state_path.read_text() == save_elsewhere


def test_a_truncated_state_is_refused_naming_it_and_its_backup(state_path: Path) -> None:
    save_records(state_path, "a", "b")
    state_path.write_bytes(state_path.read_bytes()[:40])
    with pytest.raises(StateError) as refused:
        read_state(state_path)
    assert str(refused.value) == (
        f"state file {state_path} is not valid JSON (line 3, column 14); it was not changed."
        f" The previous state is kept in {backup_path(state_path)}."
    )


def test_a_hand_broken_state_is_refused_and_left_alone(state_path: Path) -> None:
    save_records(state_path, "a")
    broken = state_path.read_text().replace('"serial": 1', '"serial": "one"')
    state_path.write_text(broken)
    with pytest.raises(StateError) as refused, StateLock(state_path, command="apply") as lock:
        StateStore(lock)
    assert str(refused.value) == (
        f"state file {state_path} is damaged at serial: Input should be a valid integer, unable"
        " to parse string as an integer; it was not changed. No backup exists."
    )
    assert state_path.read_text() == broken


def test_a_state_that_is_not_utf8_is_refused(state_path: Path) -> None:
    save_records(state_path, "a", "b")
    state_path.write_bytes(b'{"format": 1, "\xff": 0}')
    with pytest.raises(StateError) as refused:
        read_state(state_path)
    assert str(refused.value) == (
        f"state file {state_path} is not UTF-8 text (byte 15); it was not changed."
        f" The previous state is kept in {backup_path(state_path)}."
    )


def test_an_unreadable_state_is_refused(state_path: Path) -> None:
    state_path.mkdir()
    with pytest.raises(StateError) as refused:
        read_state(state_path)
    assert str(refused.value) == f"cannot read state file {state_path}: Is a directory"


def test_the_backup_path_is_named_as_it_is(tmp_path: Path) -> None:
    state_path = tmp_path / "Project" / "agenttasks.state.json"
    state_path.parent.mkdir()
    save_records(state_path, "a", "b")
    state_path.write_text("{")
    with pytest.raises(StateError) as refused:
        read_state(state_path)
    assert str(backup_path(state_path)) in str(refused.value)


def test_a_save_that_cannot_write_says_so_and_keeps_the_old_state(state_path: Path) -> None:
    saved = save_records(state_path, "a")
    backup_path(state_path).mkdir()
    with StateLock(state_path, command="apply") as lock:
        store = StateStore(lock)
        with pytest.raises(StateError) as refused:
            store.save(with_record(store.state, "b"), SERVER_TIME)
    assert str(refused.value) == (
        f"cannot save state file {state_path} (Is a directory: {backup_path(state_path)});"
        " it still holds serial 1"
    )
    assert read_state(state_path) == saved
    assert not list(state_path.parent.glob("*.tmp"))


def test_a_first_save_that_cannot_write_says_nothing_was_created(tmp_path: Path) -> None:
    state_path = tmp_path / ("s" * 250)  # its lock file's name fits in 255 bytes, a temp's not
    with StateLock(state_path, command="apply") as lock:
        store = StateStore(lock)
        with pytest.raises(StateError) as refused:
            store.save(with_record(store.state, "a"), SERVER_TIME)
    assert re.fullmatch(
        rf"cannot save state file {re.escape(str(state_path))} \(File name too long:"
        rf" {re.escape(str(tmp_path))}/\.s{{250}}\.\w+\.tmp\); it was not created",
        str(refused.value),
    )
    assert not state_path.exists()


def test_the_state_holds_no_credentials(state_path: Path) -> None:
    saved = save_records(state_path, "a")
    text = encode(saved)
    assert not re.search(r"token|authori[sz]ation|password|secret|bearer", text, re.IGNORECASE)


def test_the_default_state_path_is_beside_the_first_tasks_file(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text("version: 1\n")
    assert default_state_path(tasks) == tmp_path / "agenttasks.state.json"
    assert default_state_path(tmp_path) == tmp_path / "agenttasks.state.json"
    assert default_state_path(tmp_path / "missing.yaml") == tmp_path / "agenttasks.state.json"


def test_ci_run_url() -> None:
    actions = {
        "GITHUB_RUN_ID": "42",
        "GITHUB_REPOSITORY": "octo-org/web",
        "GITHUB_SERVER_URL": "https://github.com",
    }
    assert ci_run_url(actions) == "https://github.com/octo-org/web/actions/runs/42"
    assert ci_run_url({**actions, "GITHUB_RUN_ATTEMPT": "2"}) == (
        "https://github.com/octo-org/web/actions/runs/42/attempts/2"
    )
    assert ci_run_url({}) is None
    assert ci_run_url({"GITHUB_REPOSITORY": "octo-org/web"}) is None
