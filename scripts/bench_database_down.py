"""Time to a 503 while PostgreSQL is down, and to the first answer once it is back.

What it does:

1. starts a PostgreSQL of its own (``initdb`` and ``pg_ctl`` in a temporary folder, on a
   free port; the shared server is never touched), or with ``--never-up`` points at a
   port where nothing listens;
2. migrates it and serves the project as deployed (gunicorn, ``--workers`` gthread
   workers of ``--threads`` threads, ``DEBUG=false``, ``DATABASE_POOL_TIMEOUT`` and
   ``DATABASE_DOWN_RETRY_SECONDS`` as given) and checks that a request answers (401 for
   an unknown token);
3. stops that PostgreSQL (``pg_ctl stop -m fast``) and sends ``--rounds`` rounds of
   ``--clients`` concurrent requests, ``POST /graphql`` with a bearer token (read from
   the database) and ``GET /health/ready``; prints each endpoint's statuses and the
   median and largest time to its answer;
4. starts PostgreSQL again and prints how long until ``/graphql`` answers without 503.

Needs ``initdb`` and ``pg_ctl`` on ``PATH`` (or ``--never-up``). Ports: ``TEST_PORTS``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import ROOT, start_server


def request(url: str, path: str) -> tuple[int, float]:
    """(status, seconds) of one request to ``path``: the token request or readiness."""
    start = time.monotonic()
    if path == "/graphql":
        response = httpx.post(
            url + path,
            json={"query": "{ __typename }"},
            headers={"Authorization": "Bearer not-a-token"},
            timeout=120,
        )
    else:
        response = httpx.get(url + path, timeout=120)
    return response.status_code, time.monotonic() - start


def measure(url: str, path: str, clients: int, rounds: int) -> str:
    """One line: ``path``'s statuses, median and largest seconds over the rounds."""
    results = []
    with ThreadPoolExecutor(clients) as pool:
        for _ in range(rounds):
            results += pool.map(lambda _: request(url, path), range(clients))
    statuses = sorted({status for status, _ in results})
    seconds = [elapsed for _, elapsed in results]
    return (
        f"{path}: {len(results)} requests, status {statuses}, "
        f"median {statistics.median(seconds):.3f} s, max {max(seconds):.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent requests (8)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of them (3)")
    parser.add_argument("--pool-timeout", default="10", help="DATABASE_POOL_TIMEOUT (10)")
    parser.add_argument(
        "--down-retry", default="2", help="DATABASE_DOWN_RETRY_SECONDS (2; 0: no fail-fast)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument(
        "--never-up", action="store_true", help="a port where nothing listens, no PostgreSQL"
    )
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from tests.servers import TemporaryPostgres, base_env, free_ports

    server_port, database_port = free_ports(2)
    with contextlib.ExitStack() as stack:
        database = None
        if not args.never_up:
            database = stack.enter_context(TemporaryPostgres(database_port))
        env = base_env(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{database_port}/postgres",
            DATABASE_POOL_TIMEOUT=args.pool_timeout,
            DATABASE_DOWN_RETRY_SECONDS=args.down_retry,
            DEBUG="false",
        )
        if database:
            subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], env=env, check=True)
        options = ("--worker-class", "gthread", "--threads", str(args.threads))
        server = start_server(env, server_port, args.workers, options=options)
        stack.callback(server.wait, timeout=30)
        stack.callback(server.terminate)
        url = f"http://127.0.0.1:{server_port}"
        if database:
            print("up:", measure(url, "/graphql", args.clients, 1))
            database.stop()
        for path in ("/graphql", "/health/ready"):
            print("down:", measure(url, path, args.clients, args.rounds))
        if database:
            database.start()
            start = time.monotonic()
            while request(url, "/graphql")[0] == 503:
                time.sleep(0.1)
            print(f"back: /graphql answers without 503 after {time.monotonic() - start:.2f} s")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
