"""Token discovery and API URL rules (DESIGN §6), with the environment passed in as a dict."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.github.auth import Token, find_token, gh_auth_token, resolve_api_url

SECRET = "ghp_RECOGNISABLEsecretTOKENvalue0123456789"


def no_gh(host: str) -> str | None:
    raise AssertionError("gh must not be asked when a variable holds a token")


def test_variables_are_tried_in_order() -> None:
    env = {"GITHUB_TOKEN": "ghp_third", "GH_TOKEN": "ghp_second", "AGENTTASKS_TOKEN": "ghp_first"}
    assert find_token(env, run_gh=no_gh).source == "AGENTTASKS_TOKEN"
    del env["AGENTTASKS_TOKEN"]
    assert find_token(env, run_gh=no_gh).source == "GH_TOKEN"
    del env["GH_TOKEN"]
    token = find_token(env, run_gh=no_gh)
    assert (token.source, token.reveal()) == ("GITHUB_TOKEN", "ghp_third")


def test_gh_is_asked_last_for_the_api_hosts_web_host() -> None:
    asked: list[str] = []

    def gh(host: str) -> str | None:
        asked.append(host)
        return "gho_fromgh"

    token = find_token({"GH_TOKEN": "  "}, api_url="https://api.acme.ghe.com", run_gh=gh)
    assert (token.source, token.reveal(), asked) == (
        "gh auth token",
        "gho_fromgh",
        ["acme.ghe.com"],
    )


def test_no_token_anywhere_says_where_to_put_one() -> None:
    with pytest.raises(ConfigError) as caught:
        find_token({}, run_gh=lambda host: None)
    assert str(caught.value) == (
        "No token found: set AGENTTASKS_TOKEN (or GH_TOKEN or GITHUB_TOKEN) to a personal access"
        ' token with the "Agent tasks" repository permission, or log in with `gh auth login`.'
    )


def test_installation_tokens_are_refused_before_any_request() -> None:
    env = {"GITHUB_TOKEN": "ghs_" + "x" * 36}
    with pytest.raises(ConfigError) as caught:
        find_token(env, run_gh=no_gh)
    assert str(caught.value) == (
        "The token from GITHUB_TOKEN is a GitHub App installation token (ghs_…), such as the"
        " GITHUB_TOKEN of GitHub Actions; the agent tasks API accepts only user tokens. Store a"
        " personal access token as a secret and pass it in AGENTTASKS_TOKEN (or set"
        " AGENTTASKS_ALLOW_INSTALLATION_TOKEN=1 once GitHub supports installation tokens)."
    )
    assert "x" * 8 not in str(caught.value)
    env["AGENTTASKS_ALLOW_INSTALLATION_TOKEN"] = "1"
    assert find_token(env, run_gh=no_gh).source == "GITHUB_TOKEN"


def test_a_token_never_shows_its_value() -> None:
    token = Token(SECRET, "GH_TOKEN")
    assert SECRET not in repr(token)
    assert SECRET not in str(token)
    assert SECRET not in f"{token}"
    assert repr(token) == "Token(source='GH_TOKEN', value=***)"
    with pytest.raises(TypeError):
        pickle.dumps(token)


def test_api_url_order_and_default() -> None:
    env = {"AGENTTASKS_API_URL": "https://a.example/", "GITHUB_API_URL": "https://b.example"}
    assert resolve_api_url("https://opt.example", env).url == "https://opt.example"
    assert resolve_api_url(None, env).url == "https://a.example"
    assert resolve_api_url(None, {"GITHUB_API_URL": "https://b.example"}).source == (
        "GITHUB_API_URL"
    )
    assert resolve_api_url(None, {}).url == "https://api.github.com"


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8765", "http://127.9.9.9", "http://[::1]:80", "http://localhost:1"],
)
def test_plain_http_is_allowed_to_loopback(url: str) -> None:
    assert resolve_api_url(url, {}).url == url


def test_plain_http_elsewhere_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_api_url(None, {"AGENTTASKS_API_URL": "http://api.example.com"})
    assert str(caught.value) == (
        "Invalid API URL 'http://api.example.com' from AGENTTASKS_API_URL: plain http:// would"
        " send the token unencrypted; use https:// (http:// is only allowed to loopback hosts:"
        " 127.0.0.0/8, ::1, localhost)."
    )


@pytest.mark.parametrize(
    "url", ["ftp://x.example", "https://u:p@x.example", "https://x.example/?a=1", "api.github.com"]
)
def test_other_bad_urls_are_refused_without_echoing_credentials(url: str) -> None:
    with pytest.raises(ConfigError, match="Invalid API URL") as caught:
        resolve_api_url(url, {})
    assert ":p@" not in str(caught.value)


def test_sandbox_urls_are_recognised() -> None:
    target = resolve_api_url("sandbox:tmp/tasks.json?speed=50&seed=1", {})
    assert target.is_sandbox
    assert target.url == "sandbox:tmp/tasks.json?speed=50&seed=1"


def _fake_gh(directory: Path, script: str) -> None:
    gh = directory / "gh"
    gh.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    gh.chmod(0o755)


def test_gh_auth_token_runs_gh_for_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_gh(tmp_path, 'test "$4" = acme.ghe.com && echo gho_fromgh')
    monkeypatch.setenv("PATH", str(tmp_path))
    assert gh_auth_token("acme.ghe.com") == "gho_fromgh"
    assert gh_auth_token("github.com") is None  # gh printed nothing: not logged in there


def test_gh_auth_token_is_none_when_gh_fails_or_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_gh(tmp_path, "echo not logged in >&2; exit 1")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert gh_auth_token("github.com") is None
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert gh_auth_token("github.com") is None
