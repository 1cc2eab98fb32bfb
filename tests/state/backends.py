"""What the contract suite (test_contract.py) needs from a backend, and the s3:// one's place.

A ``Harness`` is one backend under test: ``make()`` opens it again on the same location (another
run's view of it); ``tamper(state)`` writes a state behind every lock, as another program would;
``abandon()`` leaves a lock whose holder is gone (died, or its lease ran out). Two flags say where
the backends differ by design (CI.md §2): ``breaks_live_locks`` (force-unlock breaks a lock whose
holder may be alive and relies on the fence; the local file refuses while a live process holds
it) and ``leases_expire`` (a holder that stops renewing loses its lock by time; locally only by
dying, and the dead have no lease left to write with).

Adding a backend is one fixture in conftest.py named ``<name>_harness`` returning a ``Harness``,
and its name in ``BACKENDS`` in test_contract.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from reconciler.state.backend import Backend, Lease
from reconciler.state.format import State, encode
from reconciler.state.location import GithubFile, S3Object

if TYPE_CHECKING:
    import httpx
    from mypy_boto3_s3 import S3Client

    from reconciler.github.repos import RepoClient
    from reconciler.state.branch import BranchBackend
    from reconciler.state.s3 import S3Backend


@dataclass(frozen=True)
class Abandoned:
    """A lock left by a holder that is gone: its id, and its lease when it can still try to
    write (a holder whose lease ran out); None when it cannot (a process that died)."""

    lock_id: str
    lease: Lease | None


@dataclass(frozen=True)
class Harness:
    name: str
    make: Callable[[], Backend]
    tamper: Callable[[State], None]
    abandon: Callable[[], Abandoned]
    breaks_live_locks: bool
    leases_expire: bool


def s3_client(endpoint: str) -> S3Client:
    """A client for the moto server with throwaway credentials (never the environment's)."""
    import boto3

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@dataclass(frozen=True)
class S3Place:
    """A bucket of its own on the moto server."""

    endpoint: str
    bucket: str
    client: S3Client

    @classmethod
    def open(cls, endpoint: str) -> S3Place:
        return cls(endpoint, f"agenttasks-{uuid.uuid4().hex[:16]}", s3_client(endpoint))

    def backend(
        self,
        key: str,
        *,
        lease: timedelta | None = None,
        endpoint: str | None = None,
        environ: dict[str, str] | None = None,
    ) -> S3Backend:
        """A backend with its own client (another run), polling fast."""
        from reconciler.state.lease import LEASE
        from reconciler.state.s3 import S3Backend

        return S3Backend(
            S3Object(self.bucket, key),
            client=s3_client(endpoint or self.endpoint),
            environ=environ,
            lease=LEASE if lease is None else lease,
            poll=0.05,
        )

    def harness(self, key: str) -> Harness:
        def abandon() -> Abandoned:
            expired = self.backend(key, lease=timedelta(0))
            lease = expired.lock(command="apply --yes", timeout=None, run_url=None, on_wait=None)
            lease.__enter__()  # never left: its holder stopped renewing, its lease is over
            assert lease.holder is not None
            return Abandoned(lease.holder.lock_id, lease)

        def tamper(state: State) -> None:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=encode(state).encode())

        return Harness(
            name="s3",
            make=lambda: self.backend(key),
            tamper=tamper,
            abandon=abandon,
            breaks_live_locks=True,
            leases_expire=True,
        )


GITHUB_REPO, GITHUB_BRANCH = "octo-org/web", "agenttasks-state"
ACTIONS_TOKEN = "ghs_contractSuiteActionsToken000000000000"


@dataclass(frozen=True)
class GithubPlace:
    """A state branch on a sandbox, in-process (``transport``) or served (``url``); ``commit``
    is another writer's commit of chosen files."""

    base_url: str
    transport: Callable[[], httpx.BaseTransport]
    commit: Callable[[dict[str, str | None]], None]
    opened: list[RepoClient] = field(default_factory=list)

    def close(self) -> None:
        for client in self.opened:
            client.close()

    def backend(
        self, path: str, *, lease: timedelta | None = None, environ: dict[str, str] | None = None
    ) -> BranchBackend:
        """A backend with its own client (another run), polling fast."""
        from reconciler.github.auth import Token
        from reconciler.github.repos import RepoClient
        from reconciler.github.session import Hooks
        from reconciler.state.branch import BranchBackend
        from reconciler.state.lease import LEASE

        client = RepoClient(
            self.base_url,
            Token(ACTIONS_TOKEN, "GITHUB_TOKEN"),
            GITHUB_REPO,
            transport=self.transport(),
            hooks=Hooks(sleep=lambda seconds: None),
        )
        self.opened.append(client)
        where = GithubFile(GITHUB_REPO, GITHUB_BRANCH, path)
        return BranchBackend(
            client,
            where,
            repo=GITHUB_REPO,
            environ=environ or {},
            lease=LEASE if lease is None else lease,
            poll=0.05,
        )

    def harness(self, name: str, path: str) -> Harness:
        def abandon() -> Abandoned:
            expired = self.backend(path, lease=timedelta(0))
            lease = expired.lock(command="apply --yes", timeout=None, run_url=None, on_wait=None)
            taken = lease.__enter__()  # never left: its holder stopped renewing, its lease is over
            assert taken.holder is not None
            return Abandoned(taken.holder.lock_id, taken)

        def tamper(state: State) -> None:
            self.commit({path: encode(state)})

        return Harness(
            name=name,
            make=lambda: self.backend(path),
            tamper=tamper,
            abandon=abandon,
            breaks_live_locks=True,
            leases_expire=True,
        )
