"""The probe: does an S3-compatible store honour conditional writes (docs/state.md "S3")?

Some S3-compatible stores accept the conditional headers and ignore them, which would make every
lock succeed. Before its first lock or ``force-unlock`` each backend creates a fresh probe key twice
with ``If-None-Match: *`` and writes it with a wrong ``If-Match``, requires 412 for both, deletes
it, and refuses (``ConfigError``) a store that does not honour them. Reads never probe: ``plan``,
``status`` and ``show`` need only ``s3:GetObject``.
"""

from __future__ import annotations

import contextlib
import uuid

from reconciler.errors import ConfigError, StateError
from reconciler.state.s3store import Refused, S3Store

_WRONG_ETAG = '"00000000000000000000000000000000"'


def check_conditional_writes(store: S3Store, key: str, location: str) -> None:
    """Refuse ``store`` (``ConfigError``) unless it honours If-None-Match / If-Match, tried on a
    fresh ``KEY.probe.*`` key beside the state at ``key`` (``location`` names it)."""
    key = f"{key}.probe.{uuid.uuid4().hex}"

    def refuse(why: str) -> ConfigError:
        return ConfigError(
            f"S3 store {store.endpoint} does not honour conditional writes: {why}; its locks"
            f" would exclude no one, so {location} is refused (docs/state.md)"
        )

    try:
        etag = store.put(key, b"probe 1\n", create=True)[0]
    except Refused as refused:
        raise refuse(f"a create of the new key {key} was refused ({refused})") from None
    try:
        try:
            etag = store.put(key, b"probe 2\n", create=True)[0]
            raise refuse(f"a second create of {key} with If-None-Match: * succeeded")
        except Refused as refused:
            if refused.status != 412:
                raise refuse(f"a second create of {key} answered {refused}, not 412") from None
        try:
            etag = store.put(key, b"probe 3\n", if_match=_WRONG_ETAG)[0]
            raise refuse(f"a write of {key} with a wrong If-Match succeeded")
        except Refused as refused:
            if refused.status != 412:
                raise refuse(f"a write with a wrong If-Match answered {refused}, not 412") from None
    finally:
        with contextlib.suppress(Refused, StateError, ConfigError):
            store.delete(key, if_match=etag)
