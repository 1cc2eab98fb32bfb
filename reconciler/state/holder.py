"""Who holds a state's lock, as every backend records it (docs/state.md). Pure."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict


class Holder(BaseModel):
    """The JSON record inside ``<state>.lock`` while it is held; only ever used for messages."""

    model_config = ConfigDict(extra="ignore", frozen=True)

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


def ci_run_url(environ: Mapping[str, str]) -> str | None:
    """The GitHub Actions run's URL for the holder record, when ``GITHUB_RUN_ID`` is set."""
    run_id, repo = environ.get("GITHUB_RUN_ID"), environ.get("GITHUB_REPOSITORY")
    if not run_id or not repo:
        return None
    server = environ.get("GITHUB_SERVER_URL") or "https://github.com"
    url = f"{server.rstrip('/')}/{repo}/actions/runs/{run_id}"
    attempt = environ.get("GITHUB_RUN_ATTEMPT")
    return f"{url}/attempts/{attempt}" if attempt else url
