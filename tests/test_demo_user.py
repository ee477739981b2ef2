"""``manage.py create_demo_user --remove``: the demo login is gone afterwards, whether
the demo user made changes (kept as their author, deactivated) or not (deleted)."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from oauth2_provider.models import AccessToken, Application

from backend import deployment
from modules.location.models import Location

pytestmark = pytest.mark.django_db

CREATE = (
    'mutation { createLocation(input: {code: "R9", name: "Demo region", type: REGION}) '
    "{ location { code auditUser } errors { code } } }"
)


def graphql(client: Client, query: str, **headers) -> dict:
    return client.post(
        "/graphql", json.dumps({"query": query}), content_type="application/json", headers=headers
    ).json()


def demo_clients(settings) -> tuple[Client, dict[str, str]]:
    """The demo user and client, made by the command; a session logged in as ``demo``
    and the headers of a client-credentials token of ``demo-client`` (in debug mode:
    with DEBUG=false authentication refuses them, test_the_demo_credentials_are_refused)."""
    settings.DEBUG = True
    call_command("create_demo_user", stdout=io.StringIO())
    settings.SECRET_KEY = "x" * 60
    session = Client()
    session.force_login(User.objects.get(username="demo"))
    token = Client().post(
        "/o/token/",
        {"grant_type": "client_credentials"},
        headers={"Authorization": "Basic ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ="},  # demo-client
    )
    assert token.status_code == 200, token.content
    return session, {"Authorization": f"Bearer {token.json()['access_token']}"}


def remove() -> str:
    out = io.StringIO()
    call_command("create_demo_user", "--remove", stdout=out)
    return out.getvalue().strip()


def test_a_demo_user_without_changes_is_deleted(settings):
    demo_clients(settings)
    assert remove() == (
        "Demo client 'demo-client' removed with 1 token(s) or grant(s) of its own. Demo user "
        "'demo' deleted, 0 OAuth2 token(s) or grant(s) and 1 session(s) dropped."
    )
    assert not User.objects.filter(username="demo").exists()
    assert not Application.objects.exists() and not AccessToken.objects.exists()
    assert not Session.objects.exists()
    settings.DEBUG = False
    deployment.refuse_unsafe_production()  # nothing left to refuse
    assert deployment.check_demo_credentials(databases=["default"]) == []
    assert remove() == (
        "Demo client 'demo-client' removed with 0 token(s) or grant(s) of its own. No user 'demo'."
    )


def test_a_demo_user_who_made_changes_is_deactivated(settings):
    session, token = demo_clients(settings)
    by_token = graphql(Client(), CREATE, **token)["data"]["createLocation"]
    assert by_token == {"location": {"code": "R9", "auditUser": "demo"}, "errors": []}
    # a token of another application, issued to the demo user, goes too
    other = Application.objects.create(
        name="other", client_type="confidential", authorization_grant_type="authorization-code"
    )
    demo = User.objects.get(username="demo")
    AccessToken.objects.create(
        token="other-token", user=demo, application=other, expires="2100-01-01T00:00Z"
    )
    other_session = Client()
    other_session.force_login(User.objects.create_user("someone"))

    assert remove() == (
        "Demo client 'demo-client' removed with 1 token(s) or grant(s) of its own. Demo user "
        "'demo' made changes that name it as their author, so it is kept but deactivated: "
        "password unusable, 1 OAuth2 token(s) "
        "or grant(s) and 1 session(s) dropped."
    )

    demo = User.objects.get(username="demo")
    assert (demo.is_active, demo.is_staff, demo.is_superuser) == (False, False, False)
    assert not demo.has_usable_password()
    assert Location.objects.get(code="R9").audit_user == demo  # the history keeps its author
    assert list(Application.objects.values_list("name", flat=True)) == ["other"]
    assert not AccessToken.objects.exists()
    assert Session.objects.count() == 1  # someone else's session stays
    # nobody acts as demo any more: not its session, not its token, not its password
    anonymous = graphql(session, "{ locations { totalCount } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert graphql(Client(), "{ __typename }", **token)["errors"][0]["message"] == (
        "Invalid or expired bearer token."
    )
    assert not demo.check_password("demo")
    # the production checks pass
    settings.DEBUG = False
    deployment.refuse_unsafe_production()
    assert deployment.check_demo_credentials(databases=["default"]) == []
    # removing again changes nothing; creating it again (DEBUG) makes it usable again
    assert "Demo user 'demo' made changes" in remove()  # a second removal: deactivated again
    settings.DEBUG = True
    call_command("create_demo_user", stdout=io.StringIO())
    demo = User.objects.get(username="demo")
    assert (demo.is_active, demo.is_superuser, demo.check_password("demo")) == (True, True, True)


def test_the_demo_credentials_are_refused_with_debug_false(settings):
    # given the demo user and client in the database, which the start-up check did not
    # see (the database was down when gunicorn started), and a token issued before
    _, token = demo_clients(settings)
    demo = User.objects.get(username="demo")
    settings.DEBUG = False
    # then the demo client gets no token (invalid_client, counted as a failed login)
    refused = Client().post(
        "/o/token/",
        {"grant_type": "client_credentials"},
        headers={"Authorization": "Basic ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ="},  # demo-client
    )
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")
    # its token acts for nobody
    assert graphql(Client(), "{ __typename }", **token)["errors"][0]["message"] == (
        "Invalid or expired bearer token."
    )
    # the demo user cannot log in with its public password, at the login page or the admin
    for path in ("/accounts/login/", "/admin/login/"):
        browser = Client()
        response = browser.post(path, {"username": "demo", "password": "demo"})
        assert response.status_code == 200  # the form again, with its error
        assert "_auth_user_id" not in browser.session
    # and in debug mode all of them work
    settings.DEBUG = True
    browser = Client()
    response = browser.post("/accounts/login/", {"username": "demo", "password": "demo"})
    assert (response.status_code, browser.session["_auth_user_id"]) == (302, str(demo.pk))
    assert graphql(Client(), "{ __typename }", **token) == {"data": {"__typename": "Query"}}
