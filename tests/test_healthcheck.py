"""The container's health check (``python -m backend.healthcheck``, docker-compose.yml)
against a live server: ready whatever name ``ALLOWED_HOSTS`` gives the server, and
behind a TLS proxy; one line saying why when not."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware

from backend import healthcheck
from tests.servers import free_ports

PUBLIC = "api.example.org"


@pytest.fixture
def public_name(settings, monkeypatch):
    """The server (settings) and the check (environment) given only the public name, as
    the README's production example does (``ALLOWED_HOSTS=api.example.org``)."""
    settings.ALLOWED_HOSTS = [PUBLIC]
    monkeypatch.setenv("ALLOWED_HOSTS", PUBLIC)


def ready_url(live_server) -> str:
    return f"{live_server.url}/health/ready?format=json"


def test_a_server_named_only_by_its_public_name_is_ready(live_server, public_name):
    url = ready_url(live_server)
    with pytest.raises(urllib.error.HTTPError) as refused:  # the former check's request
        urllib.request.urlopen(url, timeout=5)
    assert refused.value.code == 400
    assert healthcheck.check(url) is None
    assert healthcheck.main([url]) == 0


def test_behind_a_tls_proxy_the_check_is_not_redirected(public_name, settings, monkeypatch, rf):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    middleware = SecurityMiddleware(lambda request: HttpResponse())  # reads the settings

    def status() -> int:
        headers = healthcheck.probe_headers()
        meta = {f"HTTP_{name.upper().replace('-', '_')}": v for name, v in headers.items()}
        return middleware(rf.get("/health/ready", **meta)).status_code

    monkeypatch.delenv("BEHIND_TLS_PROXY", raising=False)
    assert status() == 301  # to https://api.example.org/health/ready
    monkeypatch.setenv("BEHIND_TLS_PROXY", "true")
    assert status() == 200


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        (None, "localhost"),
        ("api.example.org,localhost", "api.example.org"),
        (".example.org", "example.org"),
        ("*", "localhost"),
        (" , ", "localhost"),
    ],
)
def test_the_host_is_the_first_allowed_name(monkeypatch, allowed, host):
    if allowed is None:
        monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
    else:
        monkeypatch.setenv("ALLOWED_HOSTS", allowed)
    monkeypatch.delenv("BEHIND_TLS_PROXY", raising=False)
    assert healthcheck.probe_headers() == {"Host": host}


def test_no_server_is_one_line_and_exit_1(capsys):
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}/health/ready"
    assert healthcheck.main([url]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"not ready: {url} did not answer: ")
    assert err.count("\n") == 1


def test_a_setting_it_cannot_read_is_one_line_and_exit_1(monkeypatch, capsys):
    monkeypatch.setenv("BEHIND_TLS_PROXY", "maybe")
    assert healthcheck.main(["http://127.0.0.1:1/health/ready"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("not ready: a setting cannot be read: BEHIND_TLS_PROXY must be a boolean")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "text/html,application/xhtml+xml,*/*;q=0.8", "text/plain"],
    ids=["no-accept", "curl", "browser", "text"],
)
def test_liveness_answers_a_short_plain_body(client, accept):
    """A probe, curl and a browser get "OK" as text, not django-health-check's HTML page."""
    headers = {"Accept": accept} if accept else {}

    response = client.get("/health/live", headers=headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"OK\n"


def test_liveness_answers_json_when_asked(client):
    for response in (
        client.get("/health/live?format=json"),
        client.get("/health/live", headers={"Accept": "application/json"}),
    ):
        assert (response.status_code, response.json()) == (200, {})
