"""Who holds a state's lock, as every backend records it (docs/state.md). Pure."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.models import Lenient


class Holder(Lenient):
    """Who holds a state's lock: the JSON record in the local ``<state>.lock``, only ever used for
    messages there (docs/state.md)."""

    lock_id: str
    pid: int
    host: str
    command: str
    since: str
    run_url: str | None = None

    def describe(self) -> str:
        run = f", {self.run_url}" if self.run_url else ""
        return (
            f'lock id {self.lock_id}, pid {self.pid} on {self.host}, "{self.command}"'
            f" since {self.since}{run}"
        )


class RemoteHolder(Holder):
    """A remote backend's lock record, where no kernel drops a dead holder's lock: its lease
    (server time) and the Actions run holding it decide when another run may take it over."""

    expires_at: str | None = None
    version: str | None = None
    repository: str | None = None
    run_id: int | None = None
    run_attempt: int | None = None
    workflow: str | None = None
    job: str | None = None
    sha: str | None = None
    actor: str | None = None


def ci_run_url(environ: Mapping[str, str]) -> str | None:
    """The GitHub Actions run's URL for the holder record, when ``GITHUB_RUN_ID`` is set."""
    run_id, repo = environ.get("GITHUB_RUN_ID"), environ.get("GITHUB_REPOSITORY")
    if not run_id or not repo:
        return None
    server = environ.get("GITHUB_SERVER_URL") or "https://github.com"
    url = f"{server.rstrip('/')}/{repo}/actions/runs/{run_id}"
    attempt = environ.get("GITHUB_RUN_ATTEMPT")
    return f"{url}/attempts/{attempt}" if attempt else url


def ci_fields(environ: Mapping[str, str]) -> dict[str, str | int | None]:
    """The Actions run a holder record names, from ``GITHUB_*``; a missing variable omits its
    field, never fails (CI.md §2)."""

    def number(name: str) -> int | None:
        value = environ.get(name, "")
        return int(value) if value.isdigit() else None

    return {
        "run_url": ci_run_url(environ),
        "repository": environ.get("GITHUB_REPOSITORY") or None,
        "run_id": number("GITHUB_RUN_ID"),
        "run_attempt": number("GITHUB_RUN_ATTEMPT"),
        "workflow": environ.get("GITHUB_WORKFLOW") or None,
        "job": environ.get("GITHUB_JOB") or None,
        "sha": environ.get("GITHUB_SHA") or None,
        "actor": environ.get("GITHUB_ACTOR") or None,
    }
