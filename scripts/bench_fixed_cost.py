"""What a small read costs over HTTP, against what serving it with Django can reach (issue 15).

The same request (default: the side-by-side bench's operation 4, one district by uuid
with its parent and 15 children, as a read-scoped bearer token) is sent one after
another, after a warm-up, to three servers started alike (gunicorn with the workers
``docker/entrypoint.sh`` deploys: 2 gthread workers of 4 threads, so the client's
connection is kept alive) on the database of ``DATABASE_URL`` (the bench's
product database, ``make bench-read`` loads it):

- ``static``: :mod:`scripts.lib.static_answer`, the product's own answer bytes with no
  Python framework behind them: the HTTP server's and the client's share;
- ``bare``: the project without middleware (:mod:`scripts.lib.bare_settings`): Django's
  handler, the view, the bearer token, the statement;
- ``deployed``: the project as deployed (every middleware: metrics, security headers,
  CORS, sessions, CSRF, request logs, lockouts).

and the SQL floor: the statement the product sends, on one psycopg connection; with
``--peer URL --peer-query FILE``, another GraphQL server (e.g. the bench's PostGraphile at
http://127.0.0.1:5678/graphql with ``queries/4_location_by_uuid/postgraphile.graphql``)
asked for the same read in its own schema, in the same rounds. Rounds
alternate between the servers so that a busy machine slows them alike; each cell is the
lowest median over the rounds, then the p95 of that round, in ms::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_product \\
        .venv/bin/python scripts/bench_fixed_cost.py [--rounds 3] [--requests 1000]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_api import start_server  # noqa: E402 (after the path)
from scripts.profile_request import QUERY  # noqa: E402
from tests.servers import base_env, free_ports  # noqa: E402

#: gunicorn's workers as docker/entrypoint.sh deploys them (keep-alive connections).
DEPLOYED_WORKERS = ("--worker-class", "gthread", "--threads", "4")
#: server name -> (WSGI callable, extra environment)
SERVERS = {
    "static": ("scripts.lib.static_answer:application", {}),
    "bare": ("backend.wsgi:application", {"DJANGO_SETTINGS_MODULE": "scripts.lib.bare_settings"}),
    "deployed": ("backend.wsgi:application", {}),
}


def timed(call: Callable[[], object], warmup: int, requests: int) -> tuple[float, float]:
    """(median, p95) in ms of ``requests`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[math.ceil(0.95 * requests) - 1]


def peer_timing(url: str, query_file: str, requests: int) -> tuple[float, float]:
    """(median, p95) in ms of the GraphQL server at ``url`` answering the document in
    ``query_file`` (without errors) as :func:`timed` measures; SystemExit otherwise."""
    body = json.dumps({"query": Path(query_file).read_text()}).encode()
    with httpx.Client() as client:

        def call() -> None:
            response = client.post(url, content=body, headers={"Content-Type": "application/json"})
            if response.status_code != 200 or b'"errors"' in response.content:
                raise SystemExit(f"{url} answered {response.content[:300]!r}")

        return timed(call, 200, requests)


def statement(database_url: str, token: str, query: str) -> str:
    """The SQL the product sends for ``query`` (one compiled statement), read in this
    process with Django's test client; SystemExit when the read is not one statement."""
    os.environ.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="backend.settings")
    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Django's logging set it to INFO
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    queries: list[str] = []

    def record(execute, sql, params, many, context):
        queries.append(sql if params is None else connection.ops.compose_sql(sql, params))
        return execute(sql, params, many, context)

    client.post("/graphql", {"query": query}, content_type="application/json")
    with connection.execute_wrapper(record):
        client.post("/graphql", {"query": query}, content_type="application/json")
    if len(queries) != 1:
        raise SystemExit(f"expected one SQL statement for the read, got {len(queries)}")
    return queries[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--token", default="bench-token-0123456789", help="read bearer token")
    parser.add_argument("--query-file", help="a GraphQL document (default: bench op 4)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1000, help="timed requests a round")
    parser.add_argument("--peer", help="another server's GraphQL URL, measured alike")
    parser.add_argument("--peer-query", help="the document the peer gets (its own schema)")
    args = parser.parse_args()
    if bool(args.peer) != bool(args.peer_query):
        parser.error("--peer and --peer-query go together")
    database_url = os.environ.get("DATABASE_URL")
    if not database_url or not database_url.startswith("postgres"):
        raise SystemExit("DATABASE_URL must name the bench's PostgreSQL product database")
    query = Path(args.query_file).read_text() if args.query_file else QUERY
    sql = statement(database_url, args.token, query)
    body = json.dumps({"query": query}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {args.token}"}
    ports = dict(zip(SERVERS, free_ports(len(SERVERS)), strict=True))
    columns = ["sql", *SERVERS, *(["peer"] if args.peer else [])]
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in columns}
    database = psycopg.connect(database_url, autocommit=True)
    with tempfile.TemporaryDirectory() as folder, database as db:
        answer_file = Path(folder) / "answer.json"
        env = base_env(DATABASE_URL=database_url, DEBUG="false", ALLOWED_HOSTS="127.0.0.1")
        env.update(STATIC_ANSWER_FILE=str(answer_file), PYTHONPATH=str(ROOT))
        servers = {}
        try:
            servers["deployed"] = start_server(
                env, ports["deployed"], app=SERVERS["deployed"][0], options=DEPLOYED_WORKERS
            )
            url = f"http://127.0.0.1:{ports['deployed']}/graphql"
            answer = httpx.post(url, content=body, headers=headers).content
            if b'"errors"' in answer or not answer.startswith(b'{"data"'):
                raise SystemExit(f"the product did not answer the read: {answer[:300]!r}")
            answer_file.write_bytes(answer)
            for name in ("static", "bare"):
                app, extra = SERVERS[name]
                servers[name] = start_server(
                    {**env, **extra}, ports[name], app=app, options=DEPLOYED_WORKERS
                )
            for round_ in range(args.rounds):
                results["sql"].append(timed(lambda: db.execute(sql).fetchone(), 200, args.requests))
                for name, port in ports.items():
                    with httpx.Client() as client:
                        url = f"http://127.0.0.1:{port}/graphql"

                        def call(client=client, url=url, name=name) -> None:
                            response = client.post(url, content=body, headers=headers)
                            if response.content != answer:
                                raise SystemExit(f"{name} answered {response.content[:300]!r}")

                        results[name].append(timed(call, 200, args.requests))
                if args.peer:
                    results["peer"].append(peer_timing(args.peer, args.peer_query, args.requests))
                print(f"round {round_ + 1} of {args.rounds} done", file=sys.stderr)
        finally:
            for server in servers.values():
                server.terminate()
                server.wait(timeout=30)
    print(f"{args.requests} sequential requests a round, {args.rounds} rounds; ms")
    peer = [f"peer ({args.peer})"] if args.peer else []
    titles = ["SQL floor", "static answer (HTTP only)", "Django, no middleware", "deployed", *peer]
    print("| " + " | ".join(titles) + " |")
    print("|" + "---|" * len(titles))
    cells = [min(results[name]) for name in columns]
    print("| " + " | ".join(f"{median:.2f} / {p95:.2f}" for median, p95 in cells) + " |")


if __name__ == "__main__":
    main()
