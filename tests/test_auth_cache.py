"""Cached authentication (``backend.auth_cache``): a warmed bearer-token request costs only
its data queries, and a revocation made elsewhere (another process, SQL: no Django signal
here) takes effect once ``AUTH_CACHE_SECONDS`` have passed, immediately with 0."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from backend import auth_cache
from modules.location.models import Location

pytestmark = pytest.mark.django_db
QUERY = '{ location(uuid: "%s") { code } }'


@pytest.fixture
def clock(monkeypatch):
    """The cache's clock, frozen at the real time; ``clock.move(seconds)`` moves it."""

    class Clock:
        now = auth_cache.clock()

        def move(self, seconds: float) -> None:
            self.now += seconds

    frozen = Clock()
    monkeypatch.setattr(auth_cache, "clock", lambda: frozen.now)
    return frozen


@pytest.fixture
def region():
    return Location.objects.create(code="R1", name="Ultha", type="R")


@pytest.fixture
def reader(make_user):
    return make_user("reader", "location.view_location")


def token_for(user, *, token="cached-t0ken", expires_in=3600, scope="read"):
    application = Application.objects.create(
        name="client", user=user, client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )  # fmt: skip
    AccessToken.objects.create(
        application=application, token=token, scope=scope,
        expires=timezone.now() + datetime.timedelta(seconds=expires_in),
    )  # fmt: skip
    return token


def ask(region, token):
    """(HTTP status, the answer's JSON, the SQL statements run) of a bearer request."""
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(
            "/graphql", json.dumps({"query": QUERY % region.uuid}),
            content_type="application/json", headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
    return response.status_code, response.json(), [q["sql"] for q in queries]


def tables(statements: list[str]) -> list[str]:
    """The table each SQL statement reads from (its first FROM)."""
    return [re.search(r'FROM "(\w+)"', sql).group(1) for sql in statements]


#: A request's queries without the cache: the token (its application joined), the user
#: who owns the application, the user's permissions, the groups' permissions, the data.
COLD = ["oauth2_provider_accesstoken", "auth_user", "auth_permission", "auth_permission",
        "location_location"]  # fmt: skip


def refused(answer) -> bool:
    status, body, _ = answer
    return status == 401 and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def served(answer) -> bool:
    status, body, _ = answer
    return status == 200 and body == {"data": {"location": {"code": "R1"}}}


def test_a_warmed_bearer_request_costs_only_its_data_query(region, reader, settings):
    settings.AUTH_CACHE_SECONDS = 10
    token = token_for(reader)
    first = ask(region, token)
    assert served(first)
    assert tables(first[2]) == COLD, first[2]
    second = ask(region, token)
    assert served(second)
    assert tables(second[2]) == ["location_location"], second[2]


def test_without_the_cache_every_request_checks_the_token(region, reader, settings):
    settings.AUTH_CACHE_SECONDS = 0
    token = token_for(reader)
    for _ in range(2):
        answer = ask(region, token)
        assert served(answer) and tables(answer[2]) == COLD, answer[2]


# Revocations as another process or SQL makes them: no Django signal reaches the cache.
def expire_token(token, user):
    AccessToken.objects.filter(token=token).update(expires=timezone.now())


def delete_token(token, user):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM oauth2_provider_accesstoken WHERE token = %s", [token])


def deactivate(token, user):
    type(user).objects.filter(pk=user.pk).update(is_active=False)


def remove_permission(token, user):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM auth_user_user_permissions WHERE user_id = %s", [user.pk])


def forbidden(answer) -> bool:
    status, body, _ = answer
    return (
        status == 200
        and body["data"] == {"location": None}
        and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    )


REVOCATIONS = [
    (expire_token, refused), (delete_token, refused), (deactivate, refused),
    (remove_permission, forbidden),
]  # fmt: skip


@pytest.mark.parametrize("bound", [10, 5])
@pytest.mark.parametrize(("revoke", "outcome"), REVOCATIONS, ids=lambda v: v.__name__)
def test_a_revocation_takes_effect_after_the_bound(
    region, reader, settings, clock, bound, revoke, outcome
):
    settings.AUTH_CACHE_SECONDS = bound
    token = token_for(reader)
    assert served(ask(region, token))
    revoke(token, reader)
    clock.move(bound - 0.1)
    assert served(ask(region, token))  # still within the bound
    clock.move(0.2)
    assert outcome(ask(region, token))


@pytest.mark.parametrize(("revoke", "outcome"), REVOCATIONS, ids=lambda v: v.__name__)
def test_with_a_bound_of_zero_revocation_is_immediate(region, reader, settings, revoke, outcome):
    settings.AUTH_CACHE_SECONDS = 0
    token = token_for(reader)
    assert served(ask(region, token))
    revoke(token, reader)
    assert outcome(ask(region, token))


def test_a_token_is_not_cached_beyond_its_expiry(region, reader, settings, clock, monkeypatch):
    settings.AUTH_CACHE_SECONDS = 30
    token = token_for(reader, expires_in=2)
    expires = AccessToken.objects.get(token=token).expires
    assert served(ask(region, token))
    monkeypatch.setattr(timezone, "now", lambda: expires)  # the toolkit's clock: expired
    clock.now = expires.timestamp() - 0.1
    assert served(ask(region, token))  # cached, and the token was valid until now
    clock.now = expires.timestamp()
    assert refused(ask(region, token))  # not cached beyond, and the database refuses it


def test_changes_through_the_models_take_effect_at_once(region, reader, settings):
    settings.AUTH_CACHE_SECONDS = 10
    token = token_for(reader)
    assert served(ask(region, token))
    reader.user_permissions.clear()  # the admin's way: a signal empties the cache
    _, body, _ = ask(region, token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    AccessToken.objects.get(token=token).delete()
    assert refused(ask(region, token))


def test_the_cache_keeps_no_token_in_clear(region, reader, settings):
    settings.AUTH_CACHE_SECONDS = 10
    token = token_for(reader)
    assert served(ask(region, token))
    keys = list(auth_cache._store()._cache)
    assert keys and not any(token in key for key in keys), keys
