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
    parser.add_argument(
        "--compare-auth-cache", action="store_true", help="time AUTH_CACHE_SECONDS 0 against 10"
    )
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
    times, cpu = [], []
    for _ in range(args.requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        request()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    print(
        f"median {statistics.median(times):.2f} ms wall, {statistics.median(cpu):.2f} ms CPU "
        f"of this process, over {args.requests} requests"
    )
    print(f"{len(queries)} SQL queries:")
    for sql in queries:
        print(f"  {sql[:160]}")
    if args.compare_auth_cache:
        compare_auth_cache(request, args.requests)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        request()
    profile.disable()
    stats = pstats.Stats(profile)
    print_phases(stats, args.requests)
    stats.strip_dirs().sort_stats("cumulative").print_stats(args.top)


#: The phases of a request: (name, the function whose cumulative time it is, as
#: "file-suffix:function"), outermost first; each phase's own share is its time minus
#: the phases inside it listed after it.
PHASES = [
    ("request (Django test client's handler)", "django/test/client.py:__call__"),
    ("the GraphQL view", "backend/views.py:_dispatch"),
    ("body checks", "backend/views.py:body_problem"),
    ("bearer token", "backend/views.py:_token_user"),
    ("strawberry's view (HTTP body, JSON answer)", "strawberry/http/sync_base_view.py:run"),
    ("GraphQL: parse, validate, limits, extensions", "strawberry/schema/schema.py:execute_sync"),
    ("GraphQL execution (values completed)", "graphql/execution/executor.py:execute_operation"),
    ("root resolvers: queryset, optimizer, SQL, rows", "backend/graphql/queries.py:resolve"),
    ("a read replayed (its compiled statement)", "backend/graphql/compiler/__init__.py:replay"),
]


def print_phases(stats: pstats.Stats, requests: int) -> None:
    """Each phase's own time per request (profiled, so inflated: read the shares)."""
    cumulative = {}
    for (file, _, function), (_, _, _, total, _) in stats.stats.items():
        for _, key in PHASES:
            suffix, name = key.split(":")
            if file.endswith(suffix) and function == name:
                cumulative[key] = cumulative.get(key, 0.0) + total
    times = [cumulative.get(key, 0.0) for _, key in PHASES]
    nested = {0: [1], 1: [2, 3, 4, 8], 4: [5], 5: [6], 6: [7], 2: [], 3: [], 7: [], 8: []}
    print("\nphase                                              own µs/request   share")
    for index, (name, _) in enumerate(PHASES):
        own = times[index] - sum(times[i] for i in nested[index])
        label = "middleware and Django around the view" if index == 0 else name
        print(f"  {label:50s} {own / requests * 1e6:10.0f}   {own / times[0]:6.1%}")
    print()


def compare_auth_cache(request, requests: int) -> None:
    """Median wall and CPU time per request with the authentication cache off and on,
    in alternating blocks (one process, so the comparison survives a busy machine)."""
    from django.test import override_settings

    results: dict[float, tuple[list, list]] = {0: ([], []), 10: ([], [])}
    for _ in range(5):
        for seconds, (walls, cpus) in results.items():
            with override_settings(AUTH_CACHE_SECONDS=seconds):
                request()
                for _ in range(requests // 5):
                    wall, cpu = time.perf_counter(), time.process_time()
                    request()
                    walls.append(time.perf_counter() - wall)
                    cpus.append(time.process_time() - cpu)
    for seconds, (walls, cpus) in results.items():
        print(
            f"AUTH_CACHE_SECONDS={seconds:<3}: median {statistics.median(walls) * 1000:.2f} ms "
            f"wall, {statistics.median(cpus) * 1000:.2f} ms CPU of this process"
        )


if __name__ == "__main__":
    main()
