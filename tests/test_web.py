"""The frontend's and GraphiQL's pages (backend/web.py), over a stand-in Vite manifest."""

from __future__ import annotations

import json
import re
import socket
import subprocess

import pytest
from django.test import Client
from django_vite.core.asset_loader import DjangoViteAssetLoader

from tests.servers import ROOT

MANIFEST = {
    "src/main.tsx": {
        "file": "assets/shell-abc123.js",
        "isEntry": True,
        "css": ["assets/shell-1.css"],
    },
    "src/graphiql/main.tsx": {"file": "assets/graphiql-def456.js", "isEntry": True},
}


def _vite(settings, manifest_path) -> None:
    settings.DJANGO_VITE = {
        "default": {**settings.DJANGO_VITE["default"], "manifest_path": manifest_path}
    }
    DjangoViteAssetLoader._instance = None  # django-vite reads the manifest once


@pytest.fixture
def built(settings, tmp_path):
    """A frontend build as Vite leaves it: its manifest."""
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(MANIFEST))
    _vite(settings, manifest)
    yield
    DjangoViteAssetLoader._instance = None


@pytest.fixture
def not_built(settings, tmp_path):
    _vite(settings, tmp_path / "absent" / "manifest.json")
    yield
    DjangoViteAssetLoader._instance = None


def _config(page) -> dict:
    found = re.search(
        r'<script id="openimis-config" type="application/json">(.*?)</script>',
        page.content.decode(),
    )
    assert found, page.content.decode()
    return json.loads(found.group(1))


def test_root_leads_to_the_frontend_through_the_login(db, built):
    client = Client()
    assert client.get("/").headers["Location"] == "/app/"
    assert client.get("/app/").headers["Location"] == "/accounts/login/?next=/app/"
    deep = client.get("/app/locations/0b7f")
    assert deep.headers["Location"] == "/accounts/login/?next=/app/locations/0b7f"


def test_the_login_lands_on_the_frontend_unless_next_says_otherwise(make_user, built):
    user = make_user("clerk", "location.view_location")
    user.set_password("right-password")
    user.save()
    form = {"username": "clerk", "password": "right-password"}

    # typed /accounts/login/ (no next): the frontend, not GraphiQL
    landed = Client().post("/accounts/login/", form)
    assert landed.status_code == 302
    assert landed.headers["Location"] == "/"
    # a visit to / while logged out comes back to the frontend after the login
    client = Client()
    login_url = client.get(client.get("/").headers["Location"]).headers["Location"]
    assert login_url == "/accounts/login/?next=/app/"
    back = client.post(login_url, form)
    assert back.headers["Location"] == "/app/"
    assert client.get("/app/").status_code == 200
    # next keeps working for GraphiQL and for a page deep in the frontend
    for target in ("/graphql", "/app/locations/0b7f"):
        answer = Client().post(f"/accounts/login/?next={target}", form)
        assert answer.headers["Location"] == target


def test_the_shell_page_tells_modules_user_and_csrf_token(make_user, built):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("viewer", "location.view_location", "payer.view_payer"))
    for path in ("/app/", "/app/payers/8c1e/history"):
        page = client.get(path)
        assert page.status_code == 200
        html = page.content.decode()
        script = 'src="/static/frontend/assets/shell-abc123.js"'
        assert f'<script type="module" crossorigin="" {script}>' in html
        assert '<link  rel="stylesheet" href="/static/frontend/assets/shell-1.css" />' in html
        config = _config(page)
        assert config["modules"] == ["location", "payer"]
        assert config["user"] == {
            "username": "viewer",
            # make_user gives the global district right too (conftest.py)
            "permissions": ["location.all_districts", "location.view_location", "payer.view_payer"],
        }
        assert config["graphqlUrl"] == "/graphql"
        assert config["logoutUrl"] == "/accounts/logout/"
        assert config["loginUrl"] == "/accounts/login/"
        # the search boxes take no more than the API's filters accept
        assert config["limits"] == {"filterText": 200}
    # the token in the page passes the CSRF check of the session's POSTs
    answer = client.post(
        "/graphql",
        {"query": "{ locations { totalCount } }"},
        content_type="application/json",
        headers={"X-CSRFToken": config["csrfToken"]},
    )
    assert answer.json() == {"data": {"locations": {"totalCount": 0}}}


def test_the_active_modules_follow_the_configuration(make_user, built, monkeypatch):
    from backend import web

    class Location:
        label = "location"

    monkeypatch.setattr(web, "active_modules", lambda: [Location()])
    client = Client()
    client.force_login(make_user("viewer", "location.view_location"))
    assert _config(client.get("/app/"))["modules"] == ["location"]


def test_graphiql_comes_from_the_servers_own_files(db, built):
    page = Client().get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>GraphiQL" in html
    assert 'src="/static/frontend/assets/graphiql-def456.js"' in html
    # nothing from another host: every src/href is a path on this server
    assert re.findall(r'(?:src|href)="(?!/|data:)', html) == []
    assert "unpkg" not in html and "cdn" not in html.lower()
    assert page.cookies["csrftoken"].value  # GraphiQL's POSTs send its masked form


def test_a_missing_build_is_a_clear_503(make_user, not_built):
    client = Client()
    client.force_login(make_user("viewer"))
    for page in (client.get("/app/"), client.get("/graphql", headers={"Accept": "text/html"})):
        assert page.status_code == 503
        assert page.content.decode().startswith("The frontend is not built: run `make frontend`")


def test_make_run_stops_before_the_loaders_when_its_port_is_in_use():
    """A second ``make run`` says the port is taken instead of reloading the demo data."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        taken = subprocess.run(
            ["make", "--no-print-directory", "port-free", f"PORT={port}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    free = subprocess.run(
        ["make", "--no-print-directory", "port-free", f"PORT={port}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert taken.returncode != 0
    assert f"Port {port} on 127.0.0.1 is in use (another make run?)" in taken.stderr
    assert free.returncode == 0, free.stderr


def test_get_logout_answers_a_page_whose_button_posts_with_the_csrf_token(make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("leaving", "location.view_location"))
    page = client.get("/accounts/logout/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "You are logged in as leaving." in html
    assert '<form method="post" action="/accounts/logout/">' in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert '<button type="submit">Log out</button>' in html
    # the GET logged nobody out; the form's POST does, without its token it is refused
    assert "_auth_user_id" in client.session
    assert client.post("/accounts/logout/").status_code == 403
    assert "_auth_user_id" in client.session
    done = client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert done.headers["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    again = client.get("/accounts/logout/")
    assert "You are not logged in." in again.content.decode()
    assert '<a href="/accounts/login/">Log in</a>' in again.content.decode()


def test_the_favicon_is_served(db):
    answer = Client().get("/favicon.ico")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/svg+xml"
    assert answer.content.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')
    assert Client().post("/favicon.ico").status_code == 405
