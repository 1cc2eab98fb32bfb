"""The normalised request body of a task and its spec digest (DESIGN §3).

The digest is a task's identity over time: a change to it means the spec changed. It must not move
when only the YAML's layout does (formatting, comments, key order, ``|`` vs ``|-``, CRLF, a BOM,
defaults vs inline values), and must move when anything sent to the API does. Changing the encoding
below is a state-format migration.
"""

from __future__ import annotations

import hashlib
import json

from reconciler.models import RequestBody


def normalise_prompt(text: str) -> str:
    """CRLF to LF, no BOM, no trailing whitespace at the end."""
    return text.replace("\r\n", "\n").removeprefix("\ufeff").rstrip()


def request_body(
    prompt: str,
    *,
    base_ref: str | None = None,
    head_ref: str | None = None,
    model: str | None = None,
    custom_agent: str | None = None,
    create_pull_request: bool | None = None,
) -> RequestBody:
    """The body as sent; ``create_pull_request: false`` is the API's default, so it is dropped."""
    return RequestBody(
        prompt=normalise_prompt(prompt),
        base_ref=base_ref,
        head_ref=head_ref,
        model=model,
        custom_agent=custom_agent,
        create_pull_request=True if create_pull_request else None,
    )


def canonical_json(body: RequestBody) -> str:
    """The body as the digest sees it: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(body.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def spec_digest(repo: str, body: RequestBody) -> str:
    """SHA-256 hex of the lower-cased repository, a newline, and the canonical body."""
    data = f"{repo.lower()}\n{canonical_json(body)}".encode()
    return hashlib.sha256(data).hexdigest()
