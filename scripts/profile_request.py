"""Where the fixed cost of a GraphQL request goes (issue 15): one small read, profiled.

Runs in the process, through Django's test client (every middleware, the view, the
bearer-token authentication, GraphQL parse/validate/limits/execution, the JSON), on the
database of ``DATABASE_URL`` (e.g. the side-by-side bench's product database, which
holds the bench's data and a read token ``bench-token-0123456789``):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_product_fc DEBUG=false \\
        SECRET_KEY=bench-only .venv/bin/python scripts/profile_request.py [--token T]

Prints the median wall time of ``--requests`` warmed requests, the SQL queries of one
request, then cProfile's functions by cumulative time (``--top``). The default query
is the bench's operation 4 (one district by uuid with its parent and 15 children).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERY = """query LocationByUuid {
  location(uuid: "ed33d5ef-a6c6-59bd-a13f-e5d1ce07fad5") {
    uuid code name type
    parent { uuid code name type }
    children { uuid code name type }
  }
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--token", default="bench-token-0123456789", help="bearer token")
    parser.add_argument("--query-file", help="a GraphQL document (default: bench op 4)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    query = Path(args.query_file).read_text() if args.query_file else QUERY
    client = Client(HTTP_AUTHORIZATION=f"Bearer {args.token}", HTTP_HOST="127.0.0.1")

    def request() -> None:
        response = client.post("/graphql", {"query": query}, content_type="application/json")
        assert response.status_code == 200 and b'"errors"' not in response.content, (
            response.content[:500]
        )

    for _ in range(20):
        request()
    queries: list[str] = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):  # survives the pool's reconnections
        request()
    times = []
    for _ in range(args.requests):
        start = time.perf_counter()
        request()
        times.append((time.perf_counter() - start) * 1000)
    print(f"median {statistics.median(times):.2f} ms over {args.requests} requests")
    print(f"{len(queries)} SQL queries:")
    for sql in queries:
        print(f"  {sql[:160]}")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        request()
    profile.disable()
    stats = pstats.Stats(profile).strip_dirs().sort_stats("cumulative")
    stats.print_stats(args.top)


if __name__ == "__main__":
    main()
