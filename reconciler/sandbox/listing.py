"""A page of tasks: filtered, sorted and paged as the list query asks, with ``Link`` and counters.

Each listed task's JSON comes from the render cache (``taskjson.encoded_task``) and the page is
joined as bytes, the same bytes ``wire.encode`` would give for the whole document.
"""

from __future__ import annotations

import math
from datetime import datetime
from operator import itemgetter
from urllib.parse import urlencode

from reconciler.sandbox import taskjson
from reconciler.sandbox.lifecycle import Phase, phase, updated_at
from reconciler.sandbox.query import ListQuery, parse_list_query
from reconciler.sandbox.store import Store, StoredTask
from reconciler.sandbox.wire import Request, Response, encoded_response, validation_failed

_Row = tuple[tuple[datetime, int], StoredTask, Phase]


def _ordered(scope: list[StoredTask], query: ListQuery, now: datetime, speed: float) -> list[_Row]:
    # Each task's phase once: the filters, the sort and the rendering all read it.
    # Ties (same second, or a frozen clock) fall back to creation order, so pages never overlap.
    rows: list[_Row] = []
    for seq, task in enumerate(scope):
        if (task.archived_at is not None) != query.archived:
            continue
        current = phase(task, now, speed)
        if query.states is not None and current.state not in query.states:
            continue
        if query.creator_ids is not None and task.creator_id not in query.creator_ids:
            continue
        changed = updated_at(task, current)
        if query.since is not None and changed.replace(microsecond=0) < query.since:
            continue
        stamp = changed if query.sort == "updated_at" else task.created_at
        rows.append(((stamp, seq), task, current))
    rows.sort(key=itemgetter(0), reverse=query.direction == "desc")
    return rows


def link_header(request: Request, page: int, per_page: int, pages: int) -> str:
    """``Link`` for page ``page`` of ``pages``: next, prev, first and last, as GitHub writes it
    (every paged route of the sandbox)."""
    # The other parameters are encoded once for the four links; page numbers need no quoting.
    kept = urlencode([(k, v) for k, v in request.query if k not in ("page", "per_page")])
    prefix = f"{request.base_url}{request.path}?{kept}{'&' if kept else ''}"

    def url(number: int) -> str:
        return f"{prefix}page={number}&per_page={per_page}"

    links = []
    if page < pages:
        links.append(f'<{url(page + 1)}>; rel="next"')
    if page > 1:
        links.append(f'<{url(min(page - 1, pages))}>; rel="prev"')
    links.append(f'<{url(1)}>; rel="first"')
    links.append(f'<{url(pages)}>; rel="last"')
    return ", ".join(links)


def list_tasks(store: Store, request: Request, scope: list[StoredTask], now: datetime) -> Response:
    """A page of ``scope`` filtered and sorted as the query asks, with ``Link`` and counters."""
    query = parse_list_query(request.query, by_repo=request.path.startswith("/agents/repos/"))
    if isinstance(query, list):
        return validation_failed(query)
    rows = _ordered(scope, query, now, store.config.speed)
    pages = max(1, math.ceil(len(rows) / query.per_page))
    start = (query.page - 1) * query.per_page
    shown = b",".join(
        taskjson.encoded_task(store.rendered, task, current, request.base_url)
        for _, task, current in rows[start : start + query.per_page]
    )
    active = sum(1 for t in scope if t.archived_at is None)
    body = b'{"tasks":[%b],"total_active_count":%d,"total_archived_count":%d}' % (
        shown,
        active,
        len(scope) - active,
    )
    link = link_header(request, query.page, query.per_page, pages)
    return encoded_response(200, body, ("link", link))
