"""The end-of-run check of creates whose answer was lost (DESIGN §5).

One listing per repository, one GET per candidate, then the planner's own rule
(``plan.remote.lost_create``): each unconfirmed create is reported "confirmed (will be imported)"
when exactly one task started from its body exists, the planner's ambiguity message when several
do (the next plan refuses with the same words), else "unknown until" the end of its settle window.
The intent stays in the state either way; the next plan resolves it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from reconciler.apply.report import ApplyStatus, KeyOutcome
from reconciler.errors import ApiError
from reconciler.github.client import AgentTasksClient
from reconciler.plan.remote import (
    Remote,
    RepoListing,
    ambiguous_create,
    candidate_ids,
    intent_since,
    listing_query,
    lost_create,
    sent_at,
    settle_window,
)
from reconciler.state.format import Intent, State


def _until(intent: Intent, post_timeout: float) -> str:
    end = sent_at(intent) + settle_window(post_timeout)
    return f"unknown until {end:%H:%M:%S} (UTC)"


def _check_repo(
    client: AgentTasksClient, repo: str, intents: dict[str, Intent], state: State
) -> dict[str, str]:
    user = client.user_id()
    since = min(intent_since(i) for i in intents.values())
    listing = client.list_repo_tasks(repo, listing_query(since, (user,)))
    archived = client.list_repo_tasks(repo, listing_query(since, (user,), archived=True))
    repo_key, known = repo.lower(), state.known_task_ids
    listed = Remote(user, {repo_key: RepoListing(tasks=listing.tasks, archived=archived.tasks)})
    ids = candidate_ids(listed, repo_key, known=known, since=since)
    remote = replace(listed, details={i: client.get_task(repo, i) for i in ids})
    found: dict[str, str] = {}
    claimed: set[str] = set()
    for key, intent in sorted(intents.items()):  # the planner's order, and its claims
        matches = lost_create(remote, intent, known=known, claimed=claimed)
        if matches.ambiguous:
            found[key] = ambiguous_create(key, matches)
        elif matches.one is not None:
            found[key] = f"confirmed (will be imported): task {matches.one.id}"
            claimed.add(matches.one.id)
    return found


def confirm_unfinished(
    outcomes: list[KeyOutcome], state: State, client: AgentTasksClient, post_timeout: float
) -> None:
    """Replace each unconfirmed outcome's detail with what one listing shows."""
    pending = {o.key: i for i, o in enumerate(outcomes) if o.status == ApplyStatus.UNCONFIRMED}
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
            outcomes[pending[key]] = KeyOutcome(old.key, old.status, old.task_id, detail)
