"""Issue 10 (hardening), items 8-13: the database enforces the code rule, a write token
reads nothing, no demo login in production, OAuth2 and logins, deployment, text."""

from __future__ import annotations

import base64
import datetime
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from backend import deployment
from backend.errors import ValidationFailed
from modules.location import services
from modules.location.models import Location
from modules.payer.models import Payer

ROOT = Path(__file__).resolve().parent.parent


def post(client: Client, query: str, variables: dict | None = None, **headers):
    return client.post(
        "/graphql",
        json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        headers=headers,
    )


# --- 8. one current code, ignoring case, enforced by the database ----------------------


@pytest.mark.django_db
def test_the_database_refuses_a_current_code_differing_only_in_case():
    Location.objects.create(code="rzNx", name="One", type="R")
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.create(code="RZNX", name="Two", type="R")
    # a history row may keep the code
    Location.objects.create(code="RZNX", name="Old", type="R", validity_to=timezone.now())


@pytest.mark.django_db
def test_a_lost_race_is_a_duplicate_error(monkeypatch):
    """The service's own check cannot see a concurrent transaction's row: the
    constraint decides, and the loser gets DUPLICATE, not a server error."""
    user = User.objects.create_superuser("editor", password=None)
    Location.objects.create(code="rzNx", name="One", type="R")
    real = services.validate
    monkeypatch.setattr(
        services, "validate", lambda loc: [e for e in real(loc) if e.code != "DUPLICATE"]
    )
    with pytest.raises(ValidationFailed) as failure:
        services.create_location(
            {"code": "RZNX", "name": "Two", "type": "R"}, parent=None, user=user
        )
    assert [(e.field, e.code, e.message) for e in failure.value.errors] == [
        (
            "code",
            "DUPLICATE",
            "A current location already has the code 'rzNx' "
            "(codes are unique ignoring case, so 'RZNX' is taken).",
        )
    ]


@pytest.mark.django_db
def test_the_constraint_names_the_code_that_exists():
    from django.core.exceptions import ValidationError

    Location.objects.create(code="rzNx", name="One", type="R")
    with pytest.raises(ValidationError) as refused:
        Location(code="RZNX", name="Two", type="R").validate_constraints()
    assert refused.value.messages == [
        "A current location already has the code 'rzNx' "
        "(codes are unique ignoring case, so 'RZNX' is taken)."
    ]


@pytest.mark.django_db(transaction=True)
def test_25_concurrent_pairs_differing_in_case_create_one_location_each():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL: set DATABASE_URL=postgres://...")
    user = User.objects.create_superuser("editor", password=None)
    outcomes: list[str] = []

    def create(code: str, barrier: threading.Barrier) -> None:
        try:
            barrier.wait(10)
            services.create_location(
                {"code": code, "name": code, "type": "R"}, parent=None, user=user
            )
            outcomes.append("created")
        except ValidationFailed as failure:
            outcomes.append(failure.errors[0].code)
        finally:
            connections.close_all()

    for i in range(25):
        barrier = threading.Barrier(2)
        pair = [threading.Thread(target=create, args=(c, barrier)) for c in (f"rz{i}x", f"RZ{i}X")]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join(20)
    assert sorted(outcomes) == ["DUPLICATE"] * 25 + ["created"] * 25
    assert Location.objects.current().count() == 25


# --- 9. a token without the read scope reads nothing -------------------------------------


@pytest.fixture
def write_token(db):
    root = User.objects.create_superuser("root", password=None)
    application = Application.objects.create(
        name="writer",
        user=root,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    return AccessToken.objects.create(
        token="write-only",
        application=application,
        expires=timezone.now() + datetime.timedelta(hours=1),
        scope="write",
    ).token


UPDATE = """mutation ($u: UUID!) { updateLocation(input: {uuid: $u, name: "Renamed"}) {
  %s errors { code } } }"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    "selection",
    [
        "location { parent { children { code name } } history { name } }",
        "location { uuid }",
        "... on LocationPayload { location { code } }",
    ],
)
def test_a_write_token_cannot_read_through_a_mutation_payload(write_token, selection):
    region = Location.objects.create(code="R1", name="Region", type="R")
    response = post(
        Client(), UPDATE % selection, {"u": str(region.uuid)}, Authorization=f"Bearer {write_token}"
    )
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["message"].startswith(
        "The bearer token's scope does not include 'read'"
    )
    assert Location.objects.get(pk=region.pk).name == "Region"  # nothing written
    assert Location.objects.count() == 1


@pytest.mark.django_db
def test_a_write_token_writes_and_reads_only_the_errors(write_token):
    region = Location.objects.create(code="R1", name="Region", type="R")
    payer = Payer.objects.create(name="P", type="G", location=region, email="a@b.org")
    body = post(
        Client(),
        UPDATE % "__typename",
        {"u": str(region.uuid)},
        Authorization=f"Bearer {write_token}",
    ).json()
    assert body == {"data": {"updateLocation": {"__typename": "LocationPayload", "errors": []}}}
    assert Location.objects.get(pk=region.pk).name == "Renamed"
    payer_read = post(
        Client(),
        'mutation ($u: UUID!) { updatePayer(input: {uuid: $u, name: "Q"}) '
        "{ payer { email phone history { name } } errors { code } } }",
        {"u": str(payer.uuid)},
        Authorization=f"Bearer {write_token}",
    ).json()
    assert payer_read["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "Payer.email" in payer_read["errors"][0]["message"]


# --- 10. no demo login in production -------------------------------------------------------


@pytest.mark.django_db
def test_production_refuses_the_demo_credentials(settings):
    settings.DEBUG = True
    call_command("create_demo_user", stdout=io.StringIO())
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 60
    with pytest.raises(ImproperlyConfigured) as refusal:
        deployment.refuse_unsafe_production()
    assert str(refusal.value) == (
        "Refusing to serve with DEBUG=false: the database holds the user 'demo' with its "
        "public password and the OAuth2 client 'demo-client': remove them with "
        "`manage.py create_demo_user --remove`."
    )
    errors = deployment.check_demo_credentials(databases=["default"])
    assert [e.id for e in errors] == ["core.E001", "core.E001"]
    call_command("create_demo_user", "--remove", stdout=io.StringIO())
    deployment.refuse_unsafe_production()  # nothing left to refuse


@pytest.mark.django_db
def test_production_refuses_the_public_secret_key(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = deployment.INSECURE_SECRET_KEY
    assert deployment.production_problems() == [
        "SECRET_KEY is not set (the development key is public)"
    ]


def run_here(command: list[str], without: tuple[str, ...], **env_vars: str):
    """Run ``command`` in the repository with DEBUG=false, ``env_vars`` and this
    process's environment but the variables ``without``; returns the completed process
    (text output captured)."""
    env = {k: v for k, v in os.environ.items() if k not in without}
    env.update(DEBUG="false", **env_vars)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def start_wsgi(**env_vars: str) -> subprocess.CompletedProcess:
    """Import the WSGI entry point (as gunicorn does) with DEBUG=false and ``env_vars``."""
    return run_here([sys.executable, "-c", "import backend.wsgi"], ("SECRET_KEY",), **env_vars)


def test_gunicorn_entry_point_refuses_to_start_without_a_secret_key():
    result = start_wsgi()
    assert result.returncode != 0
    assert "Refusing to serve with DEBUG=false: SECRET_KEY is not set" in result.stderr


# --- 11. OAuth2 clients, logins and tokens ---------------------------------------------


@pytest.mark.django_db
def test_only_staff_register_oauth2_clients(make_user):
    client = Client()
    client.force_login(make_user("clerk", "location.view_location"))
    response = client.get("/o/applications/register/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    refused = client.post(
        "/o/applications/register/", {"name": "x", "authorization_grant_type": "password"}
    )
    assert refused.status_code == 302
    assert not Application.objects.exists()
    staff = make_user("staff")
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    client.force_login(User.objects.get(pk=staff.pk))
    assert client.get("/o/applications/register/").status_code == 200


@pytest.mark.django_db
def test_thirty_wrong_passwords_lock_the_login(make_user):
    user = make_user("clerk")
    user.set_password("right-password")
    user.save()
    client = Client()
    for _ in range(30):
        client.post("/accounts/login/", {"username": "clerk", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "clerk", "password": "right-password"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.fixture
def service_client(make_user):
    """A confidential OAuth2 client (client credentials) ``the-client`` / ``the-secret``."""
    Application.objects.create(
        name="client",
        user=make_user("service"),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_id="the-client",
        client_secret="the-secret",
    )


@pytest.mark.django_db
def test_wrong_client_secrets_lock_the_token_endpoint(service_client):

    def token(secret: str):
        basic = base64.b64encode(f"the-client:{secret}".encode()).decode()
        return Client().post(
            "/o/token/",
            {"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )

    assert token("the-secret").status_code == 200
    # AXES_FAILURE_LIMIT (5): the fifth attempt finds the pair locked
    failures = [token("wrong") for _ in range(5)]
    assert [failure.status_code for failure in failures] == [401] * 4 + [429]
    # the attempt that reaches the limit answers like the endpoint, not an HTML page
    assert failures[-1]["Content-Type"] == "application/json"
    assert failures[-1].json() == {
        "error": "invalid_client",
        "error_description": "Too many failed attempts: try again later.",
    }
    locked = token("the-secret")
    assert locked.status_code == 429
    assert locked.json()["error"] == "invalid_client"
    assert locked["Retry-After"] == "900"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_the_token_endpoint_takes_post_only(method):
    response = getattr(Client(), method)("/o/token/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {
        "error": "invalid_request",
        "error_description": f"Use POST, not {method.upper()}.",
    }


def test_the_oauth2_toolkit_deployment_checks_pass():
    messages = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    assert [m.id for m in messages if m.id.startswith("oauth2_provider")] == []


# --- 12. check --deploy behind a TLS proxy ------------------------------------------------


def run_deploy_check(**env_vars) -> subprocess.CompletedProcess:
    return run_here(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        ("BEHIND_TLS_PROXY", "SECRET_KEY"),
        **{"ALLOWED_HOSTS": "api.example.org", **env_vars},
    )


def test_check_deploy_is_clean_behind_a_tls_proxy():
    result = run_deploy_check(
        SECRET_KEY="k" * 20 + "-Zq8vX3!pL0@wR7#tY2$uI5%oP9^aS4&dF6*", BEHIND_TLS_PROXY="true"
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_warns_without_the_tls_proxy_setting():
    result = run_deploy_check(SECRET_KEY="k" * 20 + "-Zq8vX3!pL0@wR7#tY2$uI5%oP9^aS4&dF6*")
    assert result.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):
        assert f"security.{warning}" in result.stderr


@pytest.mark.django_db
def test_behind_the_proxy_https_gets_hsts_and_secure_cookies(settings, make_user):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    plain = Client().get("/graphql")
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    secure = Client().get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    assert secure.cookies["csrftoken"]["secure"] is True


# --- 13. text hygiene ----------------------------------------------------------------


CREATE = """mutation ($code: String!, $name: String!) {
  createLocation(input: {code: $code, name: $name, type: REGION}) {
    location { code } errors { field code message } } }"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "name", "error"),
    [
        ("R1", "Bad\x1bname", ("name", "INVALID_CHARACTER", "U+001B (ESCAPE)")),
        ("R1", "Bell\x07", ("name", "INVALID_CHARACTER", "U+0007 (BELL)")),
        ("R1", "abc\u202edcba", ("name", "INVALID_CHARACTER", "U+202E (RIGHT-TO-LEFT OVERRIDE)")),
        ("R\t1", "Name", ("code", "INVALID_CHARACTER", "U+0009 (CHARACTER TABULATION)")),
        ("R1\nX", "Name", ("code", "INVALID_CHARACTER", "U+000A (LINE FEED)")),
    ],
)
def test_control_characters_are_refused(gql, code, name, error):
    result = gql.data(CREATE, {"code": code, "name": name})["createLocation"]
    assert result["location"] is None
    (found,) = result["errors"]
    assert (found["field"], found["code"]) == error[:2]
    assert error[2] in found["message"]
    assert not Location.objects.exists()


@pytest.mark.django_db
def test_khmer_names_with_zero_width_spaces_are_accepted(gql):
    result = gql.data(CREATE, {"code": "R1", "name": "ខេត្ត\u200bបាត់ដំបង"})["createLocation"]
    assert result == {"location": {"code": "R1"}, "errors": []}


@pytest.mark.django_db
def test_payer_text_is_checked_and_an_address_may_have_lines(gql):
    region = Location.objects.create(code="R1", name="Region", type="R")
    create = """mutation ($n: String!, $a: String, $l: UUID) {
      createPayer(input: {name: $n, type: GOVERNMENT, address: $a, location: $l}) {
        payer { address } errors { field code } } }"""
    bad = gql.data(create, {"n": "Pay\x1b[2Jer", "l": str(region.uuid)})["createPayer"]
    assert bad["errors"] == [{"field": "name", "code": "INVALID_CHARACTER"}]
    good = gql.data(create, {"n": "Payer", "a": "1 Road\nTown", "l": str(region.uuid)})
    assert good["createPayer"] == {"payer": {"address": "1 Road\nTown"}, "errors": []}


@pytest.mark.django_db
def test_a_move_to_the_current_parent_writes_no_history(gql):
    region = Location.objects.create(code="R1", name="Region", type="R")
    district = Location.objects.create(code="R1D", name="District", type="D", parent=region)
    result = gql.data(
        "mutation ($u: UUID!, $p: UUID!) { moveLocation(input: {uuid: $u, parent: $p}) "
        "{ location { parent { code } } errors { code } } }",
        {"u": str(district.uuid), "p": str(region.uuid)},
    )
    assert result["moveLocation"] == {"location": {"parent": {"code": "R1"}}, "errors": []}
    assert Location.objects.filter(legacy=district).count() == 0


def test_an_unreachable_or_unmigrated_database_does_not_stop_the_start(tmp_path):
    result = start_wsgi(SECRET_KEY="s" * 60, DATABASE_URL=f"sqlite:///{tmp_path / 'e.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert "Could not look for the demo credentials" in result.stderr


@pytest.mark.parametrize("how", ["basic", "body"])
@pytest.mark.django_db
def test_the_token_endpoint_challenges_with_basic(service_client, how):
    # RFC 6749 §5.2: the challenge names the scheme the client authenticates with
    data = {"grant_type": "client_credentials"}
    headers = {}
    if how == "basic":
        headers["Authorization"] = "Basic " + base64.b64encode(b"the-client:wrong").decode()
    else:
        data.update(client_id="the-client", client_secret="wrong")
    response = Client().post("/o/token/", data, headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="openIMIS token endpoint", charset="UTF-8"'
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("registered_for", ["client-credentials", "password"])
@pytest.mark.django_db
def test_a_password_grant_is_refused_before_the_password_is_checked(make_user, registered_for):
    # RFC 9700 §2.4: no password grant; RFC 6749 §5.2: unsupported_grant_type. The
    # answer is the same whether the password is right, and a wrong one is no failed login.
    grant = {"password": Application.GRANT_PASSWORD}.get(
        registered_for, Application.GRANT_CLIENT_CREDENTIALS
    )
    Application.objects.create(
        name="client",
        user=make_user("service"),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=grant,
        client_id="the-client",
        client_secret="the-secret",
    )
    clerk = make_user("clerk")
    clerk.set_password("right-password")
    clerk.save()
    basic = "Basic " + base64.b64encode(b"the-client:the-secret").decode()

    def token(password: str):
        data = {"grant_type": "password", "username": "clerk", "password": password}
        return Client().post("/o/token/", data, headers={"Authorization": basic})

    answers = [token(p) for p in ["right-password", "wrong", *["wrong"] * 6, "right-password"]]
    assert {(a.status_code, a.content) for a in answers} == {
        (400, b'{"error": "unsupported_grant_type"}')
    }
    assert not AccessToken.objects.exists()
    login = Client().post("/accounts/login/", {"username": "clerk", "password": "right-password"})
    assert login.status_code == 302  # not locked out


@pytest.mark.parametrize(
    ("grant_type", "extra"),
    [
        ("urn:ietf:params:oauth:grant-type:device_code", {"device_code": "abc"}),
        ("urn:ietf:params:oauth:grant-type:device_code", {}),  # was a 500 (KeyError)
        ("x", {}),
    ],
)
@pytest.mark.django_db
def test_grant_types_not_offered_are_unsupported(service_client, grant_type, extra):
    basic = "Basic " + base64.b64encode(b"the-client:the-secret").decode()
    data = {"grant_type": grant_type, **extra}
    response = Client().post("/o/token/", data, headers={"Authorization": basic})
    assert (response.status_code, response.json()) == (400, {"error": "unsupported_grant_type"})


class _Terminal:
    """A standard input that is a terminal, as createsuperuser asks."""

    def isatty(self) -> bool:
        return True


@pytest.mark.django_db
def test_createsuperuser_refuses_a_weak_password(monkeypatch):
    # Django's standard password validators (settings AUTH_PASSWORD_VALIDATORS)
    from django.contrib.auth.management.commands import createsuperuser

    typed = iter(["1", "1", "administrator", "administrator", "c0rrect-h0rse-9", "c0rrect-h0rse-9"])
    monkeypatch.setattr(createsuperuser.getpass, "getpass", lambda prompt="": next(typed))
    bypass = []
    monkeypatch.setattr("builtins.input", lambda prompt: bypass.append(prompt) or "n")
    errors = io.StringIO()
    call_command(
        "createsuperuser", interactive=True, username="administrator", email="",
        stdin=_Terminal(), stdout=io.StringIO(), stderr=errors,
    )  # fmt: skip
    assert errors.getvalue().splitlines() == [
        "This password is too short. It must contain at least 10 characters.",
        "This password is too common.",
        "This password is entirely numeric.",
        "The password is too similar to the username.",
        "This password is too common.",
    ]
    assert len(bypass) == 2  # each refusal asked, and "n" was answered
    user = User.objects.get(username="administrator")
    assert user.is_superuser and user.check_password("c0rrect-h0rse-9")
