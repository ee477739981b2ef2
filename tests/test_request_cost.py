"""The fixed cost of a read request (issue 15), cut without a behaviour lost.

- A bearer-token request is logged and counted in the metrics, refused or not.
- A read answered by a compiled statement a moment ago is answered again by the same
  statement before strawberry's pipeline (``backend.graphql.compiler.replay``): same
  answer, one SQL statement, counted in the metrics; everything that may differ
  (token, scope, permissions, limits, CSRF, the switches) still goes the general way.
- The pool hands out a connection without a round trip while nothing happened on it, and
  still replaces one the database closed (``backend.database``).
"""

from __future__ import annotations

import json
import logging
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY

from backend.graphql import compiler
from backend.views import AuthenticatedGraphQLView
from tests.api_helpers import bearer_token

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="compiled statements and the pool are PostgreSQL's",
)

QUERY = """query OneRegion($uuid: UUID!) {
  location(uuid: $uuid) { uuid code name parent { code } children { code name } }
}"""


@pytest.fixture
def region(make_chains):
    return make_chains(1)[0]


@pytest.fixture
def runs(monkeypatch):
    """The requests strawberry's pipeline answered (the others were replayed)."""
    calls = []
    run = AuthenticatedGraphQLView.run
    monkeypatch.setattr(
        AuthenticatedGraphQLView, "run", lambda self, request: calls.append(1) or run(self, request)
    )
    return calls


def ask(token: str, region, client: Client | None = None, **headers):
    body = {"query": QUERY, "variables": {"uuid": str(region.uuid)}}
    return (client or Client()).post(
        "/graphql", json.dumps(body), content_type="application/json",
        headers={"Authorization": f"Bearer {token}", **headers},
    )  # fmt: skip


def operations(name: str = "OneRegion") -> float:
    labels = {"endpoint": "graphql", "type": "query", "name": name}
    return REGISTRY.get_sample_value("graphql_operations_total", labels) or 0.0


def logged(caplog) -> dict[str, dict]:
    """django-structlog's request events, by name (the last of each)."""
    return {
        r.msg["event"]: r.msg
        for r in caplog.records
        if r.name == "django_structlog.middlewares.request" and isinstance(r.msg, dict)
    }


def responses(status: str) -> float:
    labels = {"status": status}
    return REGISTRY.get_sample_value("django_http_responses_total_by_status_total", labels) or 0


def test_a_token_request_is_logged_and_counted(make_user, region, caplog):
    reader = make_user("reader", superuser=True)
    token = bearer_token(reader, "read", "lean-token")
    caplog.set_level(logging.INFO, logger="django_structlog")
    counted = responses("200"), operations()
    answer = ask(token, region)
    assert answer.status_code == 200
    assert json.loads(answer.content)["data"]["location"]["code"] == region.code
    assert answer.wsgi_request.user == reader
    assert "Set-Cookie" not in answer.headers and not answer.cookies
    events = logged(caplog)
    assert events["request_started"]["request"] == "POST /graphql"
    assert events["request_finished"]["code"] == 200
    assert events["request_finished"]["user_id"] == reader.pk
    assert (responses("200"), operations()) == (counted[0] + 1, counted[1] + 1)


def test_a_refused_token_request_is_logged_and_counted(region, caplog):
    caplog.set_level(logging.INFO, logger="django_structlog")
    counted = responses("401")
    refused = ask("no-such-token", region)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert logged(caplog)["request_finished"]["code"] == 401
    assert responses("401") == counted + 1


@postgresql_only
def test_a_repeated_read_is_replayed_with_the_same_answer_and_counted(make_user, region, runs):
    token = bearer_token(make_user("reader", superuser=True), "read", "replay-token")
    counted = operations()
    first = ask(token, region)
    with CaptureQueriesContext(connection) as captured:
        again = ask(token, region)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Content-Type"] == first["Content-Type"]
    assert json.loads(again.content)["data"]["location"]["code"] == region.code
    assert len(runs) == 1  # the second one was not strawberry's
    assert len(captured) == 1 and "json_build_object" in captured[0]["sql"]
    assert operations() == counted + 2


@postgresql_only
def test_a_replayable_read_still_checks_the_token_scope_and_permissions(make_user, region, runs):
    viewer = make_user("viewer", "location.view_location")
    token = bearer_token(viewer, "read", "viewer-token")
    ask(token, region), ask(token, region)
    assert len(runs) == 1
    wrong = ask("not-a-token", region)
    assert wrong.status_code == 401
    assert wrong.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    no_read = bearer_token(viewer, "write", "write-only-token")
    refused = ask(no_read, region).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    from django.contrib.auth.models import Permission

    viewer.user_permissions.remove(Permission.objects.get(codename="view_location"))
    revoked = ask(token, region).json()
    assert revoked["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@postgresql_only
def test_a_replayable_read_is_refused_once_a_limit_is_lowered(make_user, region, runs, settings):
    token = bearer_token(make_user("reader", superuser=True), "read", "limits-token")
    ask(token, region), ask(token, region)
    settings.GRAPHQL_MAX_NODES = 2
    refused = ask(token, region).json()
    assert refused["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    settings.GRAPHQL_MAX_NODES = 100_000
    settings.GRAPHQL_COMPILE = False  # read at each request: the general executor answers
    calls = len(runs)
    assert ask(token, region).json()["data"]["location"]["code"] == region.code
    assert len(runs) == calls + 1


@postgresql_only
def test_a_read_whose_node_estimate_counted_rows_is_not_replayed(make_user, region, runs, settings):
    token = bearer_token(make_user("reader", superuser=True), "read", "counted-token")
    # 20 children estimated without SQL (GRAPHQL_LIST_ESTIMATE), 1 counted in the rows
    settings.GRAPHQL_MAX_NODES = 10
    first, again = ask(token, region), ask(token, region)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert len(runs) == 2  # each estimate counted the rows again: none was replayed


@postgresql_only
def test_a_session_request_still_needs_its_csrf_token(make_user, region, runs):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("browser", superuser=True))
    client.get("/graphql", headers={"Accept": "text/html"})  # GraphiQL sets the cookie
    runs.clear()
    csrf = {"X-CSRFToken": client.cookies["csrftoken"].value}
    body = json.dumps({"query": QUERY, "variables": {"uuid": str(region.uuid)}})

    def post(**headers):
        return client.post("/graphql", body, content_type="application/json", headers=headers)

    assert post(**csrf).status_code == post(**csrf).status_code == 200
    assert len(runs) == 1  # replayed for the session too
    refused = post()
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@postgresql_only
def test_a_failing_replay_is_answered_by_the_general_path(make_user, region, runs, monkeypatch):
    from django.db import OperationalError

    token = bearer_token(make_user("reader", superuser=True), "read", "failing-token")
    first = ask(token, region)
    cursor, failures = compiler._cursor, []

    def failing_once():
        if not failures:
            failures.append(1)
            raise OperationalError("the connection was lost")
        return cursor()

    monkeypatch.setattr(compiler, "_cursor", failing_once)
    again = ask(token, region)
    assert failures and len(runs) == 2  # the replay failed: strawberry's pipeline answered
    assert again.status_code == 200 and again.content == first.content


def test_the_postgresql_engine_is_django_prometheus_one():
    from django_prometheus.db.backends.postgresql.base import DatabaseWrapper

    from backend.database.base import DatabaseWrapper as Engine

    assert issubclass(Engine, DatabaseWrapper)  # the database metrics stay


@postgresql_only
def test_the_pool_replaces_a_connection_the_database_closed(monkeypatch):
    from psycopg_pool import ConnectionPool

    from backend.database.base import check_connection

    params = connection.get_connection_params()
    for name in ("cursor_factory", "pool", "server_side_binding"):
        params.pop(name, None)
    pings = []
    ping = ConnectionPool.check_connection
    monkeypatch.setattr(ConnectionPool, "check_connection", lambda c: pings.append(1) or ping(c))
    with ConnectionPool(kwargs=params, min_size=1, max_size=1, check=check_connection) as pool:
        with pool.connection() as conn:
            pid = conn.info.backend_pid
        with pool.connection() as conn:  # idle and healthy: handed out without a round trip
            assert conn.info.backend_pid == pid
        assert pings == []
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not _readable(conn):
            time.sleep(0.01)
        with pool.connection() as conn:  # the closed one was checked and replaced
            assert conn.execute("SELECT 1").fetchone() == (1,)
            assert conn.info.backend_pid != pid
        assert pings  # the round trip that found it closed


def _readable(conn) -> bool:
    import select

    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    return bool(poller.poll(0))
