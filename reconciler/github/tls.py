"""The TLS context the process's API clients share: httpx's own default (certifi's CA bundle, or
``SSL_CERT_FILE``/``SSL_CERT_DIR``), made once, and early.

Loading the CA bundle is 0.02 s of OpenSSL work that lets go of the GIL, and each client made its
own. A command that will ask the API starts it on a thread (``prepare``) as soon as it knows, so
it is made while the main thread imports and reads files, not after (bench/plan.py).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from reconciler.errors import ConfigError

if TYPE_CHECKING:
    import ssl


class _Shared:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._context: ssl.SSLContext | None = None

    def prepare(self) -> None:
        with self._lock:
            if self._thread is None and self._context is None:
                self._thread = threading.Thread(target=self._make, name="agenttasks-tls")
                self._thread.daemon = True  # a refusal before any request does not wait for it
                self._thread.start()

    def _make(self) -> None:
        try:
            made = _made_here()
        except ConfigError:  # made again by ``context``, where a client opens, to fail there
            return
        with self._lock:
            self._context = made

    def context(self) -> ssl.SSLContext:
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()
        with self._lock:
            if self._context is None:
                self._context = _made_here()
            return self._context


def _made_here() -> ssl.SSLContext:
    import ssl

    import httpx

    try:
        return httpx.create_ssl_context()
    except (OSError, ssl.SSLError) as error:  # SSL_CERT_FILE or SSL_CERT_DIR names no CA bundle
        reason = getattr(error, "strerror", None) or str(error)
        raise ConfigError(
            f"cannot load the CA certificates to verify the API's TLS certificate: {reason}."
            " Check SSL_CERT_FILE and SSL_CERT_DIR: each, when set, must name CA certificates"
        ) from None


_SHARED = _Shared()


def prepare() -> None:
    """Start making the context on a thread, if it is not made or being made."""
    _SHARED.prepare()


def context() -> ssl.SSLContext:
    """The shared context: the one being made is waited for; made here when none was started."""
    return _SHARED.context()
