"""Response observers: callables the adapters tell about every request and answer.

The test suite installs one that validates every response against the OpenAPI description, so no
test can make the sandbox say something GitHub's description does not allow without failing.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.sandbox.wire import Request, Response

Observer = Callable[[Request, Response], None]
_observers: list[Observer] = []


def add_observer(observer: Observer) -> None:
    """Tell ``observer`` about every request every sandbox in this process answers."""
    _observers.append(observer)


def remove_observer(observer: Observer) -> None:
    """Stop telling ``observer``."""
    _observers.remove(observer)


def notify(request: Request, response: Response) -> None:
    """Called by the adapters once per answered request."""
    for observer in list(_observers):
        observer(request, response)
