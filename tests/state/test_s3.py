"""What only the s3:// backend does (CI.md §2.2): the probe, the lock object and its lease, the
fence's first create, the boto3 extra, messages without secrets, and the commands on s3://.

The store is a moto server on 127.0.0.1 (``moto_endpoint``); a store that ignores conditional
headers is a real HTTP proxy in front of it that strips them.
"""

from __future__ import annotations

import http.client
import itertools
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from reconciler.commands.apply import ApplyOptions, run_apply
from reconciler.commands.context import Context, GlobalOptions, state_backend
from reconciler.commands.plan import Selection, run_plan
from reconciler.commands.state_edit import run_force_unlock, run_list, run_migrate
from reconciler.errors import ConfigError, ExitCode, StateConflict, StateError
from reconciler.state.format import State
from reconciler.state.holder import RemoteHolder
from reconciler.state.local import LocalBackend
from reconciler.state.s3 import S3Backend
from reconciler.state.s3lease import S3Lease
from reconciler.state.store import StateStore
from tests.apply.conftest import prompts, tasks_yaml
from tests.state.backends import S3Place
from tests.state.conftest import save_records
from tests.state.states import SERVER_TIME, with_record

KEY = "teams/web/agenttasks.state.json"
SECRET = "wJalrXUtnFEMI-not-a-real-secret-K7MDENG"
pytestmark = pytest.mark.e2e  # a moto server on loopback
CTX = Context(GlobalOptions(), {}, lambda line: None)


def _lock(backend: S3Backend, command: str = "apply") -> S3Lease:
    return backend.lock(command=command, timeout=None, run_url=None, on_wait=None)


def _keys(place: S3Place) -> list[str]:
    found = place.client.list_objects_v2(Bucket=place.bucket).get("Contents", [])
    return sorted(item["Key"] for item in found)


def _object(place: S3Place, key: str) -> bytes:
    return place.client.get_object(Bucket=place.bucket, Key=key)["Body"].read()


# --- the probe ------------------------------------------------------------------------------


class _Proxy(BaseHTTPRequestHandler):
    """Forwards every request to the moto server, as a store with quirks would answer: with
    ``strip``, without If-Match / If-None-Match (a store that accepts them and ignores them);
    a conditional PUT to a key ending in one of ``conflicts`` is answered 409
    ConditionalRequestConflict once (S3's answer to concurrent conditional writes)."""

    protocol_version = "HTTP/1.1"
    upstream: tuple[str, int] = ("127.0.0.1", 0)
    strip = False
    conflicts: list[str]
    stripped: list[str]

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conditional = [k for k in self.headers if k.lower() in {"if-match", "if-none-match"}]
        path = self.path.split("?")[0]
        hit = [c for c in self.conflicts if path.endswith(c)]
        if self.command == "PUT" and conditional and hit:
            self.conflicts.remove(hit[0])
            return self._answer(409, _CONFLICT, [("Content-Type", "application/xml")])
        dropped = {"connection", "host"} | ({"if-match", "if-none-match"} if self.strip else set())
        headers = {k: v for k, v in self.headers.items() if k.lower() not in dropped}
        if self.strip:
            self.stripped.extend(conditional)
        connection = http.client.HTTPConnection(*self.upstream, timeout=10)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        skip = {"transfer-encoding", "connection", "content-length", "date", "server"}
        kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in skip]
        return self._answer(answer.status, data, kept)

    def _answer(self, status: int, data: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_DELETE = do_HEAD = do_POST = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


_CONFLICT = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>ConditionalRequestConflict</Code>'
    b"<Message>A conflicting conditional operation is in progress.</Message></Error>"
)


class Proxy:
    """A running ``_Proxy`` on 127.0.0.1: its URL, and what it did."""

    def __init__(self, upstream: str, *, strip: bool, conflicts: list[str]) -> None:
        target = urlsplit(upstream)
        self.stripped: list[str] = []
        self.conflicts = conflicts
        handler = type(
            "Handler",
            (_Proxy,),
            {
                "upstream": (target.hostname or "", target.port or 0),
                "strip": strip,
                "conflicts": conflicts,
                "stripped": self.stripped,
            },
        )
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def proxy(moto_endpoint: str) -> Iterator[Callable[..., Proxy]]:
    started: list[Proxy] = []

    def start(*, strip: bool = False, conflicts: tuple[str, ...] = ()) -> Proxy:
        started.append(Proxy(moto_endpoint, strip=strip, conflicts=list(conflicts)))
        return started[-1]

    yield start
    for each in started:
        each.stop()


def test_a_store_that_ignores_conditional_headers_is_refused_naming_it(
    s3_bucket: S3Place, proxy: Callable[..., Proxy]
) -> None:
    stand_in = proxy(strip=True)
    url, stripped = stand_in.url, stand_in.stripped
    backend = s3_bucket.backend(KEY, endpoint=url)
    assert backend.read().state is None  # reads work: the proxy is faithful but for the headers
    with pytest.raises(ConfigError) as refused, _lock(backend):
        pass
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"S3 store {url} does not honour conditional writes: a second")
    assert "If-None-Match: *" in message
    assert "s3://" in message
    assert stripped  # the headers were sent, and dropped on the way
    assert not [k for k in _keys(s3_bucket) if k.endswith(".lock.json")]  # no lock was taken
    with pytest.raises(ConfigError, match="does not honour"):
        backend.force_unlock("0b6c")


def test_the_probe_runs_once_per_backend_and_leaves_nothing(s3_bucket: S3Place) -> None:
    backend = s3_bucket.backend(KEY)
    for _ in range(2):
        with _lock(backend):
            pass
    assert _keys(s3_bucket) == [KEY]  # the state (fenced), no probe key, no lock
    assert backend._probed


def test_reads_do_not_probe(s3_bucket: S3Place) -> None:
    backend = s3_bucket.backend(KEY)
    backend.read()
    assert not backend._probed


# --- the lock object, the lease, the fence --------------------------------------------------


def test_the_lock_object_holds_a_holder_with_a_lease_in_the_store_s_time(
    s3_bucket: S3Place,
) -> None:
    run = {"GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_REPOSITORY": "octo/web"}
    backend = s3_bucket.backend(KEY, lease=timedelta(minutes=7), environ=run)
    with backend.lock(
        command="apply --yes", timeout=None, run_url="https://x/runs/1", on_wait=None
    ) as lease:
        record = json.loads(_object(s3_bucket, f"{KEY}.lock.json"))
        assert lease.holder is not None
        assert RemoteHolder.model_validate(record) == lease.holder
        assert record["run_url"] == "https://x/runs/1"
        assert (record["run_id"], record["run_attempt"], record["repository"]) == (
            42,
            2,
            "octo/web",
        )
        since = datetime.fromisoformat(record["since"])
        assert datetime.fromisoformat(record["expires_at"]) - since == timedelta(minutes=7)
        answer = s3_bucket.client.head_object(Bucket=s3_bucket.bucket, Key=KEY)
        date = answer["ResponseMetadata"]["HTTPHeaders"]["date"]
        assert abs((answer["LastModified"] - since).total_seconds()) < 5, date
    assert _keys(s3_bucket) == [KEY]  # released: the lock object is deleted


def test_with_no_state_the_lock_creates_it_fenced_and_the_first_save_replaces_it(
    s3_bucket: S3Place,
) -> None:
    backend = s3_bucket.backend(KEY)
    with backend.lock(command="apply", timeout=None, run_url=None, on_wait=None) as lease:
        assert lease.holder is not None
        stored = backend.read()  # no state yet, to every reader, at the fenced object's ETag
        assert stored.state is None
        assert stored.version is not None
        raw = json.loads(_object(s3_bucket, KEY))
        assert State.model_validate(raw) == State(fence=lease.holder.lock_id)
        store = StateStore(lease)
        saved = store.save(with_record(store.state, "a"), SERVER_TIME)
    assert saved.serial == 1
    assert saved.lineage is not None
    again = backend.read().state
    assert again is not None
    assert again.fence is None  # readers never see it
    assert json.loads(_object(s3_bucket, KEY))["fence"] == lease.holder.lock_id
    assert list(again.tasks) == ["a"]


def test_a_save_past_half_the_lease_renews_it(s3_bucket: S3Place) -> None:
    backend = s3_bucket.backend(KEY, lease=timedelta(seconds=2))
    with backend.lock(command="apply", timeout=None, run_url=None, on_wait=None) as lease:
        first = json.loads(_object(s3_bucket, f"{KEY}.lock.json"))["expires_at"]
        time.sleep(1.2)  # the store's Date has whole seconds
        store = StateStore(lease)
        store.save(with_record(store.state, "a"), SERVER_TIME)
        renewed = json.loads(_object(s3_bucket, f"{KEY}.lock.json"))
        assert renewed["expires_at"] > first
        assert lease.holder is not None
        assert renewed["lock_id"] == lease.holder.lock_id
    assert _keys(s3_bucket) == [KEY]


def test_a_broken_writer_is_told_who_holds_the_lock_now(s3_bucket: S3Place) -> None:
    first = s3_bucket.backend(KEY, lease=timedelta(0))
    with first.lock(command="apply", timeout=None, run_url=None, on_wait=None) as lease:
        store = StateStore(lease)
        second = s3_bucket.backend(KEY)
        with second.lock(command="state rm x", timeout=None, run_url=None, on_wait=None) as new:
            assert new.holder is not None
            with pytest.raises(StateConflict) as refused:
                store.save(with_record(store.state, "late"), SERVER_TIME)
            assert f"now held by lock id {new.holder.lock_id}" in str(refused.value)
            assert "412" in str(refused.value)
    assert s3_bucket.backend(KEY).read().state is None  # "late" was never written


# --- wiring: the extra, the environment, no secrets -----------------------------------------


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_endpoint: str) -> str:
    """boto3's default chain pointed at the moto server, nothing read from this machine."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    return moto_endpoint


def test_state_s3_opens_the_s3_backend_from_the_environment(
    aws_env: str, s3_bucket: S3Place
) -> None:
    backend = state_backend(CTX, [], f"s3://{s3_bucket.bucket}/{KEY}")
    assert isinstance(backend, S3Backend)
    assert backend.location == f"s3://{s3_bucket.bucket}/{KEY}"
    assert backend.read().state is None


def test_errors_name_the_store_never_a_secret(aws_env: str) -> None:
    backend = state_backend(CTX, [], "s3://no-such-bucket-here/state.json")
    with pytest.raises(StateError) as failed:
        backend.read()
    message = str(failed.value)
    assert message == (
        f"S3 store {aws_env} refused GetObject on s3://no-such-bucket-here/state.json"
        " (404 NoSuchBucket); the bucket does not exist"
    )
    assert SECRET not in message
    assert "AKIAEXAMPLE" not in message


def test_without_boto3_s3_is_one_line_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 → ModuleNotFoundError
    for module in ("reconciler.state.s3", "reconciler.state.s3store"):  # imports boto3 again
        monkeypatch.delitem(sys.modules, module)
    with pytest.raises(ConfigError) as refused:
        state_backend(CTX, [], "s3://bucket/state.json")
    assert str(refused.value) == (
        "--state s3://bucket/state.json needs boto3, which is not installed:"
        " pip install 'agenttasks[s3]'"
    )


# --- the commands, unchanged, on s3:// ------------------------------------------------------


def test_plan_apply_state_list_and_force_unlock_run_on_s3(
    aws_env: str, s3_bucket: S3Place, tmp_path: Path
) -> None:
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(tasks_yaml(prompts(2)), encoding="utf-8")
    where = f"s3://{s3_bucket.bucket}/{KEY}"
    out: list[str] = []
    err: list[str] = []
    ctx = Context(
        GlobalOptions(api_url=f"sandbox:{tmp_path / 'sandbox.json'}?speed=1000"),
        {},
        err.append,
        out=out.append,
    )

    def plan() -> str:
        result = run_plan(
            ctx,
            files=[tasks],
            state=where,
            fmt="json",
            out=None,
            detailed_exitcode=True,
            selection=Selection(),
        )
        assert result.code in (ExitCode.OK, ExitCode.CHANGES), result
        return result.out

    assert json.loads(plan())["summary"]["add"] == 2
    applied = run_apply(
        ctx,
        files=[tasks],
        state=where,
        plan_path=None,
        selection=Selection(),
        options=ApplyOptions(yes=True, min_interval=0.0),
    )
    assert applied.code == ExitCode.OK, (applied, out, err)
    state = s3_bucket.backend(KEY).read().state
    assert state is not None
    assert sorted(state.tasks) == ["t00", "t01"]
    assert json.loads(plan())["summary"]["add"] == 0
    listed = run_list(ctx, files=[tasks], state=where)
    assert "t00" in listed.out
    assert "t01" in listed.out
    with pytest.raises(StateConflict, match="not locked"):
        run_force_unlock(ctx, files=[tasks], state=where, lock_id="0b6c")
    assert _keys(s3_bucket) == [KEY]


def test_a_state_written_behind_a_held_lock_is_said_to_be_another_program_s(
    s3_bucket: S3Place,
) -> None:
    backend = s3_bucket.backend(KEY)
    with backend.lock(command="apply", timeout=None, run_url=None, on_wait=None) as lease:
        store = StateStore(lease)
        s3_bucket.client.put_object(Bucket=s3_bucket.bucket, Key=KEY, Body=b'{"format": 1}\n')
        with pytest.raises(StateConflict) as refused:
            store.save(with_record(store.state, "a"), SERVER_TIME)
    assert str(refused.value) == (
        f"state s3://{s3_bucket.bucket}/{KEY} was changed by another writer while this run held"
        " its lock (412 PreconditionFailed; another program wrote it; the lock is still this"
        " run's); serial 0 was not overwritten. Run again."
    )


def test_state_migrate_copies_to_s3_and_back(
    aws_env: str, s3_bucket: S3Place, tmp_path: Path
) -> None:
    local = tmp_path / "agenttasks.state.json"
    saved = save_records(local, "a", "b")
    where = f"s3://{s3_bucket.bucket}/{KEY}"
    there = run_migrate(CTX, files=[], state=str(local), to=where, lock_timeout=None)
    assert there.code == ExitCode.OK
    assert s3_bucket.backend(KEY).read().state == saved
    back = tmp_path / "back.json"
    again = run_migrate(CTX, files=[], state=where, to=str(back), lock_timeout=None)
    assert again.code == ExitCode.OK
    assert LocalBackend(back).read().state == saved
    assert _keys(s3_bucket) == [KEY]


def test_a_409_on_the_lock_retries_the_cycle_and_on_a_save_stops_the_run(
    s3_bucket: S3Place, proxy: Callable[..., Proxy]
) -> None:
    stand_in = proxy(conflicts=(".lock.json",))
    backend = s3_bucket.backend(KEY, endpoint=stand_in.url)
    with _lock(backend) as lease:  # the first create answered 409: looked again, took it
        assert stand_in.conflicts == []
        store = StateStore(lease)
        store.save(with_record(store.state, "a"), SERVER_TIME)
        stand_in.conflicts.append(KEY)
        with pytest.raises(StateConflict, match="409 ConditionalRequestConflict"):
            store.save(with_record(store.state, "b"), SERVER_TIME)
    state = s3_bucket.backend(KEY).read().state
    assert state is not None
    assert list(state.tasks) == ["a"]


def test_state_migrate_round_trips_local_github_s3_local(
    aws_env: str, s3_bucket: S3Place, tmp_path: Path
) -> None:
    """Acceptance 6: the same state (lineage, serial, written_at, every record) at each hop."""
    ctx = Context(
        GlobalOptions(api_url=f"sandbox:{tmp_path / 'sb.json'}"),
        {"GITHUB_REPOSITORY": "octo-org/web"},
        lambda line: None,
    )
    local = tmp_path / "agenttasks.state.json"
    saved = save_records(local, "a", "b")
    original = json.loads(local.read_bytes())
    hops = [
        str(local),
        "github:agenttasks-state:tasks.state.json",
        f"s3://{s3_bucket.bucket}/{KEY}",
    ]
    hops.append(str(tmp_path / "back.json"))
    for source, target in itertools.pairwise(hops):
        done = run_migrate(ctx, files=[], state=source, to=target, lock_timeout=None)
        assert done.code == ExitCode.OK
        assert state_backend(ctx, [], target).read().state == saved
    assert json.loads((tmp_path / "back.json").read_bytes()) == original
    other = tmp_path / "other.json"
    save_records(other, "z")  # another lineage
    before = other.read_bytes()
    with pytest.raises(StateConflict, match="holds another state"):
        run_migrate(ctx, files=[], state=hops[2], to=str(other), lock_timeout=None)
    assert other.read_bytes() == before
    assert state_backend(ctx, [], hops[2]).read().state == saved
