"""The normalised echo (``Sandbox(normalise=True)``, ``sandbox serve --normalise``): sessions
answer refs as ``refs/heads/BRANCH`` and models as pinned versions, and chosen fields can be left
out of every session; the default echo stays verbatim."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler.sandbox import ManualClock, Sandbox
from tests.sandbox.conftest import Served, client_for

REPO_TASKS = "/agents/repos/octo-org/web/tasks"
DEFAULT_MODEL = "claude-sonnet-4.5-2025-09-29"


def _session(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    created = http.post(REPO_TASKS, json=body)
    assert created.status_code == 201, created.text
    detail = http.get(f"{REPO_TASKS}/{created.json()['id']}")
    assert detail.status_code == 200
    [session] = detail.json()["sessions"]
    assert isinstance(session, dict)
    return session


def test_the_default_echo_is_verbatim(client: httpx.Client) -> None:
    session = _session(
        client, {"prompt": "p", "base_ref": "main", "head_ref": "fix/x", "model": "gpt-5"}
    )
    assert (session["base_ref"], session["head_ref"], session["model"]) == (
        "main",
        "fix/x",
        "gpt-5",
    )
    assert "model" not in _session(client, {"prompt": "q"})


def test_normalise_spells_refs_in_full_and_pins_the_model() -> None:
    sandbox = Sandbox(clock=ManualClock(), normalise=True)
    with client_for(sandbox) as http:
        given = _session(
            http, {"prompt": "p", "base_ref": "main", "head_ref": "fix/x", "model": "gpt-5"}
        )
        assert given["base_ref"] == "refs/heads/main"
        assert given["head_ref"] == "refs/heads/fix/x"
        assert given["model"] == "gpt-5-2025-08-07"
        defaulted = _session(http, {"prompt": "Tidy it"})
        assert defaulted["base_ref"] == "refs/heads/main"
        assert defaulted["head_ref"] == "refs/heads/copilot/tidy-it"
        assert defaulted["model"] == DEFAULT_MODEL
        assert _session(http, {"prompt": "p", "model": "auto"})["model"] == DEFAULT_MODEL
        # A ref already spelled in full is not spelled twice.
        full = _session(http, {"prompt": "p", "base_ref": "refs/heads/release"})
        assert full["base_ref"] == "refs/heads/release"
        # The prompt is still verbatim; the task's own fields and artifacts are not touched.
        assert given["prompt"] == "p"
        listed = http.get(REPO_TASKS).json()["tasks"]
        assert all("model" not in t for t in listed)
    # What the task was started with is kept as given.
    assert [t.base_ref for t in sandbox.tasks()][:1] == ["main"]


def test_chosen_fields_are_left_out_of_every_session() -> None:
    sandbox = Sandbox(
        clock=ManualClock(), normalise=True, omit_session_fields=("model", "head_ref")
    )
    with client_for(sandbox) as http:
        session = _session(http, {"prompt": "p", "head_ref": "fix/x", "model": "gpt-5"})
    assert "model" not in session
    assert "head_ref" not in session
    assert session["base_ref"] == "refs/heads/main"
    assert session["prompt"] == "p"


def test_only_the_matched_echoes_can_be_left_out() -> None:
    with pytest.raises(ValueError, match="cannot omit session field"):
        Sandbox(omit_session_fields=("prompt",))


@pytest.mark.e2e
def test_served_with_normalise(serve: Callable[..., Served]) -> None:
    served = serve("--normalise", "--omit-session-field", "head_ref")
    with served.client() as http:
        session = _session(http, {"prompt": "p", "base_ref": "main", "model": "gpt-5-mini"})
    assert session["base_ref"] == "refs/heads/main"
    assert session["model"] == "gpt-5-mini-2025-08-07"
    assert "head_ref" not in session
    assert served.stop() == 0
