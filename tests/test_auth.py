"""Authentication (session + CSRF, OAuth2 bearer tokens), error masking and limits."""

import datetime
import json
import logging

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from modules.location.models import Location

pytestmark = pytest.mark.django_db
QUERY = {"query": "{ locations { totalCount } }"}


def post(client: Client, body=QUERY, **headers):
    return client.post("/graphql", json.dumps(body), content_type="application/json",
                       headers=headers)  # fmt: skip


def test_anonymous_callers_get_no_data():
    Location.objects.create(code="R1", name="Ultha", type="R")
    response = post(Client())
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"].startswith("Authentication required")


def test_session_users_need_the_csrf_token(make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("viewer", "location.view_location"))
    refused = post(client)
    assert refused.status_code == 403
    assert "CSRF check failed" in refused.json()["errors"][0]["message"]
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and b"GraphiQL" in page.content
    token = page.cookies["csrftoken"].value
    accepted = post(client, **{"X-CSRFToken": token})
    assert accepted.json() == {"data": {"locations": {"totalCount": 0}}}


@pytest.fixture
def application(make_user):
    owner = make_user("service", "location.view_location")
    return Application.objects.create(
        name="client",
        user=owner,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_id="test-client",
        client_secret="test-secret",
    )


def bearer(application, user=None, **overrides):
    values = {
        "token": "t0ken",
        "application": application,
        "user": user,
        "expires": timezone.now() + datetime.timedelta(hours=1),
        "scope": "read write",
        **overrides,
    }
    return AccessToken.objects.create(**values).token


def test_bearer_token_from_the_token_endpoint_needs_no_csrf(application):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials"},
        headers={"Authorization": "Basic dGVzdC1jbGllbnQ6dGVzdC1zZWNyZXQ="},  # client:secret
    )
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    answer = post(client, Authorization=f"Bearer {token}")
    assert answer.json() == {"data": {"locations": {"totalCount": 0}}}


def test_token_acts_with_its_users_permissions(application, make_user):
    payer_only = make_user("payer-clerk", "payer.view_payer")
    token = bearer(application, user=payer_only)
    body = post(Client(), Authorization=f"Bearer {token}").json()
    assert body["errors"][0]["message"] == "Permission denied: you need 'location.view_location'."


@pytest.mark.parametrize("case", ["garbage", "expired", "no-owner"])
def test_bad_tokens_are_401(application, case):
    if case == "garbage":
        token = "garbage"
    elif case == "expired":
        token = bearer(application, expires=timezone.now() - datetime.timedelta(seconds=1))
    else:
        application.user = None
        application.save()
        token = bearer(application)
    response = post(Client(), Authorization=f"Bearer {token}")
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "Invalid or expired bearer token."
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_unexpected_errors_are_masked_and_logged(gql, monkeypatch, caplog):
    from backend.graphql import queries

    def broken(*args, **kwargs):
        raise RuntimeError("database exploded at row 17")

    monkeypatch.setattr(queries, "apply_validity", broken)
    with caplog.at_level(logging.ERROR, logger="backend.graphql"):
        body = gql.post("{ locations { totalCount } }")
    assert [e["message"] for e in body["errors"]] == ["Unexpected error."]
    assert "database exploded at row 17" in caplog.text
    assert "Traceback" in caplog.text


def test_request_errors_are_not_masked_nor_logged(gql, caplog):
    with caplog.at_level(logging.ERROR, logger="backend.graphql"):
        errors = gql.errors("{ locations(first: 100000) { totalCount } }")
    assert errors == ["Argument 'first' cannot be higher than 1000."]
    assert caplog.text == ""


def test_depth_alias_and_token_limits(gql):
    """Each limit's message names its setting (as the body, values, fields and nodes
    limits do), with the code LIMIT_EXCEEDED."""
    deep = "{ locations { edges { node { " + "parent { " * 12 + "code" + " }" * 12 + " } } } }"
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    tokens = "{ " + "__typename " * 2001 + "}"
    for query, message in (
        (deep, "'anonymous' exceeds maximum operation depth of 12 (GRAPHQL_MAX_DEPTH)."),
        (aliases, "31 aliases found. Allowed: 30 (GRAPHQL_MAX_ALIASES)."),
        (
            tokens,
            "Syntax Error: Document contains more than 2000 tokens (GRAPHQL_MAX_TOKENS). "
            "Parsing aborted.",
        ),
    ):
        for _ in range(2):  # the second time from the document caches
            result = gql.post(query)
            assert [(e["message"], e["extensions"]["code"]) for e in result["errors"]] == [
                (message, "LIMIT_EXCEEDED")
            ]


def test_a_read_token_cannot_change_data(application, make_user):
    token = bearer(application, user=make_user("root", superuser=True), scope="read")
    query = (
        'mutation { createLocation(input: {code: "R9", name: "X", type: REGION}) '
        "{ errors { code } } }"
    )
    body = post(Client(), {"query": query}, Authorization=f"Bearer {token}").json()
    assert body["errors"][0]["message"] == (
        "The bearer token's scope does not include 'write' (it has: read)."
    )
    assert not Location.objects.filter(code="R9").exists()
    answer = post(Client(), Authorization=f"Bearer {token}").json()
    assert answer == {"data": {"locations": {"totalCount": 0}}}
