"""The end-of-run check of creates whose answer was lost (DESIGN §5).

One listing per repository, one GET per candidate: each unconfirmed create is reported
"confirmed (will be imported)" when a task started from its body exists, else "unknown until"
the end of its settle window. The intent stays in the state either way; the next plan resolves it.
"""

from __future__ import annotations

from collections import defaultdict

from reconciler.apply.report import Outcome
from reconciler.errors import ApiError
from reconciler.github.client import AgentTasksClient
from reconciler.github.endpoints import ListParams
from reconciler.plan.remote import LOOKBACK, first_session_matches, settle_window
from reconciler.state.format import Intent, State


def _until(intent: Intent, post_timeout: float) -> str:
    end = (intent.server_time or intent.started_at) + settle_window(post_timeout)
    return f"unknown until {end:%H:%M:%S} (UTC)"


def _check_repo(
    client: AgentTasksClient, repo: str, intents: dict[str, Intent], state: State
) -> dict[str, str]:
    user = client.user_id()
    since = min(i.server_time or i.started_at for i in intents.values()) - LOOKBACK
    params = ListParams(sort="created_at", direction="asc", since=since, creator_ids=(user,))
    listing = client.list_repo_tasks(repo, params)
    known = state.known_task_ids
    details = [
        client.get_task(repo, t.id)
        for t in listing.tasks
        if t.creator_id == user and t.id not in known and t.created_at >= since
    ]
    found: dict[str, str] = {}
    for key, intent in sorted(intents.items()):
        match = next((d for d in details if first_session_matches(intent.body, d)), None)
        if match is not None:
            found[key] = f"confirmed (will be imported): task {match.id}"
            details.remove(match)
    return found


def confirm_unfinished(
    outcomes: list[Outcome], state: State, client: AgentTasksClient, post_timeout: float
) -> None:
    """Replace each unconfirmed outcome's detail with what one listing shows."""
    pending = {o.key: i for i, o in enumerate(outcomes) if o.status == "unconfirmed"}
    by_repo: dict[str, dict[str, Intent]] = defaultdict(dict)
    for key in pending:
        intent = state.intents.get(key)
        if intent is not None:
            by_repo[intent.repo.lower()][key] = intent
    for intents in by_repo.values():
        repo = next(iter(intents.values())).repo
        try:
            found = _check_repo(client, repo, intents, state)
        except ApiError:
            found = {}
        for key, intent in intents.items():
            detail = found.get(key) or _until(intent, post_timeout)
            old = outcomes[pending[key]]
            outcomes[pending[key]] = Outcome(old.key, old.status, old.task_id, detail)
